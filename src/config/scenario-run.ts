/**
 * A run from a scenario file with flags on top (defaults < file < flags), and the choice
 * between a file, the bundled quickstart scenario and flags alone.
 */
import { TRANSPORTS, type Transport } from '../drivers/transports.js';
import { fromFlag } from './context.js';
import { loadScenarioFile } from './load.js';
import { publishes, type Scenario } from './model.js';
import { finishDraft, readDocument, type Draft } from './validate.js';
import { credentialFlags, readTarget, type ParsedTarget } from './credentials.js';
import { checkOnePerTransport, parseLocalAddresses, readCa, type AddIssue } from './endpoints.js';
import { buildRunConfig, flagList, flagThresholds, readDriver, type ConfigIssue, type RawRunFlags } from './run-config.js';
import { parseDuration, parseQosList, parseRate, parseSize } from './units.js';
import { MAX_KEEPALIVE_SECONDS, MAX_WORKERS, readers, rules } from './value-rules.js';

/** Flags that describe clients: with a file, the file describes them (each names the field to set instead). */
export const CLIENT_FLAGS: ReadonlyArray<{ key: keyof RawRunFlags; flag: string; field: string }> = [
  { key: 'publishers', flag: '--publishers', field: 'clients: on its publishing groups' },
  { key: 'subscribers', flag: '--subscribers', field: 'clients: on its subscribing groups' },
  { key: 'connections', flag: '--connections', field: 'a group with role: connect-only and clients: N' },
  { key: 'protocol', flag: '--protocol', field: 'protocol: on its groups (or matrix.protocol to compare)' },
  { key: 'role', flag: '--role', field: 'role: on its groups' },
  { key: 'topic', flag: '--topic', field: 'topic: on its publishing groups' },
  { key: 'rate', flag: '--rate', field: 'rate: or ratePerClient: on its publishing groups' },
  { key: 'inflight', flag: '--inflight', field: 'inflight: on its publishing groups' },
];

/** Any of these given means "describe the workload from flags"; none given runs the quickstart scenario. */
export const WORKLOAD_FLAGS: ReadonlyArray<keyof RawRunFlags> = [...CLIENT_FLAGS.map((c) => c.key), 'qos', 'payload', 'transport', 'target'];

const given = (v: unknown): boolean => v !== undefined && !(Array.isArray(v) && v.length === 0);

export type RunSource = 'file' | 'quickstart' | 'flags';

/**
 * What `mqbench run [scenario]` runs: the file when given; flags alone when any workload flag is
 * given; else the quickstart scenario (its path from the package), with the remaining flags on top.
 */
export function resolveRun(
  file: string | undefined,
  flags: RawRunFlags,
  interactive: boolean,
  quickstart: string,
): ({ config: Scenario } | { issues: ConfigIssue[] }) & { source: RunSource } {
  if (file !== undefined && file !== '') return { ...buildScenarioRun(file, flags, interactive), source: 'file' };
  if (WORKLOAD_FLAGS.some((k) => given(flags[k]))) return { ...buildRunConfig(flags, interactive), source: 'flags' };
  return { ...buildScenarioRun(quickstart, flags, interactive), source: 'quickstart' };
}

/** Reads, validates and resolves a scenario file with the flags applied on top; every problem at once. */
export function buildScenarioRun(file: string, flags: RawRunFlags, interactive: boolean): { config: Scenario } | { issues: ConfigIssue[] } {
  const loaded = loadScenarioFile(file);
  if ('issues' in loaded) return loaded;
  const draft = readDocument(loaded.source, interactive);
  applyFlags(draft, flags, file);
  return finishDraft(draft);
}

/** Flags replace what the file says; each replaced value remembers the flag, so later problems name it. */
export function applyFlags(d: Draft, raw: RawRunFlags, file: string): void {
  const p = d.problems;
  const add: AddIssue = (where, message) => p.addAt(where, message);
  const failed = (where: string): boolean => p.hasAt(where);
  const { int, unit } = readers(add);
  const s = d.scenario;
  const groups = d.groups;
  const setGroups = (key: string, flag: string, change: (g: (typeof groups)[number]) => boolean): void => {
    for (const g of groups) if (change(g)) g.origin.set(key, fromFlag(flag));
  };

  for (const c of CLIENT_FLAGS) {
    if (given(raw[c.key])) add(c.flag, `describes clients, which the scenario file ${file} does; set ${c.field} in the file instead`);
  }
  if (given(raw.target)) {
    const parsed = targetsOf(raw.target, '--target', 'mqtt', add);
    s.targets = parsed.map((t) => t.target);
    d.origin.set('target', fromFlag('--target'));
    d.auth.targets = parsed;
    d.auth.places.target = '--target';
    if (d.auth.explicit.password === undefined) d.auth.places.password = '--target';
  }
  if (given(raw.wsTarget)) {
    s.wsTargets = targetsOf(raw.wsTarget, '--ws-target', 'ws', add).map((t) => t.target);
    d.origin.set('wsTarget', fromFlag('--ws-target'));
  }
  // --username, --password, --password-file replace the file's username, password, passwordFile.
  const credentials = credentialFlags(raw, add);
  if (credentials.username !== undefined) d.auth.explicit.username = credentials.username;
  if (credentials.password !== undefined) {
    d.auth.explicit.password = credentials.password;
    d.auth.places.password = raw.password !== undefined ? '--password' : '--password-file';
    d.auth.places.usernameSetting = '--username';
  }
  if (given(raw.transport)) {
    const t = String(raw.transport);
    if (!(TRANSPORTS as readonly string[]).includes(t)) add('--transport', `'${t}' is not a transport; use tcp, tls, ws or wss`);
    else if (d.matrix?.values.transport !== undefined) {
      d.matrix.values.transport = [t as Transport];
      d.matrix.written.transport = [t];
      d.matrix.exclude = d.matrix.exclude.filter((x) => x.transport === undefined || x.transport === t);
    } else {
      setGroups('transport', '--transport', (g) => ((g.spec.transport = t as Transport), true));
    }
  }
  if (given(raw.qos)) {
    const qos = unit('--qos', raw.qos, '', parseQosList, null);
    if (qos !== null) {
      if (d.matrix !== null) {
        d.matrix.values.qos = qos;
        d.matrix.written.qos = qos;
      } else d.matrix = { values: { qos }, written: { qos }, exclude: [], origin: fromFlag('--qos'), fromFile: false };
    }
  }
  if (given(raw.payload)) {
    const bytes = unit('--payload', raw.payload, '', parseSize, null);
    const bad = bytes === null ? null : rules.payload(bytes, (size) => `--payload ${size}`);
    if (bad !== null) add('--payload', bad);
    else if (bytes !== null) {
      if (d.matrix?.values.payload !== undefined) {
        d.matrix.values.payload = [bytes];
        d.matrix.written.payload = [String(raw.payload)];
        d.matrix.exclude = d.matrix.exclude.filter((x) => x.payload === undefined || x.payload === bytes);
      } else setGroups('payload', '--payload', (g) => publishes(g.spec.role) && ((g.spec.payload = { bytes, template: null }), true));
    }
  }
  const duration = (flag: string, v: unknown): number | null => (given(v) ? unit(flag, v, '', parseDuration, null) : null);
  const durationMs = duration('--duration', raw.duration);
  if (durationMs !== null) {
    const short = rules.duration(durationMs);
    if (short !== null) add('--duration', short);
    s.load.durationMs = durationMs;
  }
  s.load.warmupMs = duration('--warmup', raw.warmup) ?? s.load.warmupMs;
  s.load.drainMs = duration('--drain', raw.drain) ?? s.load.drainMs;
  if (given(raw.workers)) s.workers = int('--workers', raw.workers, s.workers, 1, MAX_WORKERS);
  if (given(raw.connectRate)) {
    s.connectRate = unit('--connect-rate', raw.connectRate, '', parseRate, s.connectRate);
    setGroups('connectRate', '--connect-rate', (g) => ((g.spec.connectRate = null), true));
  }
  if (given(raw.connectTimeout)) {
    s.connectTimeoutMs = unit('--connect-timeout', raw.connectTimeout, '', parseDuration, s.connectTimeoutMs);
    const short = failed('--connect-timeout') ? null : rules.connectTimeout(s.connectTimeoutMs);
    if (short !== null) add('--connect-timeout', short);
  }
  if (given(raw.keepalive)) {
    const k = int('--keepalive', raw.keepalive, -1, 0, MAX_KEEPALIVE_SECONDS);
    if (k >= 0) setGroups('keepalive', '--keepalive', (g) => ((g.spec.keepaliveSeconds = k), true));
  }
  if (raw.nodelay !== undefined) s.noDelay = Boolean(raw.nodelay);
  const driver = readDriver(raw.driver, '--driver', add);
  if (driver !== null) s.driver = driver;
  if (given(raw.out)) {
    s.outDir = String(raw.out);
    if (s.outDir.trim() === '') add('--out', 'must name a directory');
  }
  if (raw.json !== undefined) s.json = Boolean(raw.json);
  s.thresholds.push(...flagThresholds(raw.threshold, add));
  if (raw.abortOnFail !== undefined) s.abortOnFail = Boolean(raw.abortOnFail);
  const caFlag = given(raw.ca) && raw.ca !== '' ? String(raw.ca) : null;
  if (caFlag !== null && raw.insecure === true) add('--ca/--insecure', 'choose one: --ca FILE verifies the broker against that CA, --insecure skips verification');
  else if (caFlag !== null) {
    s.caPath = caFlag;
    s.caPem = readCa(caFlag, '--ca', add);
    s.insecure = false;
  } else if (raw.insecure !== undefined) {
    s.insecure = Boolean(raw.insecure);
    if (s.insecure) {
      s.caPath = null;
      s.caPem = null;
    }
  }
  if (given(raw.localAddress)) s.localAddresses = parseLocalAddresses(raw.localAddress, '--local-address', add);
  if (given(raw.targetPid)) {
    s.targetPid = int('--target-pid', raw.targetPid, 0, 1, 2 ** 22);
    if (s.targets.length === 0 && s.wsTargets.length === 0 && !failed('--target')) {
      add('--target-pid', 'only applies with --target or target: in the file (the bundled broker is measured anyway)');
    }
  }
}

function targetsOf(raw: unknown, flag: string, kind: 'mqtt' | 'ws', add: AddIssue): ParsedTarget[] {
  const list = flagList(raw)
    .map((u) => readTarget(u, flag, add, kind))
    .filter((t): t is ParsedTarget => t !== null);
  checkOnePerTransport(list.map((t) => t.target), flag, add);
  return list;
}
