/**
 * The command line checked against the commands before yargs parses it, so a typo is answered
 * with what it was meant to be: an unknown command (`mqbench rnu`: did you mean "run"?) and an
 * unknown option of a command (`--duraton`: did you mean --duration?), each exit 2. What a
 * command accepts is read from its own yargs builder, so a new command or flag needs nothing
 * here. yargs' strict mode stays on behind it (extra positionals, and anything missed here).
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { closest } from '../config/suggest.js';

/** Any command module: their argument types differ per command (the handler's parameter makes them invariant) and do not matter here. */
export type AnyCommand = CommandModule<any, any>;

/** What a command accepts, as its builder declares it to yargs (with the global --help, -h, --version). */
export interface Declared {
  /** Option names longer than one letter, hidden ones included. */
  long: string[];
  /** One-letter names and aliases: d for -d. */
  short: string[];
  booleans: string[];
  hidden: string[];
}

/** yargs' own record of the declared options (getOptions is not in @types/yargs). */
interface YargsOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  boolean: string[];
  hiddenOptions: string[];
}

/** 'run [scenario]' -> 'run'. */
export function commandName(m: AnyCommand): string {
  const spec = Array.isArray(m.command) ? m.command[0] : m.command;
  return String(spec ?? '').split(' ')[0] ?? '';
}

/** The options a command declares: its builder run on an empty yargs. */
export function declaredOf(m: AnyCommand | null): Declared {
  const blank = yargs([]) as Argv;
  const built = m === null ? blank : typeof m.builder === 'function' ? (m.builder(blank) as Argv) : blank.options(m.builder ?? {});
  const o = (built as unknown as { getOptions(): YargsOptions }).getOptions();
  const names = new Set([...Object.keys(o.key), ...Object.values(o.alias).flat(), 'help', 'h', 'version']);
  return {
    long: [...names].filter((n) => n.length > 1),
    short: [...names].filter((n) => n.length === 1),
    booleans: o.boolean,
    hidden: o.hiddenOptions,
  };
}

/** 'connectRate' -> 'connect-rate' (yargs accepts both). */
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The options in args (up to `--`) that the command does not declare, as written: '--duraton', '-z'. */
export function unknownOptions(args: readonly string[], d: Declared): string[] {
  const long = new Set(d.long);
  const bool = new Set(d.booleans);
  const known = (name: string): boolean => long.has(name) || long.has(kebab(name)) || d.short.includes(name);
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '--') break;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name !== undefined) {
      const negated = name.startsWith('no-') && bool.has(kebab(name.slice(3)));
      if (!negated && !known(name)) out.push(`--${name}`);
      continue;
    }
    // -d, -ps (letters grouped: each one), -d5s (a value joined on: the first); -5 is a value.
    const letters = /^-([a-zA-Z]+)$/.exec(arg)?.[1] ?? /^-([a-zA-Z])/.exec(arg)?.[1] ?? '';
    for (const l of letters) if (!d.short.includes(l)) out.push(`-${l}`);
  }
  return [...new Set(out)];
}

/** '--duraton' -> '; did you mean --duration?', or where to look. */
function optionHint(option: string, d: Declared, help: string): string {
  if (!option.startsWith('--')) return `; the short options are ${d.short.map((s) => `-${s}`).join(', ')}`;
  const candidates = [...d.long, ...d.booleans.filter((b) => b.length > 1).map((b) => `no-${b}`)];
  const best = closest(option.slice(2), candidates);
  return best !== null ? `; did you mean --${best}?` : ` (${help} lists them)`;
}

/**
 * The lines that say what is wrong with the command line, or null when every command and
 * option is known. commands: every registered command module.
 */
export function usageProblems(args: readonly string[], commands: readonly AnyCommand[]): string[] | null {
  const at = args.findIndex((a) => a === '--' || !a.startsWith('-'));
  const top = declaredOf(null);
  const before = unknownOptions(at === -1 ? args : args.slice(0, at), top);
  const names = commands.map(commandName);
  if (before.length > 0) {
    // Before the command only --help and --version: a command's option there is misplaced, not mistyped.
    return before.map((o) => {
      const best = o.startsWith('--') ? closest(o.slice(2), top.long) : null;
      return `mqbench: unknown option ${o}${best !== null ? `; did you mean --${best}?` : `; a command's options go after it (mqbench ${names[0] ?? 'run'} ${o} ...)`}`;
    });
  }
  const name = at === -1 ? undefined : args[at];
  if (name === undefined || name === '--') return null;
  const command = commands.find((c) => commandName(c) === name);
  if (command === undefined) {
    const best = closest(name, names);
    const list = `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
    return [`mqbench: unknown command "${name}"; ${best !== null ? `did you mean "${best}"?` : `the commands are ${list}`}`, "Run 'mqbench --help' for the commands."];
  }
  const d = declaredOf(command);
  const unknown = unknownOptions(args.slice(at + 1), d);
  if (unknown.length === 0) return null;
  const help = `'mqbench ${name} --help'`;
  return [...unknown.map((o) => `mqbench ${name}: unknown option ${o}${optionHint(o, d, help)}`), `Run ${help} for its options.`];
}
