/**
 * The spin time of every wake thread of the process (wake-thread.ts), in one piece of shared
 * memory: per window of SPIN_WINDOW_US (the scheduler's), the microseconds spun so far. A
 * thread may spin while the window's total is under WAKE_SPIN_BUDGET of the window, so all of
 * them together take at most that share of one core, with 1 worker or 16. Bookings race harmlessly: a window may go over by the
 * spins started at the same moment (SPIN_US each).
 */
import { SPIN_WINDOW_US } from './scheduler.js';

/** The most of one core's time that all wake threads together spend spinning. */
export const WAKE_SPIN_BUDGET = 0.1;

/** Int32 [0]: the window's number (time / SPIN_WINDOW_US, low 31 bits); [1]: microseconds spun in it. */
export function newSpinLedger(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

export class SpinLedger {
  private readonly cells: Int32Array;

  constructor(memory: SharedArrayBuffer) {
    this.cells = new Int32Array(memory);
  }

  /** May a thread spin now (shared clock, us)? */
  maySpin(nowUs: number): boolean {
    this.roll(nowUs);
    return Atomics.load(this.cells, 1) < WAKE_SPIN_BUDGET * SPIN_WINDOW_US;
  }

  /** `spunUs` spun from `fromUs`. */
  book(fromUs: number, spunUs: number): void {
    this.roll(fromUs);
    Atomics.add(this.cells, 1, Math.round(spunUs));
  }

  /** A new window starts with nothing spun (the first thread to see it resets the total). */
  private roll(nowUs: number): void {
    const window = Math.floor(nowUs / SPIN_WINDOW_US) & 0x7fff_ffff;
    const seen = Atomics.load(this.cells, 0);
    if (seen !== window && Atomics.compareExchange(this.cells, 0, seen, window) === seen) Atomics.store(this.cells, 1, 0);
  }
}
