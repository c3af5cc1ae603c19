/**
 * A wake-up at a given microsecond for a worker's event loop, from a thread of its own
 * (wake-thread.ts): at(t) asks for one call of onWake at t (a later at() replaces it, cancel()
 * drops it). The call comes as a message on the event loop, so a pass of the scheduler runs
 * between socket reads as any event does. Started on first use, stopped by close().
 */
import { Worker } from 'node:worker_threads';
import { newSpinLedger } from './spin-ledger.js';

/** The process's spin ledger, set by the worker's entry from what the coordinator shares; one of its own otherwise. */
let processLedger: SharedArrayBuffer | null = null;

/** Every PreciseWake of this thread books its spins in `ledger` (shared by all workers of the process). */
export function useSpinLedger(ledger: SharedArrayBuffer): void {
  processLedger = ledger;
}

export class PreciseWake {
  private worker: Worker | null = null;
  private readonly sab = new SharedArrayBuffer(16);
  private readonly ctl = new Int32Array(this.sab, 0, 2);
  private readonly due = new Float64Array(this.sab, 8, 1);
  /** The generation of the request in force; a message of an older one is stale. */
  private gen = 0;
  private armed = false;

  constructor(private readonly onWake: () => void) {}

  /** One onWake at `us` (shared clock, microseconds), replacing any request before it. */
  at(us: number): void {
    this.start();
    this.due[0] = us;
    // A wake-up to come keeps the event loop alive, as a timer would.
    if (!this.armed) this.worker!.ref();
    this.armed = true;
    this.gen = Atomics.add(this.ctl, 0, 1) + 1;
    Atomics.notify(this.ctl, 0);
  }

  /** No wake-up until the next at(). */
  cancel(): void {
    if (!this.armed) return;
    this.armed = false;
    this.worker?.unref();
    this.due[0] = 0;
    this.gen = Atomics.add(this.ctl, 0, 1) + 1;
    Atomics.notify(this.ctl, 0);
  }

  /** Ends the thread; at() starts a new one. */
  async close(): Promise<void> {
    const w = this.worker;
    if (w === null) return;
    this.worker = null;
    this.armed = false;
    Atomics.store(this.ctl, 1, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    await w.terminate();
  }

  private start(): void {
    if (this.worker !== null) return;
    Atomics.store(this.ctl, 1, 0);
    const w = new Worker(new URL('./wake-thread.js', import.meta.url), { workerData: { sab: this.sab, ledger: (processLedger ??= newSpinLedger()) } });
    w.on('message', (gen: number) => {
      if (gen !== this.gen || !this.armed) return;
      this.armed = false;
      w.unref();
      this.onWake();
    });
    w.on('error', (err) => {
      // Without it the scheduler still wakes on its timers (IDLE_MS at the latest), later than due.
      process.emitWarning(`mqbench: the wake thread failed (${err.message}); sends fall back to timers`);
    });
    // Only a wake-up to come keeps the worker alive, not the idle thread.
    w.unref();
    this.worker = w;
  }
}
