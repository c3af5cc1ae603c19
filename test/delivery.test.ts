/**
 * Delivery accounting (src/metrics/delivery.ts): SequenceTracker per (subscriber, publisher)
 * pair, and deliveryTotals combining publishers' sent counts with subscribers' figures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deliveryTotals, SequenceTracker, type DeliveryTotals, type Observation, type PublisherDelivery, type PublisherSent } from '../src/metrics/delivery.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function track(seqs: readonly number[]): { tracker: SequenceTracker; seen: Observation[] } {
  const tracker = new SequenceTracker();
  const seen = seqs.map((s) => tracker.observe(s));
  return { tracker, seen };
}

describe('SequenceTracker', () => {
  const cases: Array<{ name: string; seqs: number[]; seen?: Observation[]; unique: number; duplicates: number; outOfOrder: number }> = [
    { name: 'nothing', seqs: [], seen: [], unique: 0, duplicates: 0, outOfOrder: 0 },
    { name: 'in order', seqs: range(0, 9), unique: 10, duplicates: 0, outOfOrder: 0 },
    { name: 'first message late (joined after 0)', seqs: [3, 4, 5], seen: ['new', 'new', 'new'], unique: 3, duplicates: 0, outOfOrder: 0 },
    { name: 'gap never filled (lost)', seqs: [0, 1, 5, 6], seen: ['new', 'new', 'new', 'new'], unique: 4, duplicates: 0, outOfOrder: 0 },
    { name: 'duplicate of the last', seqs: [0, 1, 1, 2], seen: ['new', 'new', 'duplicate', 'new'], unique: 3, duplicates: 1, outOfOrder: 0 },
    { name: 'duplicate of an older one', seqs: [0, 1, 2, 0], seen: ['new', 'new', 'new', 'duplicate'], unique: 3, duplicates: 1, outOfOrder: 0 },
    { name: 'many duplicates', seqs: [0, 0, 0, 0], seen: ['new', 'duplicate', 'duplicate', 'duplicate'], unique: 1, duplicates: 3, outOfOrder: 0 },
    { name: 'swap', seqs: [0, 2, 1, 3], seen: ['new', 'new', 'out-of-order', 'new'], unique: 4, duplicates: 0, outOfOrder: 1 },
    { name: 'reversed', seqs: [4, 3, 2, 1, 0], seen: ['new', 'out-of-order', 'out-of-order', 'out-of-order', 'out-of-order'], unique: 5, duplicates: 0, outOfOrder: 4 },
    { name: 'late arrival then its duplicate', seqs: [0, 3, 1, 1, 2], seen: ['new', 'new', 'out-of-order', 'duplicate', 'out-of-order'], unique: 4, duplicates: 1, outOfOrder: 2 },
    { name: 'gap partly filled', seqs: [0, 10, 5], seen: ['new', 'new', 'out-of-order'], unique: 3, duplicates: 0, outOfOrder: 1 },
    { name: 'redelivery after a gap filled', seqs: [0, 2, 1, 2, 1], seen: ['new', 'new', 'out-of-order', 'duplicate', 'duplicate'], unique: 3, duplicates: 2, outOfOrder: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { tracker, seen } = track(c.seqs);
      if (c.seen !== undefined) assert.deepEqual(seen, c.seen);
      assert.equal(tracker.unique, c.unique, 'unique');
      assert.equal(tracker.duplicates, c.duplicates, 'duplicates');
      assert.equal(tracker.outOfOrder, c.outOfOrder, 'outOfOrder');
      // Every observation is counted exactly once as unique or duplicate.
      assert.equal(tracker.unique + tracker.duplicates, c.seqs.length);
    });
  }

  test('a shuffled permutation counts every message once', () => {
    // Deterministic shuffle of 0..999.
    const seqs = range(0, 999);
    let x = 12345;
    for (let i = seqs.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (i + 1);
      [seqs[i], seqs[j]] = [seqs[j] ?? 0, seqs[i] ?? 0];
    }
    const { tracker } = track([...seqs, ...seqs.slice(0, 100)]);
    assert.equal(tracker.unique, 1000);
    assert.equal(tracker.duplicates, 100);
    assert.ok(tracker.outOfOrder > 0 && tracker.outOfOrder < 1000);
  });

  test('a jump beyond the gap memory: old numbers count as late deliveries, remembered gaps as out of order', () => {
    const { tracker, seen } = track([0, 200_000, 50, 150_000, 150_000, 200_000, 199_999]);
    assert.deepEqual(seen, ['new', 'new', 'out-of-order', 'out-of-order', 'duplicate', 'duplicate', 'out-of-order']);
    assert.equal(tracker.unique, 5);
    assert.equal(tracker.duplicates, 2);
    assert.equal(tracker.outOfOrder, 3);
  });

  test('when gaps overflow the memory the oldest are forgotten', () => {
    // 0, then 100 001 opens gaps 1..100 000 (the limit); 100 003 opens one more and evicts gap 1.
    const { tracker, seen } = track([0, 100_001, 100_003, 1, 2, 2, 100_002]);
    assert.deepEqual(seen, ['new', 'new', 'new', 'out-of-order', 'out-of-order', 'duplicate', 'out-of-order']);
    assert.equal(tracker.unique, 6);
    assert.equal(tracker.duplicates, 1);
  });
});

describe('deliveryTotals', () => {
  const cases: Array<{ name: string; sent: PublisherSent[]; seen: PublisherDelivery[]; expect: DeliveryTotals }> = [
    {
      name: 'nothing sent',
      sent: [],
      seen: [],
      expect: { expected: 0, received: 0, unique: 0, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'one publisher, one subscriber, all delivered',
      sent: [{ publisher: 1, sent: 100, matching: 1 }],
      seen: [{ publisher: 1, unique: 100, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 100, received: 100, unique: 100, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'fan-out: every matching subscriber expects every message',
      sent: [{ publisher: 1, sent: 10, matching: 3 }],
      seen: [
        { publisher: 1, unique: 10, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, unique: 10, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, unique: 8, duplicates: 0, outOfOrder: 0 },
      ],
      expect: { expected: 30, received: 28, unique: 28, lost: 2, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'several publishers, loss, duplicates and reordering summed',
      sent: [
        { publisher: 1, sent: 50, matching: 2 },
        { publisher: 2, sent: 30, matching: 2 },
      ],
      seen: [
        { publisher: 1, unique: 50, duplicates: 2, outOfOrder: 1 },
        { publisher: 2, unique: 30, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, unique: 45, duplicates: 0, outOfOrder: 3 },
        { publisher: 2, unique: 29, duplicates: 1, outOfOrder: 0 },
      ],
      expect: { expected: 160, received: 157, unique: 154, lost: 6, duplicated: 3, outOfOrder: 4 },
    },
    {
      name: 'publisher with no matching subscriber expects nothing',
      sent: [
        { publisher: 1, sent: 100, matching: 0 },
        { publisher: 2, sent: 5, matching: 1 },
      ],
      seen: [{ publisher: 2, unique: 5, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 5, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'nothing received',
      sent: [{ publisher: 1, sent: 7, matching: 2 }],
      seen: [],
      expect: { expected: 14, received: 0, unique: 0, lost: 14, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'more unique than expected never gives negative loss',
      sent: [{ publisher: 1, sent: 3, matching: 1 }],
      seen: [{ publisher: 1, unique: 5, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 3, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(deliveryTotals(c.sent, c.seen), c.expect);
    });
  }

  test('trackers of two subscribers for two publishers feed deliveryTotals', () => {
    // Publisher 1 sent 0..9, publisher 2 sent 0..4; both subscribers match both publishers.
    const streams: Array<{ publisher: number; seqs: number[] }> = [
      { publisher: 1, seqs: range(0, 9) }, // subscriber A, all in order
      { publisher: 2, seqs: [0, 1, 3, 2, 4, 4] }, // subscriber A: one swap, one duplicate
      { publisher: 1, seqs: [0, 1, 2, 5, 6, 7, 8, 9] }, // subscriber B: 3 and 4 lost
      { publisher: 2, seqs: [0, 1, 2, 3, 4] }, // subscriber B, all
    ];
    const seen: PublisherDelivery[] = streams.map(({ publisher, seqs }) => {
      const t = new SequenceTracker();
      for (const s of seqs) t.observe(s);
      return { publisher, unique: t.unique, duplicates: t.duplicates, outOfOrder: t.outOfOrder };
    });
    const totals = deliveryTotals(
      [
        { publisher: 1, sent: 10, matching: 2 },
        { publisher: 2, sent: 5, matching: 2 },
      ],
      seen,
    );
    assert.deepEqual(totals, { expected: 30, received: 29, unique: 28, lost: 2, duplicated: 1, outOfOrder: 1 });
  });
});
