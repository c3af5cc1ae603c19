/**
 * The one flag reader of `mqbench run`: every flag of the table (run-flags.ts) read and checked
 * here, once, in the same words with or without a scenario file, into the overlay
 * (flag-overlay.ts) and, for a flags-only run, the workload its client flags describe.
 */
import { readRunExtras } from './run-extras.js';
import { TRANSPORTS, type Transport } from '../drivers/transports.js';
import { parseThreshold } from '../gates/threshold.js';
import { credentialFlags, readTarget, refuseCredentials, type ParsedTarget } from './credentials.js';
import { checkOnePerTransport, parseLocalAddresses, readCa, SCHEMES, type AddIssue, type Target } from './endpoints.js';
import type { FileBase, FlagOverlay, Workload, WsRole } from './flag-overlay.js';
import type { Protocol, Threshold } from './model.js';
import { CLIENT_FLAGS, given, RUN_FLAGS, type RawRunFlags } from './run-flags.js';
import { topicProblems } from './topics.js';
import { parseFlagDuration, parseQosList, parseRate, parseSize } from './units.js';
import { MAX_CLIENTS, MAX_INFLIGHT, MAX_KEEPALIVE_SECONDS, MAX_WORKERS, oneOf, readBroker, readDriver, readers, rules, type Readers } from './value-rules.js';

/** Most clients --publishers or --subscribers asks for. */
const MAX_CLIENT_FLAG = 1_000_000;
const MAX_PID = 2 ** 22;

/** A repeatable string flag as a list; '' entries mean none. */
export function flagList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String).filter((s) => s !== '');
}

/** Repeatable threshold flags (--threshold, capacity's --slo), each parsed; a bad one is an issue at the flag. */
export function flagThresholds(raw: unknown, add: AddIssue, flag = '--threshold'): Threshold[] {
  const out: Threshold[] = [];
  for (const [i, text] of flagList(raw).entries()) {
    const r = parseThreshold(text, 'flag', i);
    if (r.ok) out.push(r.threshold);
    else add(flag, r.error);
  }
  return out;
}

function targetsOf(raw: unknown, flag: string, kind: 'mqtt' | 'ws', add: AddIssue): ParsedTarget[] {
  return flagList(raw)
    .map((u) => readTarget(u, flag, add, kind))
    .filter((t): t is ParsedTarget => t !== null);
}

/** A reading in progress: the flags, the overlay being filled, and the flags found wrong so far. */
interface Reading extends Readers {
  raw: RawRunFlags;
  o: FlagOverlay;
  note: AddIssue;
  failed: Set<string>;
}

/** Where the run connects, read first: its targets, and for a flags-only run the protocol and role. */
interface Aim {
  /** null with a scenario file (whose groups say). */
  protocol: Protocol | null;
  wsRole: WsRole;
  /** The servers the flags name for this run's clients (with --protocol ws, --target is the WebSocket server). */
  aimed: Target[];
}

/**
 * Every flag read and checked, every problem reported through `add`. base: the scenario file the
 * flags go on top of, or null for a flags-only run, whose client flags are read into the workload.
 * The order of the reads is the order of the problems in the list the user gets.
 */
export function readFlags(raw: RawRunFlags, base: FileBase | null, add: AddIssue): { overlay: FlagOverlay; workload: Workload | null } {
  const failed = new Set<string>();
  const note: AddIssue = (where, message) => {
    failed.add(where);
    add(where, message);
  };
  // run: the extras' defaults until the flags are read, last (the order of the problems).
  const r: Reading = { raw, o: { thresholds: [], credentials: {}, run: readRunExtras({}, note) }, note, failed, ...readers(note) };
  if (base !== null) {
    for (const c of CLIENT_FLAGS) {
      if (given(raw[c.key])) note(c.flag, `describes clients, which the scenario file ${base.file} does; set ${c.field} in the file instead`);
    }
  }
  const aim = readAim(r, base === null);
  readBrokerFlag(r, aim, base);
  const workload = base === null ? readClients(r, aim) : null;
  readTls(r);
  if (given(raw.qos) || base === null) {
    const qos = r.unit('--qos', raw.qos, RUN_FLAGS.qos.default, parseQosList, null);
    if (qos !== null) r.o.qos = qos;
  }
  if (workload !== null) readLoadModel(r, workload);
  readTimes(r);
  if (workload !== null && raw.topic !== undefined) {
    workload.topic = String(raw.topic);
    for (const m of topicProblems(workload.topic)) note('--topic', m);
  }
  readConnecting(r, base);
  readOutputs(r, aim);
  r.o.run = readRunExtras(raw, note);
  return { overlay: r.o, workload };
}

/** --target, --ws-target; a flags-only run's --protocol and --role, and --transport against them. */
function readAim(r: Reading, flagsOnly: boolean): Aim {
  const { raw, o, note } = r;
  const targets = given(raw.target) ? targetsOf(raw.target, '--target', 'mqtt', note) : undefined;
  const wsTargets = given(raw.wsTarget) ? targetsOf(raw.wsTarget, '--ws-target', 'ws', note).map((t) => t.target) : undefined;
  const protocol = flagsOnly ? oneOf('--protocol', raw.protocol, ['mqtt', 'ws'] as const, RUN_FLAGS.protocol.default, note) : null;
  const wsRole = flagsOnly ? oneOf('--role', raw.role, ['echo', 'broadcast'] as const, RUN_FLAGS.role.default, note) : 'echo';
  if (flagsOnly && raw.role !== undefined && protocol !== 'ws') note('--role', 'applies to --protocol ws only (MQTT phases publish and subscribe)');
  if (targets !== undefined) {
    checkOnePerTransport(targets.map((t) => t.target), '--target', note);
    o.targets = targets;
  }
  if (wsTargets !== undefined) {
    checkOnePerTransport(wsTargets, '--ws-target', note);
    o.wsTargets = wsTargets;
  }
  const mqtt = (o.targets ?? []).map((t) => t.target);
  const aimed = protocol === 'ws' ? [...mqtt, ...(o.wsTargets ?? [])] : mqtt;
  if (protocol === 'ws') {
    for (const t of aimed) if (t.transport === 'tcp' || t.transport === 'tls') note('--target', `plain WebSocket needs a ws:// or wss:// target, not ${t.url}`);
  }
  const transport = readTransport(raw.transport, protocol, flagsOnly ? aimed : null, note);
  if (transport !== undefined) o.transport = transport;
  return { protocol, wsRole, aimed };
}

/** --broker: the broker started when no target is named, so not with one (--target, or the file's target:), nor for plain WebSocket. */
function readBrokerFlag(r: Reading, aim: Aim, base: FileBase | null): void {
  const broker = readBroker(r.raw.broker, '--broker', r.note);
  if (broker === null) return;
  const named = r.o.targets !== undefined ? '--target' : base !== null && base.targets.length > 0 ? `target: in ${base.file}` : null;
  if (aim.protocol === 'ws') r.note('--broker', 'starts an MQTT broker, and a --protocol ws run has no MQTT clients; drop --broker');
  else if (named !== null) r.note('--broker', `starts a broker for the run, and ${named} names one; they exclude each other: drop one`);
  else r.o.broker = broker;
}

/** A flags-only run's clients: --publishers, --subscribers, --connections (--rate, --inflight and --topic come later). */
function readClients(r: Reading, aim: Aim): Workload {
  const { raw, note } = r;
  const publishers = r.int('--publishers', raw.publishers, RUN_FLAGS.publishers.default, 0, MAX_CLIENT_FLAG);
  const subscribers = r.int('--subscribers', raw.subscribers, RUN_FLAGS.subscribers.default, 0, MAX_CLIENT_FLAG);
  const connections = r.int('--connections', raw.connections, RUN_FLAGS.connections.default, 0, MAX_CLIENTS);
  if (publishers === 0 && connections === 0 && !r.failed.has('--publishers')) {
    note('--publishers', 'at least one publisher (or --connections N idle clients) is needed to measure anything; use --publishers 1 or more');
  }
  if (aim.protocol === 'ws' && connections > 0) note('--connections', 'idle connect-only clients are MQTT clients; drop --connections or use --protocol mqtt');
  return {
    protocol: aim.protocol ?? 'mqtt',
    wsRole: aim.wsRole,
    publishers,
    subscribers,
    connections,
    topic: RUN_FLAGS.topic.default,
    rate: null,
    inflight: RUN_FLAGS.inflight.default,
    transport: r.o.transport ?? aim.aimed[0]?.transport ?? (aim.protocol === 'ws' ? 'ws' : 'tcp'),
  };
}

/** --ca, --insecure (one or the other), --local-address. */
function readTls(r: Reading): void {
  const { raw, o, note } = r;
  const caPath = given(raw.ca) && raw.ca !== '' ? String(raw.ca) : null;
  if (caPath !== null) o.ca = { path: caPath, pem: readCa(caPath, '--ca', note) };
  if (raw.insecure !== undefined) o.insecure = Boolean(raw.insecure);
  if (caPath !== null && o.insecure === true) note('--ca/--insecure', 'choose one: --ca FILE verifies the broker against that CA, --insecure skips verification');
  if (given(raw.localAddress)) o.localAddresses = parseLocalAddresses(raw.localAddress, '--local-address', note);
}

/** A flags-only run's load model: --rate (open) or --inflight (closed), not both. */
function readLoadModel(r: Reading, w: Workload): void {
  const { raw, note } = r;
  if (raw.rate !== undefined) w.rate = r.unit('--rate', raw.rate, 1, parseRate, 1);
  w.inflight = r.int('--inflight', raw.inflight, w.inflight, 1, MAX_INFLIGHT);
  if (w.rate !== null && raw.inflight !== undefined) {
    note('--rate/--inflight', 'choose one load model: --rate N (open model, constant arrival) or --inflight N (closed model, fixed window), not both');
  }
  const tooFast = w.rate === null ? null : rules.ratePerClient(w.rate, w.publishers, 'publisher(s)');
  if (tooFast !== null) note('--rate', tooFast);
}

/** --payload, --duration, --warmup, --drain. */
function readTimes(r: Reading): void {
  const { raw, o, note } = r;
  if (given(raw.payload)) {
    const bytes = r.unit('--payload', raw.payload, '', parseSize, null);
    const bad = bytes === null ? null : rules.payload(bytes, (size) => `--payload ${size}`);
    if (bad !== null) note('--payload', bad);
    else if (bytes !== null) o.payload = { bytes, written: String(raw.payload) };
  }
  const duration = (flag: string, v: unknown): number | undefined => (given(v) ? (r.unit(flag, v, '', parseFlagDuration, null) ?? undefined) : undefined);
  const durationMs = duration('--duration', raw.duration);
  const shortRun = durationMs === undefined ? null : rules.duration(durationMs);
  if (shortRun !== null) note('--duration', shortRun);
  const warmupMs = duration('--warmup', raw.warmup);
  const drainMs = duration('--drain', raw.drain);
  if (durationMs !== undefined) o.durationMs = durationMs;
  if (warmupMs !== undefined) o.warmupMs = warmupMs;
  if (drainMs !== undefined) o.drainMs = drainMs;
}

/** --workers, --connect-rate, --connect-timeout, --keepalive, --out, --target-pid (which needs a target). */
function readConnecting(r: Reading, base: FileBase | null): void {
  const { raw, o, note } = r;
  if (given(raw.workers)) o.workers = r.int('--workers', raw.workers, 1, 1, MAX_WORKERS);
  if (given(raw.connectRate)) o.connectRate = r.unit('--connect-rate', raw.connectRate, '', parseRate, 1);
  if (given(raw.connectTimeout)) {
    o.connectTimeoutMs = r.unit('--connect-timeout', raw.connectTimeout, '', parseFlagDuration, 100);
    const short = r.failed.has('--connect-timeout') ? null : rules.connectTimeout(o.connectTimeoutMs);
    if (short !== null) note('--connect-timeout', short);
  }
  if (given(raw.keepalive)) {
    const k = r.int('--keepalive', raw.keepalive, -1, 0, MAX_KEEPALIVE_SECONDS);
    if (k >= 0) o.keepaliveSeconds = k;
  }
  if (given(raw.out)) {
    o.outDir = String(raw.out);
    if (o.outDir.trim() === '') note('--out', 'must name a directory');
  }
  if (given(raw.targetPid)) {
    o.targetPid = r.int('--target-pid', raw.targetPid, 0, 1, MAX_PID);
    // A flags-only run measures the --target broker; with a file, its target: or a ws server counts too.
    const aimedAt = base === null ? (o.targets?.length ?? 0) : (o.targets?.length ?? base.targets.length) + (o.wsTargets?.length ?? base.wsTargets.length);
    if (aimedAt === 0 && !r.failed.has('--target')) {
      note('--target-pid', `only applies with --target${base === null ? '' : ' or target: in the file'} (the bundled broker is measured anyway)`);
    }
  }
}

/** --threshold, --username/--password/--password-file (none for plain WebSocket), --nodelay, --driver, --json, --abort-on-fail. */
function readOutputs(r: Reading, aim: Aim): void {
  const { raw, o, note } = r;
  o.thresholds = flagThresholds(raw.threshold, note);
  o.credentials = credentialFlags(raw, note);
  if (o.credentials.password !== undefined) o.passwordFlag = raw.password !== undefined ? '--password' : '--password-file';
  if (aim.protocol === 'ws') {
    refuseCredentials(o.credentials, '--username/--password', 'a user name or password', note);
    for (const t of o.targets ?? []) refuseCredentials(t.user, '--target', `the user info of ${t.target.url}`, note);
  }
  if (raw.nodelay !== undefined) o.noDelay = Boolean(raw.nodelay);
  const driver = readDriver(raw.driver, '--driver', note);
  if (driver !== null) o.driver = driver;
  if (raw.json !== undefined) o.json = Boolean(raw.json);
  if (raw.abortOnFail !== undefined) o.abortOnFail = Boolean(raw.abortOnFail);
}

/**
 * --transport: a transport's name. A flags-only run (targets given, possibly none) also checks it
 * against --protocol ws and against the targets, whose scheme decides.
 */
function readTransport(raw: unknown, protocol: Protocol | null, targets: readonly Target[] | null, add: AddIssue): Transport | undefined {
  if (!given(raw) || raw === '') return undefined;
  const value = String(raw);
  if (protocol === 'ws' && value !== 'ws' && value !== 'wss') {
    add('--transport', `plain WebSocket runs over ws or wss, not ${value}`);
    return undefined;
  }
  if (!(TRANSPORTS as readonly string[]).includes(value)) {
    add('--transport', `'${value}' is not a transport; use tcp, tls, ws or wss`);
    return undefined;
  }
  const transport = value as Transport;
  const first = targets?.[0];
  if (targets !== null && first !== undefined && !targets.some((t) => t.transport === transport)) {
    add(
      '--transport',
      targets.length === 1
        ? `--transport ${transport} contradicts --target ${first.url} (${first.transport}); the target's scheme decides, drop --transport or use ${SCHEMES[transport].scheme}://`
        : `--transport ${transport} has no --target among ${targets.map((t) => t.url).join(', ')}; add a ${SCHEMES[transport].scheme}:// target or drop --transport`,
    );
  }
  return transport;
}
