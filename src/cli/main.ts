/** The mqbench CLI (yargs). The only module that exits the process. */
import yargs from 'yargs';
import { TOOL_VERSION } from '../coordinator/document.js';
import { joinDashValues, stringOptions } from './argv.js';
import { completionCommandModule } from './completion.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { commandName, usageProblems, type AnyCommand } from './usage.js';

class UsageError extends Error {}

/** What a command module is made from: the process globals, the command line (kept in results), where its exit code goes. */
interface CommandContext {
  io: Io;
  args: string[];
  setCode: (code: number) => void;
}

/**
 * Every command, in the order --help lists them: a command is one line here, its whole module
 * comes from its own file. Unknown-command suggestions, option checks and the completion
 * script are made from this list (usage.ts, completion.ts).
 */
const COMMANDS: ReadonlyArray<(c: CommandContext) => Promise<AnyCommand>> = [
  async (c) => (await import('./run-command.js')).runCommandModule(c.io, c.args, c.setCode),
  async (c) => (await import('./compare-command.js')).compareCommandModule(c.io, c.setCode),
  async (c) => (await import('./report-command.js')).reportCommandModule(c.io, c.setCode),
  async (c) => (await import('./merge-command.js')).mergeCommandModule(c.io, c.args, c.setCode),
  async (c) => (await import('./capacity-command.js')).capacityCommandModule(c.io, c.args, c.setCode),
  async (c) => (await import('./broker-command.js')).brokerCommandModule(c.io, c.setCode),
  async (c) => (await import('./echo-command.js')).echoCommandModule(c.io, c.setCode),
];

const EPILOGUE = [
  'Every option of run and capacity can also be set as MQBENCH_<OPTION> (e.g. MQBENCH_TARGET, MQBENCH_CONNECT_RATE); flags win over the environment, the environment over the scenario file.',
  'Shell completion: mqbench completion >> ~/.bashrc (or ~/.zshrc).',
].join('\n');

export async function main(args: string[], io: Io): Promise<number> {
  let code: number = ExitCode.Pass;
  const context: CommandContext = { io, args, setCode: (c) => (code = c) };
  const made = await Promise.all(COMMANDS.map((make) => make(context)));
  const commands = [...made, completionCommandModule(made, io, context.setCode)];
  const strings = stringOptions();
  const argv = joinDashValues(args, (name) => strings.has(name));
  const problems = usageProblems(argv, commands);
  if (problems !== null) {
    io.stderr.write(`${problems.join('\n')}\n`);
    return ExitCode.BadInput;
  }
  const names = commands.map(commandName);
  let cli = yargs().scriptName('mqbench').version(TOOL_VERSION).usage('$0 <command> [options]');
  for (const command of commands) cli = cli.command(command);
  cli = cli
    .demandCommand(1, `name a command: ${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`)
    .strict()
    .help()
    .alias('help', 'h')
    .epilogue(EPILOGUE)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Throwing is what stops yargs here: a fail handler that returns lets the command run.
      throw err ?? new UsageError(msg);
    });
  // With a callback yargs neither prints (--help, --version) nor exits: the text comes back here, for io.stdout.
  let printed = '';
  try {
    await cli.parseAsync(argv, {}, (_err, _argv, output) => {
      printed = output;
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`mqbench: ${err.message}\nRun 'mqbench --help' for the commands and 'mqbench run --help' for the options.\n`);
    return ExitCode.BadInput;
  }
  if (printed !== '') io.stdout.write(printed.endsWith('\n') ? printed : `${printed}\n`);
  return code;
}
