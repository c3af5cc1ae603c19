/** The mqbench CLI (yargs). The only module that exits the process. */
import yargs from 'yargs';
import { runFlagsOf } from '../config/run-flags.js';
import { TOOL_VERSION } from '../coordinator/document.js';
import { brokerCommand, brokerOptions } from './broker-command.js';
import { echoCommand, echoOptions } from './echo-command.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { joinDashValues, stringOptions } from './argv.js';
import { runCommand, runOptions } from './run-command.js';

class UsageError extends Error {}

export async function main(args: string[], io: Io): Promise<number> {
  let code: number = ExitCode.Pass;
  const strings = stringOptions();
  const cli = yargs(joinDashValues(args, (name) => strings.has(name)))
    .scriptName('mqbench')
    .version(TOOL_VERSION)
    .usage('$0 <command> [options]')
    .command(
      'run [scenario]',
      'Run a scenario file, or a workload from flags (one phase per QoS), against --target or the bundled servers; with neither, the quickstart scenario',
      (y) => runOptions(y),
      async (argv) => {
        // The run flags by the table's names (config/run-flags.ts): nothing mapped by hand here.
        code = await runCommand(argv.scenario, runFlagsOf(argv), args, io);
      },
    )
    // compare <base> <head>: the whole command module comes from compare-command.ts (loaded here, so this is its only line in this file).
    .command((await import('./compare-command.js')).compareCommandModule(io, (c) => (code = c)))
    // report <result>: the whole command module comes from report-command.ts.
    .command((await import('./report-command.js')).reportCommandModule(io, (c) => (code = c)))
    // merge <files..>: the whole command module comes from merge-command.ts.
    .command((await import('./merge-command.js')).mergeCommandModule(io, args, (c) => (code = c)))
    // capacity [scenario]: the whole command module comes from capacity-command.ts.
    .command((await import('./capacity-command.js')).capacityCommandModule(io, args, (c) => (code = c)))
    .command(
      'broker',
      'Run the bundled reference MQTT broker (aedes) standalone on TCP, TLS, WS and WSS until Ctrl-C',
      (y) => brokerOptions(y),
      async (argv) => {
        code = await brokerCommand(
          { tcp: argv.tcp, port: argv.port, tls: argv.tls, ws: argv.ws, wss: argv.wss, host: argv.host, cert: argv.cert, key: argv.key, ca: argv.ca },
          io,
        );
      },
    )
    .command(
      'echo',
      'Run the bundled WebSocket echo and broadcast server standalone until Ctrl-C',
      (y) => echoOptions(y),
      async (argv) => {
        code = await echoCommand({ ws: argv.ws, wss: argv.wss, host: argv.host, cert: argv.cert, key: argv.key, ca: argv.ca }, io);
      },
    )
    .demandCommand(1, 'name a command: capacity, compare, merge, report, run, broker or echo')
    .strict()
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Throwing is what stops yargs here: a fail handler that returns lets the command run.
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`mqbench: ${err.message}\nRun 'mqbench --help' for the commands and 'mqbench run --help' for the options.\n`);
    return ExitCode.BadInput;
  }
  return code;
}
