/**
 * One publishing client and its schedule. Open model: messages are due at fixed intervals
 * and carry their intended time, so a stalled target shows up as latency (coordinated
 * omission corrected, as wrk2 does). Closed model: a fixed window of messages in flight,
 * each counted until acknowledged (QoS 1/2) and delivered to every matching subscriber.
 */
import type { PublishSink, SinkListener } from '../drivers/sink.js';
import { nowMicros } from '../metrics/clock.js';
import { encodePayload, HEADER_BYTES, writeHeader } from '../metrics/payload.js';
import type { SeqRanges } from '../metrics/delivery.js';
import type { Recorder } from '../metrics/recorder.js';
import { PendingSeqs } from './pending-seqs.js';
import type { PublisherPlan, PublisherSettings } from './publisher-settings.js';
import { burnCpu, SEND_COST_US } from './send-cost.js';

/** MQTT packet ids are 16-bit: never more unacknowledged messages than this per client. */
const MAX_OUTSTANDING = 60_000;
/** Most sends per publisher per scheduler pass, so one late publisher cannot starve the loop. */
const MAX_BURST = 5_000;
const TWO_32 = 0x1_0000_0000;
/**
 * Closed model: when no delivery of this publisher arrived for this long while its window is
 * full, the pending messages are written off as lost (the drain's accounting still counts them),
 * so a broker that drops messages cannot stall the generator for the rest of the phase.
 */
const STALL_US = 1_000_000;

export type { PublisherPlan, PublisherSettings } from './publisher-settings.js';

export class Publisher {
  seq = 0;
  outstanding = 0;
  /** Acknowledgements received (QoS 1/2). */
  acked = 0;
  private nextUs = 0;
  private readonly intervalUs: number;
  private running = false;
  private pumping = false;
  /** Deliveries seen so far, unwrapped from the shared 32-bit counter. */
  private delivered = 0;
  private lastRaw = 0;
  private lastProgressUs = 0;
  private writtenOff = 0;
  /** Times the window was reopened after a stall (see STALL_US). */
  stalls = 0;
  private loadStartUs = 0;
  private rampLastUs = 0;
  private credit = 0;
  /**
   * Acknowledged sinks (QoS 1/2): the sequence numbers waiting for their PUBACK/PUBCOMP. A
   * message of a connection that dropped before its acknowledgement is taken out as never
   * acknowledged, whatever happens to it later.
   */
  private readonly pendingAck: PendingSeqs | null;
  /** Messages numbered below this were sent on a connection that dropped: resolved then, their late reports are ignored. */
  private lostBelow = 0;
  /** One payload rewritten per message, for a sink that copies what it sends and a fixed filler; null: a new buffer each. */
  private readonly scratch: Buffer | null;
  /** Open model: messages that fell due while the client had no connection and were never sent. */
  unsent = 0;

  constructor(
    readonly plan: PublisherPlan,
    readonly sink: PublishSink,
    private readonly settings: PublisherSettings,
    private readonly recorder: Recorder,
  ) {
    this.intervalUs = plan.ratePerSecond === null ? 0 : 1_000_000 / plan.ratePerSecond;
    this.pendingAck = sink.acknowledged ? new PendingSeqs() : null;
    const filler = settings.filler;
    if (sink.copiesPayload && typeof filler !== 'function') {
      this.scratch = Buffer.allocUnsafe(HEADER_BYTES + filler.length);
      filler.copy(this.scratch, HEADER_BYTES);
    } else this.scratch = null;
    const listener: SinkListener = { done: (seq) => this.done(seq), failed: (seq, err) => this.failed(seq, err) };
    sink.listen(listener);
  }

  /**
   * The connection dropped: its in-flight messages are resolved now (written off as never
   * acknowledged; a persistent session that redelivers them is counted on arrival), so the
   * closed-model window reopens once the client is back instead of waiting for callbacks
   * that a dead connection never calls.
   */
  connectionLost(nowUs: number): void {
    this.lostBelow = this.seq;
    this.pendingAck?.takeAll();
    this.outstanding = 0;
    const matching = this.plan.windowMatching;
    if (matching > 0) {
      this.refreshDelivered(nowUs);
      // What the subscribers have not received of the window will not come on this connection.
      this.writtenOff = Math.max(this.writtenOff, this.seq * matching - this.delivered);
    }
    this.lastProgressUs = nowUs;
  }

  /**
   * Back after a drop. Open model: the messages that fell due while there was no connection are
   * not sent in a burst (they would measure the reconnect, not the broker): the schedule resumes
   * at the next due time and the skipped ones are counted as `unsent`.
   */
  resumed(nowUs: number): void {
    this.lastProgressUs = nowUs;
    if (!this.running || this.intervalUs === 0) return;
    const ramp = this.settings.ramp;
    const rate = this.plan.ratePerSecond;
    if (ramp !== null && rate !== null) {
      const endUs = this.loadStartUs + ramp.endMs * 1000;
      if (this.rampLastUs < endUs) {
        // Rate stages: what accrued while there was no connection is skipped, spread evenly over the gap.
        const to = Math.min(nowUs, endUs);
        if (to > this.rampLastUs) {
          const perUs = (rate * Math.max(0, ramp.level(((this.rampLastUs + to) / 2 - this.loadStartUs) / 1000))) / 1e6;
          const accrued = this.credit + perUs * (to - this.rampLastUs);
          const skipped = Math.max(0, Math.floor(accrued));
          this.credit = accrued - skipped;
          this.skip(this.rampLastUs, skipped > 0 ? (to - this.rampLastUs) / skipped : 0, skipped);
          this.rampLastUs = to;
        }
        if (to < endUs) return;
        // The stages ended while there was no connection: the exact schedule takes over from their end.
        this.nextUs = Math.max(this.nextUs, endUs);
      }
    }
    if (this.nextUs < nowUs) {
      const skipped = Math.floor((nowUs - this.nextUs) / this.intervalUs);
      this.skip(this.nextUs, this.intervalUs, skipped);
      this.nextUs += skipped * this.intervalUs;
    }
  }

  /** `count` messages due from `firstDueUs` every `intervalUs` are not sent; with a message cap they count against it. */
  private skip(firstDueUs: number, intervalUs: number, count: number): void {
    const max = this.settings.maxMessages;
    const n = max === null ? count : Math.min(count, Math.max(0, max - this.seq - this.unsent));
    if (n <= 0) return;
    this.unsent += n;
    this.recorder.unsent(firstDueUs, intervalUs, n);
  }

  /** Sequence numbers the broker never acknowledged; null when the sink has no acknowledgements (QoS 0, WebSocket). */
  unacknowledged(): SeqRanges | null {
    if (this.pendingAck === null) return null;
    this.pendingAck.takeAll();
    return this.pendingAck.taken();
  }

  /** Starts sending from `startUs` (a late joiner: when it joined); `loadStartUs` is the phase's load start, the origin of ramp stages. */
  start(startUs: number, loadStartUs = startUs): void {
    this.nextUs = startUs + this.plan.startOffsetUs;
    this.lastProgressUs = startUs;
    this.loadStartUs = loadStartUs;
    this.rampLastUs = startUs;
    this.credit = this.intervalUs > 0 ? -this.plan.startOffsetUs / this.intervalUs : 0;
    this.running = true;
  }

  private get exhausted(): boolean {
    // Messages skipped for want of a connection count: the cap is the schedule's length, not a quota to make up.
    return this.settings.maxMessages !== null && this.seq + this.unsent >= this.settings.maxMessages;
  }

  /**
   * Open model during rate stages: sends accrue at rate x level (the level at the middle of each
   * pass), each with an intended time interpolated inside the pass. Returns false while the
   * stages last; after them the exact schedule takes over from their end.
   */
  private pumpRamp(nowUs: number): boolean {
    const ramp = this.settings.ramp;
    const rate = this.plan.ratePerSecond;
    if (ramp === null || rate === null) return true;
    const endUs = this.loadStartUs + ramp.endMs * 1000;
    if (this.rampLastUs >= endUs) return true;
    const to = Math.min(nowUs, endUs);
    if (to > this.rampLastUs) {
      const perUs = (rate * Math.max(0, ramp.level(((this.rampLastUs + to) / 2 - this.loadStartUs) / 1000))) / 1e6;
      this.credit += perUs * (to - this.rampLastUs);
      let burst = 0;
      while (this.credit >= 1 && !this.exhausted && this.outstanding < MAX_OUTSTANDING && burst++ < MAX_BURST) {
        this.credit -= 1;
        this.send(Math.max(this.rampLastUs, to - this.credit / perUs));
      }
      this.rampLastUs = to;
    }
    if (to < endUs) return false;
    this.nextUs = Math.max(this.nextUs, endUs);
    return true;
  }

  stop(): void {
    this.running = false;
  }

  /** Sends whatever is due now. Called by the worker's scheduler loop and on acknowledgements. */
  pump(nowUs: number): void {
    if (!this.running || this.pumping || !this.sink.connected) return;
    this.pumping = true;
    try {
      let burst = 0;
      if (this.settings.inflight === null) {
        if (!this.pumpRamp(nowUs)) return;
        while (this.nextUs <= nowUs && !this.exhausted && this.outstanding < MAX_OUTSTANDING && burst++ < MAX_BURST) {
          this.send(this.nextUs);
          this.nextUs += this.intervalUs;
        }
      } else {
        while (!this.exhausted && this.windowOpen(this.settings.inflight, nowUs) && burst++ < MAX_BURST) {
          this.send(nowMicros());
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private windowOpen(inflight: number, nowUs: number): boolean {
    if (this.outstanding >= inflight) return false;
    const matching = this.plan.windowMatching;
    if (matching === 0) return true;
    this.refreshDelivered(nowUs);
    const pending = this.seq * matching - this.delivered - this.writtenOff;
    if (pending < inflight * matching) return true;
    if (nowUs - this.lastProgressUs < STALL_US) return false;
    this.writtenOff += pending;
    this.lastProgressUs = nowUs;
    this.stalls++;
    return true;
  }

  private refreshDelivered(nowUs: number): void {
    const raw = Atomics.load(this.settings.delivered, this.plan.publisherId);
    if (raw !== this.lastRaw) {
      this.delivered += (raw - this.lastRaw + TWO_32) % TWO_32;
      this.lastRaw = raw;
      this.lastProgressUs = nowUs;
    }
  }

  private send(intendedUs: number): void {
    // A test's generator limit (send-cost.ts); 0 outside tests.
    if (SEND_COST_US > 0) burnCpu(SEND_COST_US);
    const sentUs = nowMicros();
    const seq = this.seq++;
    let payload = this.scratch;
    if (payload !== null) writeHeader(payload, this.plan.publisherId, seq, intendedUs, sentUs);
    else {
      const filler = typeof this.settings.filler === 'function' ? this.settings.filler(seq) : this.settings.filler;
      payload = encodePayload(filler, this.plan.publisherId, seq, intendedUs, sentUs);
    }
    Atomics.store(this.settings.sentCounts, this.plan.publisherId, this.seq);
    this.outstanding++;
    this.pendingAck?.add(seq, intendedUs, sentUs);
    this.recorder.sent(sentUs, payload.length, sentUs - intendedUs);
    this.sink.publish(payload, seq);
  }

  /** The sink is done with message `seq`: acknowledged (QoS 1/2) or handed to the socket. */
  private done(seq: number): void {
    // A message of a connection that dropped was already resolved (connectionLost).
    if (seq < this.lostBelow) return;
    this.outstanding--;
    const pending = this.pendingAck;
    if (pending === null) return;
    // Not pending any more: written off unacknowledged while older than the largest ring; counted there.
    if (!pending.acknowledge(seq)) return;
    const ackUs = nowMicros();
    this.acked++;
    this.recorder.acked(ackUs, pending.intendedUs, ackUs - pending.sentUs);
    if (this.settings.inflight !== null) this.pump(ackUs);
  }

  /** Message `seq` could not be sent: a publish error (it stays pending: never acknowledged). */
  private failed(seq: number, _err: Error): void {
    if (seq < this.lostBelow) return;
    this.outstanding--;
    this.recorder.error('publish');
  }

  /**
   * Open model: when the next message is due (shared clock, us), for the worker's scheduler;
   * Infinity when none is (closed model: sends follow the window; not started, stopped, or the
   * message cap reached). During rate stages sends accrue continuously: the last pass's time,
   * so the scheduler polls. Past the last pass's time also when that pass could not send (no
   * connection, the in-flight or burst cap).
   */
  get nextDueUs(): number {
    if (!this.running || this.settings.inflight !== null || this.intervalUs === 0 || this.exhausted) return Number.POSITIVE_INFINITY;
    const ramp = this.settings.ramp;
    if (ramp !== null && this.plan.ratePerSecond !== null && this.rampLastUs < this.loadStartUs + ramp.endMs * 1000) return this.rampLastUs;
    return this.nextUs;
  }
}
