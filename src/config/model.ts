/**
 * The resolved scenario: what a run does, as plain data. A scenario file, the flags, or
 * both (defaults < file < flags) are validated into this once; the planner, the workers and
 * the result read only this. Times are milliseconds, rates per second, sizes bytes.
 */
import type { Credentials } from './credentials.js';
import type { Target } from './endpoints.js';
import type { MetricUnit, Qos } from './units.js';
import type { Transport } from '../drivers/transports.js';

export type Protocol = 'mqtt' | 'ws';

/** A threshold as parsed from its expression (gates/threshold.ts parses and checks it). */
export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  /** As written (trimmed). */
  expression: string;
  /** 'all', 'mqtt', 'ws', a phase name, or a phase-name prefix ending at a dash ('mqtt-tcp'). */
  scope: string;
  qos: 0 | 1 | 2 | null;
  /** The metric's name (metrics/names.ts), e.g. 'e2e.p99', and its unit. */
  metric: string;
  unit: MetricUnit;
  op: Op;
  /** In the metric's unit (microseconds, per second, bytes, percent, count, 0/1). */
  value: number;
  source: 'scenario' | 'flag';
  /** Position in the file's thresholds: list (or among the flags). */
  index: number;
}


/**
 * publish: sends on its topic. subscribe: receives on its filters. both: does both. echo:
 * a round trip per client (plain WebSocket: the echo server; MQTT: the client subscribes to its
 * own topic, so each message goes through the broker and back). connect-only: holds an idle
 * connection (keepalive pings only).
 */
/** MQTT client drivers: mqbench's own lean engine, or MQTT.js as the independent reference. */
export const DRIVERS = ['lean', 'mqttjs'] as const;
export type DriverName = (typeof DRIVERS)[number];
/** The driver when none is named. */
export const DEFAULT_DRIVER: DriverName = 'lean';

/**
 * The brokers mqbench starts itself when no target is named: aedes (embedded, MQTT 3.1.1, the
 * default) or Debian's mosquitto (MQTT 5 and shared subscriptions; needs the binary installed).
 */
export const BROKERS = ['aedes', 'mosquitto'] as const;
export type BrokerName = (typeof BROKERS)[number];
export const DEFAULT_BROKER: BrokerName = 'aedes';

export type GroupRole = 'publish' | 'subscribe' | 'both' | 'echo' | 'connect-only';
export const GROUP_ROLES: readonly GroupRole[] = ['publish', 'subscribe', 'both', 'echo', 'connect-only'];

/** MQTT protocol level: 4 is 3.1.1, 5 is MQTT 5. */
export type MqttVersion = 4 | 5;

export interface PayloadSpec {
  /** Bytes per message including the 16-byte measurement header. */
  bytes: number;
  /**
   * Text after the header, rendered per message: {client}, {group}, {n}, {seq}, {time} (epoch
   * ms). When set, the size is the header plus the rendered text and `bytes` is only the estimate.
   */
  template: string | null;
}

export interface WillSpec {
  /** Topic template, like a publish topic. */
  topic: string;
  qos: Qos;
  retain: boolean;
}

export interface GroupSpec {
  name: string;
  protocol: Protocol;
  transport: Transport;
  mqttVersion: MqttVersion;
  clients: number;
  /** New connections per second for this group over all workers; null: the scenario's connectRate. */
  connectRate: number | null;
  role: GroupRole;
  /** Publish topic template: {client}, {group}, {n} (1-based index in the group), {worker}, {run}. */
  topic: string;
  /**
   * Subscription filter templates (subscribe, both), wildcards and $share/<name>/... allowed, same
   * variables as topics. Empty: every publishing group's topic with its templated levels as '+'.
   */
  filters: string[];
  qos: Qos;
  payload: PayloadSpec;
  retain: boolean;
  /** Open model: messages per second over the whole group; null: closed model. */
  rate: number | null;
  /** Closed model: messages in flight per client; null in the open model. */
  inflight: number | null;
  /** Most messages each client publishes in the phase; null: no limit. */
  messages: number | null;
  /** Clean session (3.1.1) / clean start (5). False: a persistent session the broker keeps. */
  clean: boolean;
  /** MQTT 5 session expiry interval in seconds; null: not sent. */
  sessionExpirySeconds: number | null;
  will: WillSpec | null;
  keepaliveSeconds: number;
  /** MQTT 5 user properties sent with every publish; empty: none. */
  userProperties: Record<string, string>;
  /** MQTT 5 message expiry interval in seconds on every publish; null: none. */
  messageExpirySeconds: number | null;
  /** MQTT 5: let the client assign topic aliases (within the broker's Topic Alias Maximum). */
  topicAlias: boolean;
  /** Clients join (connect, subscribe, publish) this long after the load starts; 0: before it starts. */
  startMs: number;
  /** Each client disconnects at `atMs` after the load starts and comes back `forMs` later with the same id and session. */
  offline: { atMs: number; forMs: number } | null;
  /** Each client drops its connection without DISCONNECT at `atMs` after the load starts (its will goes out); it stays away. */
  drop: { atMs: number } | null;
}

/** A ramp stage: the level moves linearly from the previous stage's level (0 before the first) to `level` over `durationMs`. */
export interface Stage {
  durationMs: number;
  /** rate: scales every open-model group's rate; clients: the share of each group's clients connected. */
  kind: 'rate' | 'clients';
  /** 1 is 100% of the group's configured rate or clients. Clients stages are at most 1 and never fall. */
  level: number;
}

/**
 * Timeline of a phase: ramp stages (measured, not in the verdict), warm-up at 100% (measured,
 * not in the verdict), steady at 100% (the figures and the verdict), drain (in-flight messages
 * awaited; nothing new sent).
 */
export interface LoadShape {
  stages: Stage[];
  warmupMs: number;
  durationMs: number;
  drainMs: number;
}

/** One matrix combination: each key present overrides that field in every group it applies to. */
export interface MatrixCell {
  qos?: Qos;
  transport?: Transport;
  protocol?: Protocol;
  /** Payload size in bytes (publishing groups). */
  payload?: number;
  /** The broker mqbench starts for the phase (no target named); changes no group. */
  broker?: BrokerName;
}
export type MatrixKey = keyof MatrixCell;
/** Expansion order, the first changing slowest: broker last, so one workload's brokers run side by side. */
export const MATRIX_KEYS: readonly MatrixKey[] = ['protocol', 'transport', 'qos', 'payload', 'broker'];

export interface Scenario {
  /** From the file's `name` (default: the file name without extension), or 'flags' for a run from flags alone. */
  name: string;
  description: string | null;
  /** The scenario file as given, or null. */
  file: string | null;
  /** MQTT brokers to load, at most one per transport; empty: the bundled broker. */
  targets: Target[];
  /** The broker started for MQTT groups when `targets` is empty (a matrix cell's broker wins); file `broker:` or --broker. */
  broker: BrokerName;
  /** Plain WebSocket servers (echo and broadcast), ws and/or wss; empty: the bundled echo server. */
  wsTargets: Target[];
  caPem: string | null;
  caPath: string | null;
  insecure: boolean;
  localAddresses: string[];
  workers: number;
  /** Default new connections per second over all workers, for groups without their own. */
  connectRate: number;
  connectTimeoutMs: number;
  noDelay: boolean;
  /** The MQTT client driver: 'lean' (mqbench's own engine, the default) or 'mqttjs' (MQTT.js, the reference). Absent: the default. */
  driver?: DriverName;
  load: LoadShape;
  groups: GroupSpec[];
  /** The matrix as written (values as given), or null. */
  matrix: Partial<Record<MatrixKey, Array<string | number>>> | null;
  /** One phase per cell, in order; [{}] without a matrix. */
  cells: MatrixCell[];
  outDir: string;
  json: boolean;
  targetPid: number | null;
  interactive: boolean;
  /** Gates on the result: the file's `thresholds:`, then each --threshold flag. */
  thresholds: Threshold[];
  /** `mqbench capacity`: the file's `slo:` (thresholds every level must meet); `mqbench run` ignores it. Absent: none. */
  slo?: Threshold[];
  /** Stop the run as soon as a gate can no longer pass (file `abortOnFail:` or --abort-on-fail). */
  abortOnFail: boolean;
  /**
   * MQTT CONNECT user name and password (--username/--password/--password-file, the file's
   * username/password/passwordFile, or target user info); absent: none sent. Kept out of the result.
   */
  credentials?: Credentials;
}

/** Roles that publish messages. */
export function publishes(role: GroupRole): boolean {
  return role === 'publish' || role === 'both' || role === 'echo';
}

/** Roles that receive messages. */
export function receives(role: GroupRole): boolean {
  return role === 'subscribe' || role === 'both' || role === 'echo';
}

/** The groups of one matrix cell: each key of the cell replaces that field where it applies. */
export function applyCell(groups: readonly GroupSpec[], cell: MatrixCell): GroupSpec[] {
  return groups.map((g) => {
    const out: GroupSpec = { ...g };
    if (cell.protocol !== undefined) {
      out.protocol = cell.protocol;
      // Plain WebSocket has no tcp/tls: a group left on an MQTT-only transport moves to ws (wss for tls).
      if (cell.protocol === 'ws' && cell.transport === undefined && (g.transport === 'tcp' || g.transport === 'tls')) out.transport = g.transport === 'tls' ? 'wss' : 'ws';
    }
    if (cell.transport !== undefined) out.transport = cell.transport;
    if (cell.qos !== undefined) out.qos = cell.qos;
    if (cell.payload !== undefined && publishes(g.role)) out.payload = { bytes: cell.payload, template: null };
    return out;
  });
}

/** e.g. 'protocol=ws transport=wss qos=1 payload=1024B', for messages. */
export function cellLabel(cell: MatrixCell): string {
  return MATRIX_KEYS.filter((k) => cell[k] !== undefined)
    .map((k) => `${k}=${k === 'payload' ? `${cell[k]}B` : String(cell[k])}`)
    .join(' ');
}
