/** `run <args>` parsed with the yargs options main.ts declares for it (src/cli/run-command.ts), strict: the argv a test reads. */
import yargs from 'yargs';
import { runOptions } from '../../src/cli/run-command.js';

export async function parseRun(args: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  await yargs(['run', ...args])
    .command('run [scenario]', 'run', (y) => runOptions(y), (argv) => {
      seen = argv as Record<string, unknown>;
    })
    .strict()
    .parseAsync();
  return seen;
}
