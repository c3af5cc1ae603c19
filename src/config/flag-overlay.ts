/**
 * The overlay of `mqbench run`'s flags: what the flags set, as typed values (read once by
 * read-flags.ts), and applyOverlay, which puts it on top of a base draft: the defaults with the
 * clients the flags describe (a flags-only run, run-config.ts) or a scenario file (validate.ts).
 * defaults < file < flags.
 */
import type { ShardFlags } from './shard-flags.js';
import type { Transport } from '../drivers/transports.js';
import { fromFlag } from './context.js';
import type { Credentials, ParsedTarget } from './credentials.js';
import type { Target } from './endpoints.js';
import { publishes, type BrokerName, type DriverName, type Protocol, type Threshold } from './model.js';
import type { Qos } from './units.js';
import type { LiveOutputFlags } from './live-outputs.js';
import type { Draft } from './validate.js';

/** Plain WebSocket flags-only runs: echo (round trip per client) or broadcast (publishers to subscribers). */
export type WsRole = 'echo' | 'broadcast';

/** What the flags set; a field is absent when its flag was not given (the base's value stays). */
export interface FlagOverlay {
  /** --target: replaces the base's MQTT targets and their user info. */
  targets?: ParsedTarget[];
  wsTargets?: Target[];
  /** --broker: the broker started when there is no target; replaces the file's broker: and matrix.broker. */
  broker?: BrokerName;
  transport?: Transport;
  qos?: Qos[];
  payload?: { bytes: number; written: string };
  durationMs?: number;
  warmupMs?: number;
  drainMs?: number;
  workers?: number;
  /** New connections per second over all workers; replaces every group's own rate. */
  connectRate?: number;
  connectTimeoutMs?: number;
  keepaliveSeconds?: number;
  noDelay?: boolean;
  driver?: DriverName;
  outDir?: string;
  json?: boolean;
  targetPid?: number;
  /** --ca: verify against this CA (its PEM, null when it could not be read: reported). */
  ca?: { path: string; pem: string | null };
  insecure?: boolean;
  localAddresses?: string[];
  /** --threshold, in order; added after the file's thresholds. */
  thresholds: Threshold[];
  abortOnFail?: boolean;
  /** --username, and the password with the flag that gave it. */
  credentials: Credentials;
  passwordFlag?: '--password' | '--password-file';
  /** What `run` does besides the scenario: repeats, baseline, reports (read by the CLI). */
  run: RunExtras;
}

export interface RunExtras {
  repeat: number;
  /** --baseline: the result file to compare with (read by the CLI), or null. */
  baseline: string | null;
  /** With --baseline: tolerated change in the worse direction, a fraction. */
  maxRegression: number;
  /** With --baseline: latency changes below this are never regressions, microseconds. */
  latencyFloorUs: number;
  /** --report as given (the CLI checks the formats against the reporters), or null. */
  reports: string | null;
  /** --shard and the flags that go with it; null: not sharded. */
  shard: ShardFlags | null;
  /** --run-id, or null (a random one, or with --start-at a derived one). */
  runId: string | null;
  /** --hdr-log: the directory for HdrHistogram interval logs, or null. */
  hdrLog: string | null;
  /** --metrics-listen and --timeline: what follows the run while it runs (opened by the CLI before any load). */
  live: LiveOutputFlags;
}

/** The clients a flags-only run's flags describe (defaults filled in); null with a scenario file. */
export interface Workload {
  protocol: Protocol;
  wsRole: WsRole;
  publishers: number;
  subscribers: number;
  connections: number;
  topic: string;
  /** Open model: messages per second over all publishers; null: closed model. */
  rate: number | null;
  inflight: number;
  /** The groups' transport: --transport, else the first target's scheme, else tcp (ws for plain WebSocket). */
  transport: Transport;
}

/** The scenario file the flags go on top of: its name (for messages) and its targets. */
export interface FileBase {
  file: string;
  targets: readonly Target[];
  wsTargets: readonly Target[];
}

/** Marks a group field as set by a flag, so a problem with it names the flag. */
type SetGroups = (key: string, flag: string, change: (g: Draft['groups'][number]) => boolean) => void;

/**
 * The overlay on top of a draft, flags-only or from a file: each value the flags set replaces the
 * base's and remembers the flag, so problems found later (finishDraft) name it.
 */
export function applyOverlay(d: Draft, o: FlagOverlay): void {
  const s = d.scenario;
  const setGroups: SetGroups = (key, flag, change) => {
    for (const g of d.groups) if (change(g)) g.origin.set(key, fromFlag(flag));
  };
  applyAim(d, o);
  applyPhases(d, o, setGroups);
  if (o.durationMs !== undefined) s.load.durationMs = o.durationMs;
  if (o.warmupMs !== undefined) s.load.warmupMs = o.warmupMs;
  if (o.drainMs !== undefined) s.load.drainMs = o.drainMs;
  if (o.workers !== undefined) s.workers = o.workers;
  if (o.connectRate !== undefined) {
    s.connectRate = o.connectRate;
    setGroups('connectRate', '--connect-rate', (g) => ((g.spec.connectRate = null), true));
  }
  if (o.connectTimeoutMs !== undefined) s.connectTimeoutMs = o.connectTimeoutMs;
  const keepalive = o.keepaliveSeconds;
  if (keepalive !== undefined) setGroups('keepalive', '--keepalive', (g) => ((g.spec.keepaliveSeconds = keepalive), true));
  if (o.noDelay !== undefined) s.noDelay = o.noDelay;
  if (o.driver !== undefined) s.driver = o.driver;
  if (o.outDir !== undefined) s.outDir = o.outDir;
  if (o.json !== undefined) s.json = o.json;
  s.thresholds.push(...o.thresholds);
  if (o.abortOnFail !== undefined) s.abortOnFail = o.abortOnFail;
  if (o.localAddresses !== undefined) s.localAddresses = o.localAddresses;
  if (o.targetPid !== undefined) s.targetPid = o.targetPid;
}

/** Targets, credentials and certificate verification. */
function applyAim(d: Draft, o: FlagOverlay): void {
  const s = d.scenario;
  if (o.targets !== undefined) {
    s.targets = o.targets.map((t) => t.target);
    d.origin.set('target', fromFlag('--target'));
    d.auth.targets = o.targets;
    d.auth.places.target = '--target';
    // Over a file, a password problem is at the flag that replaced the file's key; a flags-only
    // run names --password (FLAG_PLACES) wherever the password came from.
    if (d.auth.explicit.password === undefined && s.file !== null) d.auth.places.password = '--target';
  }
  if (o.wsTargets !== undefined) {
    s.wsTargets = o.wsTargets;
    d.origin.set('wsTarget', fromFlag('--ws-target'));
  }
  // --username, --password, --password-file replace the file's username, password, passwordFile.
  if (o.credentials.username !== undefined) d.auth.explicit.username = o.credentials.username;
  if (o.credentials.password !== undefined) {
    d.auth.explicit.password = o.credentials.password;
    if (s.file !== null) d.auth.places.password = o.passwordFlag ?? '--password';
    d.auth.places.usernameSetting = '--username';
  }
  if (o.ca !== undefined) {
    s.caPath = o.ca.path;
    s.caPem = o.ca.pem;
    s.insecure = false;
  } else if (o.insecure !== undefined) {
    s.insecure = o.insecure;
    if (s.insecure) {
      s.caPath = null;
      s.caPem = null;
    }
  }
}

/** --transport, --qos, --payload, --broker: they replace the matrix's list when it has one, else the groups' value (--qos: the phases; --broker: the scenario's). */
function applyPhases(d: Draft, o: FlagOverlay, setGroups: SetGroups): void {
  const m = d.matrix;
  const b = o.broker;
  if (b !== undefined) {
    d.scenario.broker = b;
    d.origin.set('broker', fromFlag('--broker'));
    if (m?.values.broker !== undefined) {
      m.values.broker = [b];
      m.written.broker = [b];
      m.exclude = m.exclude.filter((x) => x.broker === undefined || x.broker === b);
    }
  }
  const t = o.transport;
  if (t !== undefined) {
    if (m?.values.transport !== undefined) {
      m.values.transport = [t];
      m.written.transport = [t];
      m.exclude = m.exclude.filter((x) => x.transport === undefined || x.transport === t);
    } else setGroups('transport', '--transport', (g) => ((g.spec.transport = t), true));
  }
  if (o.qos !== undefined) {
    if (m !== null) {
      m.values.qos = o.qos;
      m.written.qos = o.qos;
    } else d.matrix = { values: { qos: o.qos }, written: { qos: o.qos }, exclude: [], origin: fromFlag('--qos'), fromFile: false };
  }
  const payload = o.payload;
  if (payload !== undefined) {
    if (m?.values.payload !== undefined) {
      m.values.payload = [payload.bytes];
      m.written.payload = [payload.written];
      m.exclude = m.exclude.filter((x) => x.payload === undefined || x.payload === payload.bytes);
    } else setGroups('payload', '--payload', (g) => publishes(g.spec.role) && ((g.spec.payload = { bytes: payload.bytes, template: null }), true));
  }
}
