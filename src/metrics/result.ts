/**
 * The result document (schemaVersion 1). Fields may be added; none renamed without a new
 * schemaVersion. Latencies in microseconds, rates per second.
 */
import type { LatencySummary } from './histogram.js';
import type { PhaseParams } from '../plan/plan.js';
import type { BrokerName, GroupRole, MatrixCell, MqttVersion, Protocol } from '../config/model.js';
import type { Transport } from '../drivers/transports.js';
import type { WorkerHealth } from './reports.js';
import type { ConnectionCounts, DeliveryCounts, PublishCounts } from './counters.js';
import type { MetricUnit } from '../config/units.js';
import type { CapacitySection } from './capacity-result.js';

export const SCHEMA_VERSION = 1;

export type RunStatus = 'completed' | 'interrupted' | 'failed';
/** 'degraded': the phase ran to its end, but the target was away for too much of the steady window (see PhaseResult.outage). */
export type PhaseStatus = 'completed' | 'degraded' | 'interrupted' | 'failed' | 'skipped';

/**
 * connectFailures: failed connection attempts (first connects, late joins and reconnect attempts);
 * reconnects: successful reconnects after drops; disconnects: established connections closed by
 * the target or the network during the phase.
 */
export interface PhaseCounters extends PublishCounts, DeliveryCounts, ConnectionCounts {
  /** Reconnect attempts after drops, successful or not (absent in results before it was counted). */
  reconnectAttempts?: number;
  /** Of the lost messages of QoS 1/2 publishers: never acknowledged by the broker (PUBACK/PUBCOMP). */
  lostNotAcknowledged?: number;
  /** Of the lost messages of QoS 1/2 publishers: acknowledged by the broker, never delivered to an expected subscriber (held or dropped by the broker). */
  lostAcknowledged?: number;
  /** First deliveries that arrived only after the drain had ended (counted as received, not lost). */
  deliveredAfterDrain?: number;
  errors: Record<string, number>;
}

/** Time the clients of a phase spent without a connection because the target dropped them. */
export interface PhaseOutage {
  /** Share of the steady window (client-seconds without a connection over clients x seconds), 0-1. */
  share: number;
  /** The share above which the phase is 'degraded'. */
  limit: number;
  /** Clients still without a connection when the phase ended. */
  downAtEnd: number;
  /** Open model: messages that fell due while their client had no connection and were not sent (all of the phase). */
  unsent: number;
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
  /** Clients without a connection because the target dropped them (absent in older results). */
  down?: number;
  /** With --repeat N: which repeat (1-based) this point belongs to; t restarts at each repeat. Absent for a single run. */
  repeat?: number;
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
  /** The broker mqbench started for the phase (`--broker`, `broker:`, matrix.broker); absent for a named target or a plain WebSocket phase (and in older results). */
  broker?: BrokerName;
  /** Broker process CPU in the steady window, seconds (bundled, or when a pid was given). */
  cpuSeconds: number | null;
  cpuMicrosPerMessage: number | null;
}

/**
 * One client group's figures in a phase. Receiving figures count what reached this group's clients:
 * sent/acked are what its clients published and the acknowledgements they got; expected (each
 * message once per matching client, once per shared subscription) to outOfOrder, what came of it.
 */
export interface GroupResult extends ConnectionCounts, PublishCounts, DeliveryCounts {
  name: string;
  role: GroupRole;
  protocol: Protocol;
  transport: Transport;
  mqttVersion: MqttVersion;
  qos: 0 | 1 | 2 | null;
  clients: number;
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
    /** Per client and drop: time from the drop until it was connected again (or the phase ended). Absent in older results. */
    outage: LatencySummary;
  };
  outage?: PhaseOutage;
  timeline: TimelinePoint[];
  generator: GeneratorHealth;
  target: TargetUsage;
  /** Per client group, in the scenario's order. */
  groups: GroupResult[];
  /** Delivery problems that fail the phase (QoS 1/2 loss, QoS 2 duplicates, missing wills, clients that could not join). */
  deliveryFailures: string[];
  /**
   * Bytes on the wire in the steady window, every client socket of the phase, both directions,
   * TCP payload (MQTT or WebSocket framing, TLS records included; TCP/IP headers not).
   * bytesPerMessage: (sent + received) / messages received in the steady window.
   */
  wire?: { bytesSent: number; bytesReceived: number; bytesPerMessage: number | null };
  /** With --repeat N: the headline figures of each repeat (metric name -> value), for the noise estimate. */
  repeats?: RepeatFigures[];
}

/** One repeat's figures of a phase, by metric name (metrics/names.ts: 'received.rate', 'e2e.p99', ...). */
export type RepeatFigures = Record<string, number | null>;

/** One gate: a threshold on one phase, a delivery check, or a comparison with the baseline. One JUnit test case each. */
export interface GateResult {
  kind: 'threshold' | 'delivery' | 'baseline' | 'run';
  /** e.g. 'mqtt.e2e.qos1.p99 < 20ms [mqtt-tcp-qos1]' */
  name: string;
  /** The phase checked; null for a run-wide gate. */
  phase: string | null;
  /** The threshold as written, for kind 'threshold'. */
  expression?: string;
  /** Where the threshold came from. */
  source?: 'scenario' | 'flag';
  passed: boolean;
  /** The measured value, in the metric's unit (microseconds, per second, count, bytes, percent), and as shown. */
  value?: number | null;
  measured?: string;
  /** Why it failed (or what passed), one line. */
  message: string;
}

export type ComparisonVerdict = 'improved' | 'unchanged' | 'within-noise' | 'regression' | 'missing';

/** One metric of one phase, base versus head. */
export interface ComparisonRow {
  phase: string;
  /** Metric name within a phase (metrics/names.ts), e.g. 'received.rate', 'e2e.p99'. */
  metric: string;
  unit: MetricUnit;
  /** Which way is better; null for figures that describe the load (sent, received), which are shown, not judged. */
  better: 'higher' | 'lower' | null;
  base: number | null;
  head: number | null;
  /** (head - base) / base; null when either is missing or base is 0. */
  change: number | null;
  verdict: ComparisonVerdict;
  /** Two-sided p-value of the significance test on the samples; null when there were too few. */
  pValue: number | null;
  /** What the noise estimate came from, and how many samples each side had. */
  samples: { kind: 'repeats' | 'seconds' | 'exact' | 'none'; base: number; head: number };
  /** One line: why this verdict. */
  note: string;
}

export interface Comparison {
  base: { file: string; runId: string; startedAt: string };
  head: { file: string; runId: string; startedAt: string };
  /** Tolerance, a fraction (0.1 for 10%). */
  maxRegression: number;
  /** How a regression is told from noise, in words (shown in reports). */
  method: string;
  rows: ComparisonRow[];
  /** Phases present on one side only. */
  onlyInBase: string[];
  onlyInHead: string[];
  regressions: number;
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
  /** driver: the MQTT client driver (absent in results from before there were two). */
  sockets: { noDelay: boolean; workers: number; driver?: 'lean' | 'mqttjs' };
  phases: PhaseResult[];
  /** Errors the bundled broker saw on client connections (message -> count). */
  targetErrors?: Record<string, number>;
  /** Every gate checked: thresholds per phase, delivery checks, baseline comparisons. */
  gates?: GateResult[];
  /** With --baseline: this run compared with the baseline result. */
  baseline?: Comparison;
  /** With --repeat N: how many times the scenario ran; phases hold all repeats merged. */
  repeat?: { count: number; runIds: string[] };
  /** `mqbench capacity`: the search, its levels (each one of `phases`) and its answer. */
  capacity?: CapacitySection;
  verdict: { passed: boolean; failures: string[] };
}
