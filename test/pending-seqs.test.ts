/** PendingSeqs (src/worker/pending-seqs.ts): the unacknowledged sequence numbers of a publisher in a ring that grows with what is in flight. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PendingSeqs } from '../src/worker/pending-seqs.js';

test('acknowledged numbers are gone; what is left is taken out as ranges', () => {
  const p = new PendingSeqs();
  for (let s = 0; s < 10; s++) p.add(s);
  for (const s of [0, 1, 2, 5, 9]) assert.equal(p.acknowledge(s), true);
  assert.equal(p.acknowledge(5), false, 'twice');
  assert.equal(p.acknowledge(10), false, 'never sent');
  p.takeAll();
  assert.deepEqual(p.taken(), [[3, 5], [6, 9]]);
  p.takeAll();
  assert.deepEqual(p.taken(), [[3, 5], [6, 9]], 'taken once');
});

test('a number pending across many later ones is kept: the ring grows instead of forgetting it', () => {
  const p = new PendingSeqs();
  p.add(0);
  for (let s = 1; s < 5000; s++) {
    p.add(s);
    assert.equal(p.acknowledge(s), true);
  }
  assert.equal(p.acknowledge(0), true, 'still pending after 4,999 later numbers');
  p.takeAll();
  assert.deepEqual(p.taken(), []);
});

test('a whole window in flight across growth keeps every number', () => {
  const p = new PendingSeqs();
  for (let s = 0; s < 3000; s++) p.add(s);
  for (let s = 0; s < 3000; s += 2) assert.equal(p.acknowledge(s), true);
  p.takeAll();
  const taken = p.taken();
  assert.equal(taken.length, 1500);
  assert.deepEqual(taken[0], [1, 2]);
  assert.deepEqual(taken.at(-1), [2999, 3000]);
});

test('past 65,536 numbers a still pending one is written off as never acknowledged, in order', () => {
  const p = new PendingSeqs();
  p.add(0);
  for (let s = 1; s <= 70_000; s++) {
    p.add(s);
    p.acknowledge(s);
  }
  assert.equal(p.acknowledge(0), false, 'taken out when its slot was needed');
  p.takeAll();
  assert.deepEqual(p.taken(), [[0, 1]]);
});

test('an acknowledgement gives back the times its number was sent with, across growth', () => {
  const p = new PendingSeqs();
  // 1,000 in flight: the ring grows from 256 slots twice while every time must survive.
  for (let s = 0; s < 1000; s++) p.add(s, 10 * s, 10 * s + 3);
  for (const s of [999, 0, 500, 255, 256]) {
    assert.equal(p.acknowledge(s), true);
    assert.equal(p.intendedUs, 10 * s, `intended time of ${s}`);
    assert.equal(p.sentUs, 10 * s + 3, `sent time of ${s}`);
  }
});
