/**
 * The send loop of one worker's part of a phase: the scheduler (scheduler.ts) driving every
 * publisher of the worker, woken for the earliest due message, not on a fixed tick. Due messages
 * are waited for by the wake thread (precise-wake.ts), with a timer behind it in case that thread
 * fails; polls wait on timers. The timer lives in `timer`, which stop() clears with the waker; a
 * setImmediate turn pending then sees `stopped` and ends.
 */
import { nowMicros } from '../metrics/clock.js';
import { PreciseWake } from './precise-wake.js';
import type { Publisher } from './publisher.js';
import { IDLE_MS, IMMEDIATE, PRECISE, Scheduler } from './scheduler.js';

export class SendLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly scheduler: Scheduler;
  /** The scheduler's wake thread, started by the first precise wait of an open-model phase. */
  private readonly waker: PreciseWake;

  /** `publishers` may grow while the loop runs (clients joining late): the scheduler takes them in at its next pass. */
  constructor(publishers: readonly Publisher[]) {
    this.scheduler = new Scheduler(publishers, nowMicros, true);
    this.waker = new PreciseWake(this.run);
  }

  /** One wake-up: a pass when one is due, then the next wake-up armed. */
  readonly run = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    const scheduler = this.scheduler;
    const wake = scheduler.step();
    if (wake === PRECISE) {
      this.waker.at(scheduler.preciseAtUs);
      this.timer = setTimeout(this.run, IDLE_MS);
      return;
    }
    this.waker.cancel();
    if (wake === IMMEDIATE) setImmediate(this.run);
    else this.timer = setTimeout(this.run, wake);
  };

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Ends the wake thread; close() does not reject (a failure there would reach the worker's
    // unhandledRejection handler and be reported as fatal, not dropped).
    void this.waker.close();
  }
}
