/**
 * The wake thread (src/worker/precise-wake.ts, wake-thread.ts) with the real clock: a wake-up
 * never comes before its time, a later request replaces an earlier one, a cancelled one never
 * comes, and close() ends the thread. Only order is asserted, never how late a wake-up is
 * (that is the send-lag bench's figure), so nothing depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMicros } from '../src/metrics/clock.js';
import { PreciseWake } from '../src/worker/precise-wake.js';

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
