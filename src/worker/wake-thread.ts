/**
 * The body of a worker's wake thread (precise-wake.ts): a thread that does nothing but sleep
 * until the time it was given and then post one message to the worker that owns it. A worker's
 * event loop can only sleep on timers of 1 ms resolution, which fire up to a few hundred
 * microseconds late; this thread sleeps with Atomics.wait (a futex, to within about 50-100 us),
 * then spins the last SPIN_US on the clock, so open-model messages leave on time without a spin
 * in the worker's loop, which serves the sockets. The spinning is rationed across the process:
 * every wake thread books its spin in one ledger (spin-ledger.ts), and together they spin at most
 * SPIN_BUDGET of one core's time, however many workers there are.
 *
 * Shared memory: Int32 [0] the generation (bumped by every request), [1] 1 when closing;
 * Float64 at byte 8: the requested time (shared clock, us), 0 for none.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nowMicros } from '../metrics/clock.js';
import { SpinLedger } from './spin-ledger.js';

/** Spun on the clock before a due time, at most (us). */
const SPIN_US = 100;

const { sab, ledger: ledgerMemory } = workerData as { sab: SharedArrayBuffer; ledger: SharedArrayBuffer };
const ctl = new Int32Array(sab, 0, 2);
const due = new Float64Array(sab, 8, 1);
const ledger = new SpinLedger(ledgerMemory);

for (;;) {
  if (Atomics.load(ctl, 1) === 1) break;
  const gen = Atomics.load(ctl, 0);
  const at = due[0]!;
  if (!(at > 0)) {
    Atomics.wait(ctl, 0, gen);
    continue;
  }
  let now = nowMicros();
  const spin = ledger.maySpin(now) ? SPIN_US : 0;
  if (at - now > spin) {
    // Woken early by a new request ('ok' or 'not-equal'): look again.
    if (Atomics.wait(ctl, 0, gen, (at - now - spin) / 1000) !== 'timed-out') continue;
  }
  const spinFrom = nowMicros();
  now = spinFrom;
  while (now < at && Atomics.load(ctl, 0) === gen) now = nowMicros();
  ledger.book(spinFrom, now - spinFrom);
  if (Atomics.load(ctl, 0) !== gen) continue;
  parentPort!.postMessage(gen);
  // Until the next request (or the close).
  Atomics.wait(ctl, 0, gen);
}
