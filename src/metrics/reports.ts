/**
 * What a load worker reports to the coordinator: interval snapshots, its health and the final
 * report of a phase (counters, encoded histograms, delivery). Plain, structured-clone-able data.
 */
import type { ConnectionCounts, PublishCounts, TrafficCounts } from './counters.js';
import type { PublisherDelivery, PublisherSent } from './delivery.js';

/** Counters of one interval or a whole phase; all counts are messages unless named bytes. */
export type Counters = TrafficCounts;

export interface IntervalSnapshot extends Counters {
  workerIndex: number;
  t: number;
  /** End-to-end latency (corrected) of messages received in this interval, encoded. */
  e2e: string;
  connections: number;
  /** Clients without a connection at the end of the interval because the target dropped them. */
  down: number;
  /** Acknowledgement latency (QoS 1/2) of the acknowledgements of this interval, encoded; '' when none. */
  ack: string;
  /** Repeat deliveries in this interval (counted in `received` too). */
  duplicates: number;
  /** Messages sent and not yet acknowledged (QoS 1/2) or handed to the socket (QoS 0, WebSocket) at the end of the interval. */
  inflight: number;
  /** Errors by kind so far in the phase (not only in this interval). */
  errors: Record<string, number>;
  /** This worker's event loop over the interval: share of wall time busy (0-100) and delay p99 (microseconds). */
  loop: IntervalLoop;
  /** Largest latency so far of messages sent in the steady window (0: none yet); it only grows, so --abort-on-fail can act on it. */
  steadyMax: { e2e: number; e2eUncorrected: number; ack: number };
  /**
   * Sequence numbers this worker's subscribers skipped (a later message of the same publisher came
   * first) and have not received since, now: the loss seen so far. The phase's lost count is
   * settled at its end (expected minus received); this one is for the progress line.
   */
  missing: number;
}

/**
 * An interval as it leaves a worker: e2e and ack as IntervalCounts' (index, count) pairs, which
 * the main thread encodes (intervalFromWorker) so that no worker spends a second boundary
 * encoding histograms.
 */
export interface WorkerInterval extends Omit<IntervalSnapshot, 'e2e' | 'ack'> {
  e2e: Float64Array;
  ack: Float64Array;
}

export interface IntervalLoop {
  busyPercent: number;
  delayP99Us: number;
}

export interface WorkerHealth {
  workerIndex: number;
  /** After `mqbench merge`: the shard the worker ran in (workerIndex is then its index over all shards). */
  shard?: number;
  /** Event-loop delay p99 over the steady window, microseconds. */
  eventLoopDelayP99: number;
  eventLoopDelayMax: number;
  /** Share of wall time the event loop was busy over the steady window, 0-100. */
  cpuPercent: number;
  /** The worker's V8 heap in use at the end, bytes. */
  heapUsedBytes: number;
  /** Process resident set (shared by all threads), bytes. */
  rssBytes: number;
  connections: number;
  /** Open model: how late sends left versus their schedule, p99 in microseconds. */
  sendLagP99: number;
  /** The same, p50 (absent in results of versions before it). */
  sendLagP50?: number;
  /** Closed model: windows reopened after 1 s without a delivery (messages the target dropped or held). */
  windowStalls: number;
}

export type HistogramName = 'e2e' | 'e2eUncorrected' | 'ack' | 'connect' | 'subscribe' | 'connectTcp' | 'connectTls' | 'connectWs' | 'outage';

/** One worker's figures for one client group (see GroupStats). */
export interface GroupReport extends ConnectionCounts, PublishCounts {
  /** Receiving clients of the group in this worker, and the fewest and most first deliveries one of them got. */
  receivingClients: number;
  minPerClient: number;
  maxPerClient: number;
  retained: number;
  willsReceived: number;
  sessionsResumed: number;
  backlog: number;
  backlogDrainUs: number;
  /** Encoded histograms, microseconds: end-to-end at this group's receivers, connect, will delay. */
  e2e: string;
  connect: string;
  will: string;
}

/** connectFailures counts failed connection attempts of every kind (first connects, late joins, reconnects). */
export interface WorkerPhaseReport extends ConnectionCounts {
  workerIndex: number;
  /** Messages and bytes in the steady window only (by send time), plus all-phase totals. */
  steady: Counters;
  total: Counters;
  /** Clients that joined during the load and could not connect. */
  joinFailures: number;
  /** Why they could not (absent in reports of versions before it was kept). */
  joinErrors?: ConnectFailure[];
  reconnectAttempts: number;
  /**
   * Time without a connection: `clients` that connected at least once, their client-microseconds
   * without a connection in the steady window, how many were still without one at the end, and
   * open-model messages never sent for want of a connection (all, and in the steady window).
   */
  outage: { clients: number; steadyDownUs: number; downAtEnd: number; unsent: number; steadyUnsent: number };
  /** First deliveries that arrived after the drain had ended. */
  afterDrain: number;
  errors: Record<string, number>;
  /** Encoded histograms, microseconds. */
  histograms: Record<HistogramName, string>;
  sent: PublisherSent[];
  delivery: PublisherDelivery[];
  /** By group index. */
  groups: GroupReport[];
  /** Clients of this worker that dropped with a will: the receivers expected per group. */
  willsDropped: Array<{ willId: number; byGroup: number[] }>;
  /**
   * Bytes on the wire in the steady window over every client socket of the phase in this
   * worker (TCP payload, TLS records included); absent when the steady window never began.
   */
  wire?: { bytesSent: number; bytesReceived: number };
  health: WorkerHealth;
}

export interface ConnectFailure {
  clientId: string;
  kind: string;
  message: string;
}

/** Where a phase is, once per second, for the progress line. */
export interface Progress {
  phase: string;
  stage: 'ramp' | 'warmup' | 'steady' | 'drain';
  /** Seconds into the current stage and its length. */
  elapsed: number;
  length: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  p99: number;
  /** Deliveries skipped and still missing now, over every worker (IntervalSnapshot.missing). */
  lost: number;
  /** Errors so far in the phase, every kind. */
  errors: number;
  /** The phase's place in the run (1-based) and the run's phase count; absent where unknown (a capacity search). */
  index?: number;
  count?: number;
  /** Seconds the run still has by its plan: what is left of this phase's load and drain, the later phases' (and repeats'). */
  leftSeconds?: number;
}
