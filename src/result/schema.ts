/**
 * The result document (schemaVersion 1). Fields may be added; none renamed without a new
 * schemaVersion. Latencies in microseconds, rates per second.
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { PhaseParams } from '../plan/plan.js';
import type { GroupRole, MatrixCell, MqttVersion, Protocol } from '../scenario/model.js';
import type { Transport } from '../drivers/transports.js';
import type { WorkerHealth } from '../coordinator/protocol.js';

export const SCHEMA_VERSION = 1;

export type RunStatus = 'completed' | 'interrupted' | 'failed';
export type PhaseStatus = 'completed' | 'interrupted' | 'failed' | 'skipped';

export interface PhaseCounters {
  sent: number;
  acked: number;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  connects: number;
  connectFailures: number;
  reconnects: number;
  /** Established connections that were closed by the target or the network during the phase. */
  disconnects: number;
  errors: Record<string, number>;
}

export interface PhaseRates {
  sentPerSecond: number;
  receivedPerSecond: number;
  bytesSentPerSecond: number;
  bytesReceivedPerSecond: number;
}

export interface TimelinePoint {
  /** Seconds since the phase's load started (ramp and warm-up included). */
  t: number;
  /** The part of the phase this second belongs to; only 'steady' counts toward the figures. */
  stage: 'ramp' | 'warmup' | 'steady' | 'drain';
  /** Ramp or warm-up: excluded from the figures. */
  warmup: boolean;
  sent: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
  p50: number;
  p99: number;
  connections: number;
}

export interface GeneratorHealth {
  /** True when the load generator, not the target, was the limit: figures are the tool's, not the target's. */
  saturated: boolean;
  reasons: string[];
  /** CPU time of the whole mqbench process (all threads) in the steady window, seconds. */
  cpuSeconds: number;
  /** Generator CPU per delivered message, microseconds. */
  cpuMicrosPerMessage: number | null;
  workers: WorkerHealth[];
}

export interface TargetUsage {
  /** 'bundled' when mqbench started the broker (its CPU is then measured), else 'external'. */
  kind: 'bundled' | 'external';
  url: string;
  /** Broker process CPU in the steady window, seconds (bundled, or when a pid was given). */
  cpuSeconds: number | null;
  cpuMicrosPerMessage: number | null;
}

/** One client group's figures in a phase. Receiving figures count what reached this group's clients. */
export interface GroupResult {
  name: string;
  role: GroupRole;
  protocol: Protocol;
  transport: Transport;
  mqttVersion: MqttVersion;
  qos: 0 | 1 | 2 | null;
  clients: number;
  connects: number;
  connectFailures: number;
  disconnects: number;
  reconnects: number;
  /** Messages this group's clients published, and the acknowledgements they got. */
  sent: number;
  acked: number;
  /** Messages expected at this group's clients (each once per matching client, once per shared subscription), and what came. */
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** First deliveries per receiving client: the fewest and the most any one client got. */
  receivedPerClient: { min: number; max: number };
  /** Deliveries with the retain flag set: retained values handed over on subscribe. */
  retained: number;
  /** Wills of dropped clients expected at this group's clients, and received. */
  wills: { expected: number; received: number };
  /** Comebacks after going offline where the broker still held the session. */
  sessionsResumed: number;
  /** Messages sent while this group's clients were offline and delivered after they came back; drainMs: comeback to the last of them (the slowest client). */
  backlog: { messages: number; drainMs: number };
  latency: { e2e: LatencySummary; connect: LatencySummary; will: LatencySummary };
}

export interface PhaseResult {
  name: string;
  status: PhaseStatus;
  /** Why the phase failed or stopped early. */
  error?: string;
  /** The matrix values of this phase; {} without a matrix. */
  cell: MatrixCell;
  params: PhaseParams & { rampSeconds: number; warmupSeconds: number; drainSeconds: number };
  /** The steady window actually measured, seconds. */
  durationSeconds: number;
  /** Time to connect (and subscribe) every client of the phase at the paced connect rate, seconds. */
  connectSeconds: number;
  /** How long the drain took, seconds, and whether every expected message arrived in it. */
  drain: { seconds: number; complete: boolean };
  counters: PhaseCounters;
  rates: PhaseRates;
  latency: {
    e2e: LatencySummary;
    e2eUncorrected: LatencySummary;
    ack: LatencySummary;
    connect: LatencySummary;
    subscribe: LatencySummary;
    /** Connect stages from the start of each connection: TCP connected, TLS handshake done, WebSocket open. */
    connectTcp: LatencySummary;
    connectTls: LatencySummary;
    connectWs: LatencySummary;
  };
  timeline: TimelinePoint[];
  generator: GeneratorHealth;
  target: TargetUsage;
  /** Per client group, in the scenario's order. */
  groups: GroupResult[];
  /** Delivery problems that fail the phase (QoS 1/2 loss, QoS 2 duplicates, missing wills, clients that could not join). */
  deliveryFailures: string[];
}

export interface ResultDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'mqbench'; version: string };
  env: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; memoryBytes: number; hostname: string };
  runId: string;
  status: RunStatus;
  /** When status is not 'completed': what stopped the run. */
  error?: string;
  startedAt: string;
  endedAt: string;
  command: string[];
  scenario: Record<string, unknown>;
  /** Socket and client choices that affect figures. */
  sockets: { noDelay: boolean; workers: number };
  phases: PhaseResult[];
  /** Errors the bundled broker saw on client connections (message -> count). */
  targetErrors?: Record<string, number>;
  verdict: { passed: boolean; failures: string[] };
}
