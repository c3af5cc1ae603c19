/**
 * The per-worker recorder of one phase: counters (all-phase and steady window), latency
 * histograms, the current one-second interval and errors by kind. The steady window is
 * judged by the time an event happens; latencies count toward it by their intended send
 * time, so warm-up messages never leak into the reported percentiles.
 */
import type { Counters, IntervalLoop, WorkerInterval } from './reports.js';
import type { ErrorKind } from '../drivers/errors.js';
import { BatchedHistogram, encode, IntervalCounts, newHistogram, record, type Histogram } from './histogram.js';

const zero = (): Counters => ({ sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0 });

export class Recorder {
  readonly total = zero();
  readonly steady = zero();
  private interval = zero();
  /** Recorded once per message (delivery, acknowledgement, send): batched (histogram.ts). */
  readonly e2e = new BatchedHistogram();
  readonly e2eUncorrected = new BatchedHistogram();
  readonly ack = new BatchedHistogram();
  readonly connect = newHistogram();
  readonly subscribe = newHistogram();
  /** Connect stages: TCP connected, TLS handshake done, WebSocket upgraded (from the start). */
  readonly connectTcp = newHistogram();
  readonly connectTls = newHistogram();
  readonly connectWs = newHistogram();
  /** Open model: actual minus intended send time. */
  readonly sendLag = new BatchedHistogram();
  private readonly intervalE2e = new IntervalCounts();
  /** Acknowledgement latency and repeat deliveries of the current interval (any stage). */
  private readonly intervalAck = new IntervalCounts();
  private intervalDuplicates = 0;
  readonly errors: Record<string, number> = {};
  /** Time without a connection per client, from its drop until it was back (or the phase ended), microseconds. */
  readonly outageHistogram = newHistogram();
  connects = 0;
  /** Failed connection attempts: first connects, late joins and reconnect attempts alike. */
  connectFailures = 0;
  /** Of those, clients that joined during the load and never got in. */
  joinFailures = 0;
  /** Reconnect attempts after drops (each try, successful or not). */
  reconnectAttempts = 0;
  reconnects = 0;
  /** Established connections the target (or the network) closed. */
  disconnects = 0;
  /** Client-microseconds without a connection inside the steady window. */
  steadyDownUs = 0;
  /** Open model: messages due in the steady window while their client had no connection, never sent. */
  steadyUnsent = 0;
  /** First deliveries that arrived after the drain had ended (still counted as delivered). */
  afterDrain = 0;
  /** When the drain ended (shared clock); Infinity before. */
  drainEndUs = Number.POSITIVE_INFINITY;

  /** Microseconds on the shared clock; Infinity until the run starts. */
  steadyStartUs = Number.POSITIVE_INFINITY;
  /** Set when publishing stops: later events are drain, not steady. */
  steadyEndUs = Number.POSITIVE_INFINITY;

  private inSteady(nowUs: number): boolean {
    return nowUs >= this.steadyStartUs && nowUs < this.steadyEndUs;
  }

  /** A client had no connection from `fromUs` to `toUs`: its outage, and the part inside the steady window. */
  outage(fromUs: number, toUs: number): void {
    record(this.outageHistogram, toUs - fromUs);
    const overlap = Math.min(toUs, this.steadyEndUs) - Math.max(fromUs, this.steadyStartUs);
    if (overlap > 0) this.steadyDownUs += overlap;
  }

  /**
   * Open model: `count` messages, due from `firstDueUs` every `intervalUs`, fell due while the
   * client had no connection and were skipped; those due inside the steady window count there.
   */
  unsent(firstDueUs: number, intervalUs: number, count: number): void {
    if (count <= 0) return;
    if (intervalUs <= 0) {
      if (this.inSteady(firstDueUs)) this.steadyUnsent += count;
      return;
    }
    const from = Math.max(0, Math.ceil((this.steadyStartUs - firstDueUs) / intervalUs));
    const to = Math.min(count, Math.ceil((this.steadyEndUs - firstDueUs) / intervalUs));
    if (to > from) this.steadyUnsent += to - from;
  }

  error(kind: ErrorKind): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  sent(nowUs: number, bytes: number, lagUs: number): void {
    this.total.sent++;
    this.total.bytesSent += bytes;
    this.interval.sent++;
    this.interval.bytesSent += bytes;
    if (this.inSteady(nowUs)) {
      this.steady.sent++;
      this.steady.bytesSent += bytes;
      this.sendLag.record(lagUs);
    }
  }

  acked(nowUs: number, intendedUs: number, ackUs: number): void {
    this.total.acked++;
    this.interval.acked++;
    if (this.inSteady(nowUs)) this.steady.acked++;
    this.intervalAck.record(ackUs);
    if (intendedUs >= this.steadyStartUs) this.ack.record(ackUs);
  }

  /** A first delivery; duplicates are counted by the delivery tracker, not timed. */
  received(nowUs: number, bytes: number, intendedUs: number, correctedUs: number, uncorrectedUs: number): void {
    this.total.received++;
    this.total.bytesReceived += bytes;
    this.interval.received++;
    this.interval.bytesReceived += bytes;
    if (this.inSteady(nowUs)) {
      this.steady.received++;
      this.steady.bytesReceived += bytes;
    }
    this.intervalE2e.record(correctedUs);
    if (intendedUs >= this.steadyStartUs) {
      this.e2e.record(correctedUs);
      this.e2eUncorrected.record(uncorrectedUs);
    }
  }

  /** A first delivery whose send time is another machine's clock (--shard without --clock-sync): counted like any, in the steady window too, not timed. */
  receivedUnclocked(nowUs: number, bytes: number): void {
    this.receivedUntimed(bytes);
    if (this.inSteady(nowUs)) {
      this.steady.received++;
      this.steady.bytesReceived += bytes;
    }
  }

  /** A repeat delivery still moved bytes. */
  receivedDuplicate(bytes: number): void {
    this.intervalDuplicates++;
    this.receivedUntimed(bytes);
  }

  /** A delivery counted but not timed (a repeat, a retained value as old as its publish). */
  receivedUntimed(bytes: number): void {
    this.total.received++;
    this.total.bytesReceived += bytes;
    this.interval.received++;
    this.interval.bytesReceived += bytes;
  }

  /** Hands over the interval since the last call and starts a new one; `live`: the worker's gauges at its end. */
  takeInterval(workerIndex: number, t: number, live: IntervalLive): WorkerInterval {
    const snap: WorkerInterval = {
      ...this.interval,
      workerIndex,
      t,
      e2e: this.intervalE2e.take(),
      connections: live.connections,
      down: live.down,
      ack: this.intervalAck.take(),
      duplicates: this.intervalDuplicates,
      inflight: live.inflight,
      errors: { ...this.errors },
      loop: live.loop,
      steadyMax: { e2e: this.e2e.maxValue, e2eUncorrected: this.e2eUncorrected.maxValue, ack: this.ack.maxValue },
      missing: live.missing,
    };
    this.interval = zero();
    this.intervalDuplicates = 0;
    return snap;
  }
}

/** What the worker knows at the end of an interval besides the recorder's counts. */
export interface IntervalLive {
  connections: number;
  down: number;
  inflight: number;
  loop: IntervalLoop;
  /** Sequence numbers this worker's subscribers skipped and have not received since (the progress line's live loss). */
  missing: number;
}

export function encodeOrEmpty(h: Histogram): string {
  return h.totalCount === 0 ? '' : encode(h);
}
