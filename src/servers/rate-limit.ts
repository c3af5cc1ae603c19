/**
 * A publish rate limit for the bundled broker: at most `perSecond` PUBLISH packets are let
 * through a second, the rest wait in one FIFO queue (nothing is dropped). It gives a target a
 * known capacity, which is how `mqbench capacity` is tested: past the limit the broker's
 * throughput stays at the limit and its latency grows with the queue, as a real saturated
 * broker's would. Off unless asked for (`startBroker({ rateLimit })`).
 */
import { nowMicros } from '../metrics/clock.js';

/** Credit saved up while idle, seconds of the rate: a short burst, not a reservoir. */
const BURST_SECONDS = 0.005;
/** How often a non-empty queue is looked at, ms (timers fire about 1.1 ms late). */
const TICK_MS = 1;

export class PublishRateLimit {
  private readonly queue: Array<() => void> = [];
  private head = 0;
  private credit = 0;
  private lastUs = nowMicros();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /** perSecond: publishes let through per second, > 0. */
  constructor(private readonly perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError(`a rate limit must be above 0/s, not ${perSecond}`);
  }

  /** `release` is called when this publish's turn comes, in arrival order. */
  admit(release: () => void): void {
    if (this.closed) return;
    this.queue.push(release);
    this.pump();
  }

  /** Publishes waiting now. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Stops the timer; queued publishes are never released (the broker is closing). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    const now = nowMicros();
    const burst = Math.max(1, this.perSecond * BURST_SECONDS);
    this.credit = Math.min(burst + this.waiting, this.credit + ((now - this.lastUs) / 1e6) * this.perSecond);
    this.lastUs = now;
    while (this.credit >= 1 && this.head < this.queue.length) {
      this.credit -= 1;
      const release = this.queue[this.head] as () => void;
      this.head++;
      release();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.waiting === 0) this.credit = Math.min(this.credit, burst);
    else if (this.timer === null && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, TICK_MS);
    }
  }
}
