/**
 * The wake thread (src/worker/precise-wake.ts, wake-thread.ts) with the real clock: a wake-up
 * never comes before its time, a later request replaces an earlier one, a cancelled one never
 * comes, and close() ends the thread; and the spin ledger all wake threads share. Only order is
 * asserted, never how late a wake-up is (that is the send-lag bench's figure), so nothing
 * depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMicros } from '../src/metrics/clock.js';
import { PreciseWake } from '../src/worker/precise-wake.js';
import { SPIN_WINDOW_US } from '../src/worker/scheduler.js';
import { newSpinLedger, SpinLedger, WAKE_SPIN_BUDGET } from '../src/worker/spin-ledger.js';

test('one wake-up per request, never before its time; a later request replaces an earlier one', { timeout: 20_000 }, async () => {
  const woke: number[] = [];
  let resolve: () => void = () => {};
  const waker = new PreciseWake(() => {
    woke.push(nowMicros());
    resolve();
  });
  try {
    for (const aheadUs of [3_000, 500, 20_000]) {
      const next = new Promise<void>((r) => (resolve = r));
      const at = nowMicros() + aheadUs;
      waker.at(at + 50_000);
      // Replaced before it comes: only the second time counts.
      waker.at(at);
      await next;
      assert.ok(woke[woke.length - 1]! >= at, `woke ${at - woke[woke.length - 1]!} us early`);
    }
    await sleep(100);
    assert.equal(woke.length, 3, 'the replaced requests never came');
  } finally {
    await waker.close();
  }
});

test('a cancelled wake-up never comes; close() ends the thread and at() starts a new one', { timeout: 20_000 }, async () => {
  let woke = 0;
  const waker = new PreciseWake(() => woke++);
  try {
    waker.at(nowMicros() + 5_000);
    waker.cancel();
    await sleep(100);
    assert.equal(woke, 0);
    await waker.close();
    const back = new Promise<void>((r) => {
      const again = new PreciseWake(() => {
        void again.close().then(r);
      });
      again.at(nowMicros() + 1_000);
    });
    await back;
  } finally {
    await waker.close();
  }
});

test('the spin ledger: all wake threads of the process share one budget per window', () => {
  const memory = newSpinLedger();
  // Two threads' views of one ledger.
  const a = new SpinLedger(memory);
  const b = new SpinLedger(memory);
  const windowStart = 7 * SPIN_WINDOW_US;
  const budget = WAKE_SPIN_BUDGET * SPIN_WINDOW_US;
  assert.ok(a.maySpin(windowStart));
  a.book(windowStart, budget / 2);
  assert.ok(b.maySpin(windowStart + 10), 'half the budget spun: the other may still spin');
  b.book(windowStart + 10, budget / 2);
  assert.equal(a.maySpin(windowStart + 20), false, 'the budget is spent for both');
  assert.equal(b.maySpin(windowStart + SPIN_WINDOW_US - 1), false, 'until the window ends');
  assert.ok(b.maySpin(windowStart + SPIN_WINDOW_US), 'a new window starts with nothing spun');
  assert.ok(a.maySpin(windowStart + SPIN_WINDOW_US + 5));
});
