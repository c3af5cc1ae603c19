/**
 * Flags from the environment: MQBENCH_<FLAG> (MQBENCH_CONNECT_RATE for --connect-rate) sets a
 * flag of `run` or `capacity` that the command line does not give. The values join the command
 * line's below them, so the overlay puts them on a scenario file (flag-overlay.ts): flags >
 * environment > scenario file > defaults. Only the flags a command declares are read; other
 * MQBENCH_ variables (MQBENCH_CERT_DIR, test knobs) are not flags and are left alone.
 */
import type { ConfigIssue } from './issue.js';
import { camelName, runFlag, RUN_FLAG_NAMES } from './run-flags.js';

export const ENV_PREFIX = 'MQBENCH_';

/** 'connect-rate' -> 'MQBENCH_CONNECT_RATE'. */
export function envName(flag: string): string {
  return `${ENV_PREFIX}${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** A flag the environment may set: its name (kebab case) and whether it takes a value. */
export interface EnvFlag {
  name: string;
  type: 'string' | 'boolean';
}

/** What the environment sets, layered under the command line. */
export interface EnvLayer<T> {
  /** The command line's flags over the environment's, keyed like the command line's (camel case). */
  flags: T;
  /** '--duration' -> 'MQBENCH_DURATION' for each flag whose value came from the environment. */
  fromEnv: ReadonlyMap<string, string>;
  /** Variables whose value cannot be the flag's (a boolean that is not true or false). */
  issues: ConfigIssue[];
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/**
 * The command line's flags (camel-case keys, undefined when not given) over the environment's.
 * An empty variable counts as unset (CI templates export empty ones); a repeatable flag takes
 * one value from its variable.
 */
export function layerEnv<T extends object>(cli: T, declared: readonly EnvFlag[], env: NodeJS.ProcessEnv): EnvLayer<T> {
  const flags: Record<string, unknown> = { ...(cli as Record<string, unknown>) };
  const fromEnv = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const { name, type } of declared) {
    const key = camelName(name);
    const variable = envName(name);
    const text = env[variable];
    if (flags[key] !== undefined || text === undefined || text.trim() === '') continue;
    fromEnv.set(`--${name}`, variable);
    if (type === 'string') {
      flags[key] = text;
      continue;
    }
    const word = text.trim().toLowerCase();
    if (TRUE.includes(word)) flags[key] = true;
    else if (FALSE.includes(word)) flags[key] = false;
    else issues.push({ where: variable, message: `'${text}' is not true or false; set ${variable}=true or ${variable}=false (or 1/0), or unset it` });
  }
  return { flags: flags as T, fromEnv, issues };
}

/** Issues at a flag the environment set name its variable instead: '--duration: ...' -> 'MQBENCH_DURATION: ...'. */
export function envWhere(issues: readonly ConfigIssue[], fromEnv: ReadonlyMap<string, string>): ConfigIssue[] {
  if (fromEnv.size === 0) return [...issues];
  return issues.map((i) => ({ ...i, where: i.where.replace(/--[a-z][a-z0-9-]*/g, (flag) => fromEnv.get(flag) ?? flag) }));
}

/** The flags of `run` (and the run flags of `capacity`) the environment may set: the whole table. */
export const RUN_ENV_FLAGS: readonly EnvFlag[] = RUN_FLAG_NAMES.map((name) => ({ name, type: runFlag(name).type }));
