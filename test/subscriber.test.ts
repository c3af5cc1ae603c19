/**
 * A receiving client's accounting (src/worker/subscriber.ts): a late joiner's baselines read
 * from the publishers' shared sent counts when it has subscribed, the trackers that start
 * there, and deliveryByPublisher adding the figures up per receiving group, skipped included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nowMicros } from '../src/metrics/clock.js';
import { deliveryTotals, type PublisherDelivery } from '../src/metrics/delivery.js';
import { encodePayload } from '../src/metrics/payload.js';
import { Recorder } from '../src/metrics/recorder.js';
import { GroupStats } from '../src/worker/group-stats.js';
import { deliveryByPublisher, Subscriber } from '../src/worker/subscriber.js';

/** Publisher ids 1..4 in these tests. */
const SLOTS = 5;

function subscriber(lateFrom: Array<{ publisher: number; retained: boolean }>, sentCounts: Uint32Array, group = 1): Subscriber {
  return new Subscriber(new Recorder(), new Uint32Array(SLOTS), group, new GroupStats(), new BigInt64Array(1), lateFrom, sentCounts);
}

/** Publisher `publisher`'s message `seq`, sent now. */
function message(publisher: number, seq: number): Buffer {
  const now = nowMicros();
  return encodePayload(Buffer.alloc(4), publisher, seq, now, now);
}

const counts = (values: Record<number, number>): Uint32Array => {
  const a = new Uint32Array(SLOTS);
  for (const [id, n] of Object.entries(values)) a[Number(id)] = n;
  return a;
};

describe('Subscriber.subscribed(): baselines from the sent counts', () => {
  const cases: Array<{ name: string; lateFrom: Array<{ publisher: number; retained: boolean }>; sent: Record<number, number>; baselines: Array<[number, number]> }> = [
    { name: 'on time: no publishers to skip, no baselines', lateFrom: [], sent: { 1: 10 }, baselines: [] },
    { name: 'a plain publisher: everything it had sent', lateFrom: [{ publisher: 1, retained: false }], sent: { 1: 10 }, baselines: [[1, 10]] },
    { name: 'a retaining publisher: all but its last value, which is still expected', lateFrom: [{ publisher: 1, retained: true }], sent: { 1: 10 }, baselines: [[1, 9]] },
    { name: 'a retaining publisher that had sent nothing', lateFrom: [{ publisher: 1, retained: true }], sent: {}, baselines: [[1, 0]] },
    { name: 'a plain publisher that had sent nothing', lateFrom: [{ publisher: 2, retained: false }], sent: {}, baselines: [[2, 0]] },
    {
      name: 'several publishers, each its own',
      lateFrom: [
        { publisher: 1, retained: false },
        { publisher: 2, retained: true },
        { publisher: 4, retained: false },
      ],
      sent: { 1: 7, 2: 3, 3: 99, 4: 1 },
      baselines: [[1, 7], [2, 2], [4, 1]],
    },
    { name: 'a publisher id past the shared array: nothing sent', lateFrom: [{ publisher: 9, retained: true }], sent: { 1: 5 }, baselines: [[9, 0]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = subscriber(c.lateFrom, counts(c.sent));
      assert.equal(s.baselines.size, 0, 'nothing before it has subscribed');
      s.subscribed();
      assert.deepEqual([...s.baselines], c.baselines);
    });
  }

  test('read when subscribed, not when constructed', () => {
    const sent = counts({ 1: 2 });
    const s = subscriber([{ publisher: 1, retained: false }], sent);
    Atomics.store(sent, 1, 40);
    s.subscribed();
    assert.equal(s.baselines.get(1), 40);
  });

  test('trackers start at the baseline: nothing below it is a gap', () => {
    const s = subscriber([{ publisher: 1, retained: false }, { publisher: 2, retained: true }], counts({ 1: 5, 2: 5 }));
    s.subscribed();
    // Publisher 1: 5, 6, 8, 7. Publisher 2 retains: its last value 4 arrives (retained), then 5, and 4 again.
    for (const seq of [5, 6, 8, 7]) s.onMessage(message(1, seq));
    s.onMessage(message(2, 4), true);
    s.onMessage(message(2, 5));
    s.onMessage(message(2, 4), true);
    const t1 = s.trackers.get(1);
    const t2 = s.trackers.get(2);
    assert.deepEqual([t1?.baseline, t1?.unique, t1?.duplicates, t1?.outOfOrder], [5, 4, 0, 1]);
    assert.deepEqual([t2?.baseline, t2?.unique, t2?.duplicates, t2?.outOfOrder], [4, 2, 1, 0]);
    assert.equal(s.unique, 6);
  });

  test('an on-time subscriber tracks from 0', () => {
    const s = subscriber([], counts({ 1: 5 }));
    s.subscribed();
    for (const seq of [5, 6, 2]) s.onMessage(message(1, seq));
    const t = s.trackers.get(1);
    assert.deepEqual([t?.baseline, t?.unique, t?.outOfOrder], [0, 3, 1]);
  });
});

describe('deliveryByPublisher', () => {
  const byKey = (ds: PublisherDelivery[]): PublisherDelivery[] => [...ds].sort((a, b) => a.group - b.group || a.publisher - b.publisher);

  test('a silent publisher is reported with its skipped and nothing delivered', () => {
    // Publisher 1 keeps sending; publisher 2 had sent 8 and then went quiet before the join.
    const s = subscriber([{ publisher: 1, retained: false }, { publisher: 2, retained: false }], counts({ 1: 3, 2: 8 }));
    s.subscribed();
    for (const seq of [3, 4, 5]) s.onMessage(message(1, seq));
    assert.deepEqual(byKey(deliveryByPublisher([s])), [
      { publisher: 1, group: 1, skipped: 3, unique: 3, duplicates: 0, outOfOrder: 0, coverage: [{ from: 3, next: 6, gaps: [] }] },
      { publisher: 2, group: 1, skipped: 8, unique: 0, duplicates: 0, outOfOrder: 0, coverage: [] },
    ]);
    // Nothing is lost: publisher 2 sent nothing after the join.
    const totals = deliveryTotals(
      [
        { publisher: 1, group: 0, sent: 6, matching: 1, matchingByGroup: [0, 1] },
        { publisher: 2, group: 0, sent: 8, matching: 1, matchingByGroup: [0, 1] },
      ],
      deliveryByPublisher([s]),
      1,
    );
    assert.deepEqual(totals, { expected: 3, received: 3, unique: 3, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  test('figures are added per (receiving group, publisher); on-time subscribers skip nothing', () => {
    const sent = counts({ 1: 4, 2: 2 });
    const late = subscriber([{ publisher: 1, retained: false }, { publisher: 2, retained: false }], sent, 1);
    const onTime = subscriber([], sent, 1);
    const other = subscriber([{ publisher: 1, retained: true }], sent, 2);
    for (const s of [late, onTime, other]) s.subscribed();
    for (const seq of [4, 5, 5]) late.onMessage(message(1, seq));
    for (const seq of [0, 1, 2, 3, 4, 5]) onTime.onMessage(message(1, seq));
    for (const seq of [0, 2, 1]) onTime.onMessage(message(2, seq));
    for (const seq of [3, 4, 5]) other.onMessage(message(1, seq));
    assert.deepEqual(byKey(deliveryByPublisher([late, onTime, other])), [
      { publisher: 1, group: 1, skipped: 4, unique: 8, duplicates: 1, outOfOrder: 0, coverage: [{ from: 4, next: 6, gaps: [] }, { from: 0, next: 6, gaps: [] }] },
      { publisher: 2, group: 1, skipped: 2, unique: 3, duplicates: 0, outOfOrder: 1, coverage: [{ from: 0, next: 3, gaps: [] }] },
      { publisher: 1, group: 2, skipped: 3, unique: 3, duplicates: 0, outOfOrder: 0, coverage: [{ from: 3, next: 6, gaps: [] }] },
    ]);
  });

  test('no subscribers, nothing reported', () => {
    assert.deepEqual(deliveryByPublisher([]), []);
    const idle = subscriber([], counts({}));
    idle.subscribed();
    assert.deepEqual(deliveryByPublisher([idle]), []);
  });
});
