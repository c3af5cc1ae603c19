/**
 * Callbacks at times measured from the load start (ms): offline and drop times, late joins, the
 * steady window's start. Set before the start, they wait for it. Cleared all at once when the
 * phase closes; a callback due after that never runs.
 */
import { nowMicros } from '../metrics/clock.js';

export class LoadTimers {
  private originUs: number | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Callbacks set before the load start. */
  private readonly waiting: Array<() => void> = [];
  private cleared = false;

  /** The load starts at `originUs` (shared clock); callbacks set from now on are timed from it. */
  start(originUs: number): void {
    this.originUs = originUs;
  }

  /** Times the callbacks set before the start. */
  release(): void {
    for (const fn of this.waiting.splice(0)) fn();
  }

  /** Runs `fn` at `ms` after the load start (at once when that is past); before the start, once it comes. */
  at(ms: number, fn: () => void): void {
    const origin = this.originUs;
    if (origin === null) {
      this.waiting.push(() => this.at(ms, fn));
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.cleared) fn();
      },
      Math.max(0, (origin + ms * 1000 - nowMicros()) / 1000),
    );
    this.timers.add(timer);
  }

  clear(): void {
    this.cleared = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
