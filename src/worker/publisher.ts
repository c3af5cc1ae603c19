/**
 * One publishing client and its schedule. Open model: messages are due at fixed intervals
 * and carry their intended time, so a stalled target shows up as latency (coordinated
 * omission corrected, as wrk2 does). Closed model: a fixed window of messages in flight,
 * each counted until acknowledged (QoS 1/2) and delivered to every matching subscriber.
 */
import type { PublishSink } from '../drivers/sink.js';
import type { PublisherPlan } from '../plan/plan.js';
import { nowMicros } from '../metrics/clock.js';
import { encodePayload } from '../metrics/payload.js';
import type { Recorder } from '../metrics/recorder.js';

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

export interface PublisherSettings {
  filler: Buffer;
  /** Closed model window, or null for the open model. */
  inflight: number | null;
  /** Deliveries per publisher id, added to by every subscriber in the process. */
  delivered: Uint32Array;
}

export class Publisher {
  seq = 0;
  outstanding = 0;
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

  constructor(
    readonly plan: PublisherPlan,
    readonly sink: PublishSink,
    private readonly settings: PublisherSettings,
    private readonly recorder: Recorder,
  ) {
    this.intervalUs = plan.ratePerSecond === null ? 0 : 1_000_000 / plan.ratePerSecond;
  }

  start(startUs: number): void {
    this.nextUs = startUs + this.plan.startOffsetUs;
    this.lastProgressUs = startUs;
    this.running = true;
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
        while (this.nextUs <= nowUs && this.outstanding < MAX_OUTSTANDING && burst++ < MAX_BURST) {
          this.send(this.nextUs);
          this.nextUs += this.intervalUs;
        }
      } else {
        while (this.windowOpen(this.settings.inflight, nowUs) && burst++ < MAX_BURST) {
          this.send(nowMicros());
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private windowOpen(inflight: number, nowUs: number): boolean {
    if (this.outstanding >= inflight) return false;
    const matching = this.plan.matching;
    if (matching === 0) return true;
    const raw = Atomics.load(this.settings.delivered, this.plan.id);
    if (raw !== this.lastRaw) {
      this.delivered += (raw - this.lastRaw + TWO_32) % TWO_32;
      this.lastRaw = raw;
      this.lastProgressUs = nowUs;
    }
    const pending = this.seq * matching - this.delivered - this.writtenOff;
    if (pending < inflight * matching) return true;
    if (nowUs - this.lastProgressUs < STALL_US) return false;
    this.writtenOff += pending;
    this.lastProgressUs = nowUs;
    this.stalls++;
    return true;
  }

  private send(intendedUs: number): void {
    const sentUs = nowMicros();
    const payload = encodePayload(this.settings.filler, this.plan.id, this.seq, intendedUs, sentUs);
    this.seq++;
    this.outstanding++;
    this.recorder.sent(sentUs, payload.length, sentUs - intendedUs);
    this.sink.publish(payload, (err) => {
      this.outstanding--;
      if (err) {
        this.recorder.error('publish');
        return;
      }
      if (!this.sink.acknowledged) return;
      const ackUs = nowMicros();
      this.recorder.acked(ackUs, intendedUs, ackUs - sentUs);
      if (this.settings.inflight !== null) this.pump(ackUs);
    });
  }
}
