/** The bundled broker's publish rate limit (servers/rate-limit.ts): order kept, never faster than the rate. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PublishRateLimit } from '../src/servers/rate-limit.js';

test('releases in arrival order, no faster than the rate (a slow machine only makes it slower)', async () => {
  const limit = new PublishRateLimit(1000);
  const order: number[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 300; i++) {
      limit.admit(() => {
        order.push(i);
        if (order.length === 300) resolve();
      });
    }
  });
  const ms = performance.now() - started;
  limit.close();
  assert.deepEqual(order, [...Array(300).keys()]);
  // 300 at 1,000/s with a 5 ms burst: at least 295 ms.
  assert.ok(ms >= 290, `released 300 in ${ms.toFixed(1)} ms`);
});

test('close() stops releasing; a rate of 0 is refused', () => {
  const limit = new PublishRateLimit(10);
  let released = 0;
  for (let i = 0; i < 100; i++) limit.admit(() => released++);
  limit.close();
  const now = released;
  assert.ok(now < 100);
  limit.admit(() => released++);
  assert.equal(released, now);
  assert.throws(() => new PublishRateLimit(0), /above 0/);
});
