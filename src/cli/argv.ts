/**
 * argv before yargs: `--warmup -2s` joined into `--warmup=-2s` (`-d -2s` into `-d=-2s`).
 * yargs-parser takes a token after an option as its value unless it starts with '-', and only exempts plain negative numbers
 * (`-3`, `-0.5`); `-2s`, `-5%` or `-1KiB` become short flags (-2 -s) and the user reads
 * "Unknown arguments: 2, s" instead of "--warmup: must not be negative". No mqbench option is
 * named with a digit, so a `-<digit>` token after an option that takes a string is its value.
 */
import yargs, { type Argv } from 'yargs';
import { capacityOptions } from './capacity-command.js';
import { compareOptions } from './compare-command.js';
import { reportOptions } from './report-command.js';
import { runOptions } from './run-command.js';

/** '-2s', '-0.5', '-.5s', '-1KiB', '-0x3': a value that starts with a minus sign, not a flag. */
const DASH_VALUE = /^-\.?\d/;

/** args with each `--name <-digit...>` (or `-n <-digit...>`) pair written as `--name=<-digit...>` when the option takes a string. */
export function joinDashValues(args: readonly string[], takesString: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    // Everything after `--` is positional: left as is.
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    // --name, or a one-letter alias (-d -2s).
    const name = /^--([^=]+)$/.exec(arg)?.[1] ?? /^-([a-zA-Z])$/.exec(arg)?.[1];
    if (name !== undefined && next !== undefined && DASH_VALUE.test(next) && takesString(name)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The options of run, capacity, compare and report that take a string value, as the commands declare them to yargs. */
export function stringOptions(): Set<string> {
  const names = new Set<string>();
  for (const declare of [runOptions, capacityOptions, compareOptions, reportOptions] as Array<(y: Argv) => Argv>) {
    // getOptions() is yargs' own record of what each option was declared as (not in @types/yargs).
    const y = declare(yargs([])) as unknown as { getOptions?: () => { string?: string[] } };
    for (const n of y.getOptions?.().string ?? []) names.add(n);
  }
  return names;
}
