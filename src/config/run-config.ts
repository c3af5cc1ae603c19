/**
 * Runs described by flags alone: every flag validated (all problems at once) and turned into
 * the same resolved Scenario a scenario file gives (src/config/model.ts), so nothing
 * downstream reads raw flags. Scenario files plus flags: src/config/scenario-run.ts.
 */
import { availableParallelism } from 'node:os';
import type { Transport } from '../drivers/transports.js';
import { defaultGroup } from './defaults.js';
import { DEFAULT_DRIVER, DRIVERS, type DriverName, type GroupSpec, type MatrixCell, type Protocol, type Scenario } from './model.js';
import { topicProblems } from './topics.js';
import type { Threshold } from './model.js';
import { parseThreshold } from '../gates/threshold.js';
import { credentialFlags, FLAG_PLACES, readTarget, refuseCredentials, resolveCredentials, type ParsedTarget } from './credentials.js';
import { checkOnePerTransport, parseLocalAddresses, readCa, SCHEMES, type AddIssue, type Target } from './endpoints.js';
import { parseDuration, parseQosList, parseRate, parseSize, type Qos } from './units.js';
import { MAX_INFLIGHT, MAX_KEEPALIVE_SECONDS, MAX_WORKERS, readers, rules } from './value-rules.js';

export type { Qos } from './units.js';
export type { Protocol } from './model.js';
export { SCHEMES, type Target } from './endpoints.js';
export { MAX_WORKERS } from './value-rules.js';

/** The configuration of a run is the resolved scenario; the old name stays for the engine. */
export type RunConfig = Scenario;

/** Plain WebSocket flags-only runs: echo (round trip per client) or broadcast (publishers to subscribers). */
export type WsRole = 'echo' | 'broadcast';

export interface ConfigIssue {
  /** Where the problem is: a flag such as '--rate', or a file position such as 'fan-in.yaml: groups[1].qos (line 9)'. */
  where: string;
  /** What is wrong and what would be valid. */
  message: string;
}

/** Raw flag values as yargs hands them over (strings or numbers, possibly undefined; repeated flags as arrays). */
export interface RawRunFlags {
  target?: string | string[] | undefined;
  wsTarget?: string | string[] | undefined;
  publishers?: unknown;
  subscribers?: unknown;
  qos?: unknown;
  rate?: unknown;
  inflight?: unknown;
  payload?: unknown;
  duration?: unknown;
  warmup?: unknown;
  drain?: unknown;
  topic?: unknown;
  workers?: unknown;
  connectRate?: unknown;
  connectTimeout?: unknown;
  keepalive?: unknown;
  nodelay?: unknown;
  driver?: unknown;
  out?: unknown;
  json?: unknown;
  targetPid?: unknown;
  transport?: unknown;
  ca?: unknown;
  insecure?: unknown;
  localAddress?: unknown;
  connections?: unknown;
  protocol?: unknown;
  role?: unknown;
  threshold?: unknown;
  abortOnFail?: unknown;
  baseline?: unknown;
  maxRegression?: unknown;
  latencyFloor?: unknown;
  repeat?: unknown;
  report?: unknown;
  username?: unknown;
  password?: unknown;
  passwordFile?: unknown;
}

export const RUN_DEFAULTS = {
  publishers: 1,
  subscribers: 1,
  qos: '0,1,2',
  inflight: 100,
  payload: '16B',
  duration: '10s',
  warmup: '2s',
  drain: '5s',
  topic: 'mqbench/{run}/{client}',
  connectRate: '500/s',
  connectTimeout: '5s',
  keepalive: 30,
  out: 'results',
} as const;

/** The default worker count: one per core, capped. */
export function defaultWorkers(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

/** A repeatable string flag as a list; '' entries mean none. */
export function flagList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String).filter((s) => s !== '');
}

/** Validates every flag of a flags-only run and returns the scenario, or every problem found. */
export function buildRunConfig(raw: RawRunFlags, interactive: boolean): { config: Scenario } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const add: AddIssue = (where, message) => {
    issues.push({ where, message });
  };
  const { int, unit } = readers(add);
  const failedAt = (where: string): boolean => issues.some((i) => i.where === where);

  const targetUrls = flagList(raw.target);
  const parsedTargets = targetUrls.map((u) => readTarget(u, '--target', add)).filter((t): t is ParsedTarget => t !== null);
  const targets = parsedTargets.map((t) => t.target);
  const wsTargetsFlag = flagList(raw.wsTarget)
    .map((u) => readTarget(u, '--ws-target', add, 'ws')?.target ?? null)
    .filter((t): t is Target => t !== null);
  const protocol = oneOf('--protocol', raw.protocol, ['mqtt', 'ws'] as const, 'mqtt', add);
  const wsRole = oneOf('--role', raw.role, ['echo', 'broadcast'] as const, 'echo', add);
  if (raw.role !== undefined && protocol !== 'ws') add('--role', 'applies to --protocol ws only (MQTT phases publish and subscribe)');
  // With --protocol ws, --target names the plain WebSocket server.
  const aimed = protocol === 'ws' ? [...targets, ...wsTargetsFlag] : targets;
  checkOnePerTransport(targets, '--target', add);
  checkOnePerTransport(wsTargetsFlag, '--ws-target', add);
  const transport = resolveTransport(raw.transport, aimed, protocol, add);
  const publishers = int('--publishers', raw.publishers, RUN_DEFAULTS.publishers, 0, 1_000_000);
  const subscribers = int('--subscribers', raw.subscribers, RUN_DEFAULTS.subscribers, 0, 1_000_000);
  const connections = int('--connections', raw.connections, 0, 0, 10_000_000);
  if (publishers === 0 && connections === 0 && !failedAt('--publishers')) {
    add('--publishers', 'at least one publisher (or --connections N idle clients) is needed to measure anything; use --publishers 1 or more');
  }
  if (protocol === 'ws' && connections > 0) add('--connections', 'idle connect-only clients are MQTT clients; drop --connections or use --protocol mqtt');
  const insecure = Boolean(raw.insecure);
  const caPath = raw.ca === undefined || raw.ca === '' ? null : String(raw.ca);
  const caPem = caPath === null ? null : readCa(caPath, '--ca', add);
  if (caPath !== null && insecure) add('--ca/--insecure', 'choose one: --ca FILE verifies the broker against that CA, --insecure skips verification');
  const localAddresses = parseLocalAddresses(raw.localAddress, '--local-address', add);
  const qos = unit('--qos', raw.qos, RUN_DEFAULTS.qos, parseQosList, [0] as Qos[]);
  const rate = raw.rate === undefined ? null : unit('--rate', raw.rate, 1, parseRate, 1);
  const inflight = int('--inflight', raw.inflight, RUN_DEFAULTS.inflight, 1, MAX_INFLIGHT);
  if (rate !== null && raw.inflight !== undefined) {
    add('--rate/--inflight', 'choose one load model: --rate N (open model, constant arrival) or --inflight N (closed model, fixed window), not both');
  }
  const tooFast = rate === null ? null : rules.ratePerClient(rate, publishers, 'publisher(s)');
  if (tooFast !== null) add('--rate', tooFast);
  const payloadBytes = unit('--payload', raw.payload, RUN_DEFAULTS.payload, parseSize, 16);
  const badPayload = failedAt('--payload') ? null : rules.payload(payloadBytes, (s) => `--payload ${s}`);
  if (badPayload !== null) add('--payload', badPayload);
  const durationMs = unit('--duration', raw.duration, RUN_DEFAULTS.duration, parseDuration, 10_000);
  const shortRun = failedAt('--duration') ? null : rules.duration(durationMs);
  if (shortRun !== null) add('--duration', shortRun);
  const warmupMs = unit('--warmup', raw.warmup, RUN_DEFAULTS.warmup, parseDuration, 2000);
  const drainMs = unit('--drain', raw.drain, RUN_DEFAULTS.drain, parseDuration, 5000);
  const topic = raw.topic === undefined ? RUN_DEFAULTS.topic : String(raw.topic);
  for (const m of topicProblems(topic)) add('--topic', m);
  const workers = int('--workers', raw.workers, defaultWorkers(), 1, MAX_WORKERS);
  const connectRate = unit('--connect-rate', raw.connectRate, RUN_DEFAULTS.connectRate, parseRate, 500);
  const connectTimeoutMs = unit('--connect-timeout', raw.connectTimeout, RUN_DEFAULTS.connectTimeout, parseDuration, 5000);
  const shortTimeout = failedAt('--connect-timeout') ? null : rules.connectTimeout(connectTimeoutMs);
  if (shortTimeout !== null) add('--connect-timeout', shortTimeout);
  const keepaliveSeconds = int('--keepalive', raw.keepalive, RUN_DEFAULTS.keepalive, 0, MAX_KEEPALIVE_SECONDS);
  const outDir = raw.out === undefined ? RUN_DEFAULTS.out : String(raw.out);
  if (outDir.trim() === '') add('--out', 'must name a directory');
  const targetPid = raw.targetPid === undefined ? null : int('--target-pid', raw.targetPid, 0, 1, 2 ** 22);
  if (targetPid !== null && targetUrls.length === 0 && !failedAt('--target')) add('--target-pid', 'only applies with --target (the bundled broker is measured anyway)');
  const thresholds = flagThresholds(raw.threshold, add);
  const explicitCredentials = credentialFlags(raw, add);
  if (protocol === 'ws') {
    refuseCredentials(explicitCredentials, '--username/--password', 'a user name or password', add);
    for (const t of parsedTargets) refuseCredentials(t.user, '--target', `the user info of ${t.target.url}`, add);
  }
  const credentials = protocol === 'ws' ? {} : resolveCredentials(explicitCredentials, parsedTargets, FLAG_PLACES, add);

  if (issues.length > 0) return { issues };

  const group = (name: string, role: GroupSpec['role'], clients: number): GroupSpec => ({
    ...defaultGroup(name, role, protocol),
    transport,
    clients,
    topic,
    qos: protocol === 'ws' ? 0 : (qos[0] ?? 0),
    payload: { bytes: payloadBytes, template: null },
    keepaliveSeconds,
    ...(role === 'publish' || role === 'echo' ? { rate, inflight: rate === null ? inflight : null } : {}),
  });
  const groups: GroupSpec[] =
    protocol === 'ws'
      ? wsRole === 'echo'
        ? [group('echo', 'echo', publishers)]
        : [group('publishers', 'publish', publishers), group('subscribers', 'subscribe', subscribers)]
      : [group('publishers', 'publish', publishers), group('subscribers', 'subscribe', subscribers), group('connections', 'connect-only', connections)];
  const kept = groups.filter((g) => g.clients > 0);
  // MQTT: one phase per QoS level; with nobody publishing the QoS makes no difference, so one phase.
  const cells: MatrixCell[] = protocol === 'ws' ? [{}] : publishers === 0 ? qos.slice(0, 1).map((q) => ({ qos: q })) : qos.map((q) => ({ qos: q }));
  return {
    config: {
      name: 'flags',
      description: null,
      file: null,
      targets: protocol === 'ws' ? [] : targets,
      wsTargets: protocol === 'ws' ? aimed : wsTargetsFlag,
      caPem,
      caPath,
      insecure,
      localAddresses,
      workers,
      connectRate,
      connectTimeoutMs,
      noDelay: raw.nodelay === undefined ? true : Boolean(raw.nodelay),
      driver: readDriver(raw.driver, '--driver', add) ?? DEFAULT_DRIVER,
      load: { stages: [], warmupMs, durationMs, drainMs },
      groups: kept,
      matrix: null,
      cells,
      outDir,
      json: Boolean(raw.json),
      targetPid,
      interactive,
      thresholds,
      abortOnFail: raw.abortOnFail === true,
      credentials,
    },
  };
}

/** The --threshold flags (repeatable), each parsed; a bad one is an issue at --threshold. */
export function flagThresholds(raw: unknown, add: AddIssue): Threshold[] {
  const out: Threshold[] = [];
  for (const [i, text] of flagList(raw).entries()) {
    const r = parseThreshold(text, 'flag', i);
    if (r.ok) out.push(r.threshold);
    else add('--threshold', r.error);
  }
  return out;
}

export function oneOf<T extends string>(where: string, raw: unknown, allowed: readonly T[], fallback: T, add: AddIssue): T {
  if (raw === undefined || raw === '') return fallback;
  const value = String(raw);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  add(where, `'${value}' is not one of ${allowed.join(', ')}`);
  return fallback;
}

/** The transport of a flags-only run: --transport, else the first target's scheme, else tcp (ws for plain WebSocket). */
function resolveTransport(raw: unknown, targets: readonly Target[], protocol: Protocol, add: AddIssue): Transport {
  const first = targets[0] ?? null;
  const fallback: Transport = first?.transport ?? (protocol === 'ws' ? 'ws' : 'tcp');
  if (protocol === 'ws') {
    for (const t of targets) {
      if (t.transport === 'tcp' || t.transport === 'tls') add('--target', `plain WebSocket needs a ws:// or wss:// target, not ${t.url}`);
    }
  }
  if (raw === undefined || raw === '') return fallback;
  const value = String(raw);
  if (protocol === 'ws' && value !== 'ws' && value !== 'wss') {
    add('--transport', `plain WebSocket runs over ws or wss, not ${value}`);
    return 'ws';
  }
  if (!Object.hasOwn(SCHEMES, value)) {
    add('--transport', `'${value}' is not a transport; use tcp, tls, ws or wss`);
    return 'tcp';
  }
  const transport = value as Transport;
  if (first !== null && !targets.some((t) => t.transport === transport)) {
    add(
      '--transport',
      targets.length === 1
        ? `--transport ${transport} contradicts --target ${first.url} (${first.transport}); the target's scheme decides, drop --transport or use ${SCHEMES[transport].scheme}://`
        : `--transport ${transport} has no --target among ${targets.map((t) => t.url).join(', ')}; add a ${SCHEMES[transport].scheme}:// target or drop --transport`,
    );
  }
  return transport;
}

/** `--driver` (or the scenario's `driver:`): lean or mqttjs; null when not given or wrong (reported). */
export function readDriver(raw: unknown, where: string, add: (where: string, message: string) => void): DriverName | null {
  if (raw === undefined || raw === null) return null;
  const v = String(raw);
  if ((DRIVERS as readonly string[]).includes(v)) return v as DriverName;
  add(where, `'${v}' is not a driver; use lean (mqbench's own MQTT engine) or mqttjs (MQTT.js, the reference client)`);
  return null;
}
