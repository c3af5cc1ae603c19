/**
 * Delivery accounting (src/metrics/delivery.ts): SequenceTracker per (subscriber, publisher)
 * pair, and deliveryTotals combining publishers' sent counts with subscribers' figures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deliveryTotals, SequenceTracker, type DeliveryTotals, type Observation, type PublisherDelivery, type PublisherSent } from '../src/metrics/delivery.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function track(seqs: readonly number[], baseline?: number): { tracker: SequenceTracker; seen: Observation[] } {
  const tracker = baseline === undefined ? new SequenceTracker() : new SequenceTracker(baseline);
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

test('SequenceTracker.missing: numbers skipped and not received since (the progress line\'s live lost)', () => {
  const t = new SequenceTracker();
  const missing: number[] = [];
  for (const seq of [0, 1, 3, 6, 2, 2, 5]) {
    t.observe(seq);
    missing.push(t.missing);
  }
  // 3 skips 2; 6 skips 4 and 5; 2 arrives late; the repeat changes nothing; 5 arrives late.
  assert.deepEqual(missing, [0, 0, 1, 3, 2, 2, 1]);
});

describe('SequenceTracker with a baseline (a receiver that joined late)', () => {
  // `baseline`: what the publisher had sent when the receiver had subscribed. Nothing below it is
  // expected, no gaps are opened below it, and an arrival below it (a retained value, a message in
  // flight at the join) counts as unique once, any repeat of it as a duplicate.
  const cases: Array<{ name: string; baseline: number; seqs: number[]; seen: Observation[]; unique: number; duplicates: number; outOfOrder: number }> = [
    { name: 'baseline 0: in order, as without one', baseline: 0, seqs: [0, 1, 2], seen: ['new', 'new', 'new'], unique: 3, duplicates: 0, outOfOrder: 0 },
    { name: 'baseline 0: a first delivery of 5 opens gaps 0..4', baseline: 0, seqs: [5, 2, 2], seen: ['new', 'out-of-order', 'duplicate'], unique: 2, duplicates: 1, outOfOrder: 1 },
    { name: 'baseline 0: swap, duplicate', baseline: 0, seqs: [0, 2, 1, 1], seen: ['new', 'new', 'out-of-order', 'duplicate'], unique: 3, duplicates: 1, outOfOrder: 1 },
    { name: 'baseline 5: nothing yet', baseline: 5, seqs: [], seen: [], unique: 0, duplicates: 0, outOfOrder: 0 },
    { name: 'baseline 5: in order from the baseline', baseline: 5, seqs: [5, 6, 7], seen: ['new', 'new', 'new'], unique: 3, duplicates: 0, outOfOrder: 0 },
    { name: 'baseline 5: 5, 6, 8, 7 is one out of order', baseline: 5, seqs: [5, 6, 8, 7], seen: ['new', 'new', 'new', 'out-of-order'], unique: 4, duplicates: 0, outOfOrder: 1 },
    { name: 'baseline 5: a first delivery above it opens gaps from the baseline only', baseline: 5, seqs: [7, 5, 6], seen: ['new', 'out-of-order', 'out-of-order'], unique: 3, duplicates: 0, outOfOrder: 2 },
    { name: 'baseline 5: a gap never filled (lost)', baseline: 5, seqs: [6, 7], seen: ['new', 'new'], unique: 2, duplicates: 0, outOfOrder: 0 },
    { name: 'baseline 5: duplicates above it', baseline: 5, seqs: [5, 6, 6, 5], seen: ['new', 'new', 'duplicate', 'duplicate'], unique: 2, duplicates: 2, outOfOrder: 0 },
    { name: 'baseline 5: a retained 4 counts once, again is a duplicate', baseline: 5, seqs: [4, 5, 4], seen: ['new', 'new', 'duplicate'], unique: 2, duplicates: 1, outOfOrder: 0 },
    { name: 'baseline 5: a retained 4 alone', baseline: 5, seqs: [4, 4, 4], seen: ['new', 'duplicate', 'duplicate'], unique: 1, duplicates: 2, outOfOrder: 0 },
    { name: 'baseline 5: arrivals below it are never out of order', baseline: 5, seqs: [6, 3, 1, 4], seen: ['new', 'new', 'new', 'new'], unique: 4, duplicates: 0, outOfOrder: 0 },
    { name: 'baseline 5: below-baseline arrivals after the stream moved on', baseline: 5, seqs: [5, 9, 3, 7, 3], seen: ['new', 'new', 'new', 'out-of-order', 'duplicate'], unique: 4, duplicates: 1, outOfOrder: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { tracker, seen } = track(c.seqs, c.baseline);
      assert.equal(tracker.baseline, c.baseline);
      assert.deepEqual(seen, c.seen);
      assert.equal(tracker.unique, c.unique, 'unique');
      assert.equal(tracker.duplicates, c.duplicates, 'duplicates');
      assert.equal(tracker.outOfOrder, c.outOfOrder, 'outOfOrder');
      assert.equal(tracker.unique + tracker.duplicates, c.seqs.length);
    });
  }

  test('the default baseline is 0', () => {
    assert.equal(new SequenceTracker().baseline, 0);
    assert.deepEqual(track([5, 2, 2]).seen, track([5, 2, 2], 0).seen);
  });

  test('a baseline far into a stream opens no gaps below it', () => {
    // Without the baseline, 200 000 first would open 100 000 gaps and 50 would be a late delivery.
    const { tracker, seen } = track([200_000, 200_002, ...range(200_003, 250_000), 200_001, 50, 50], 200_000);
    assert.deepEqual(seen.slice(-3), ['out-of-order', 'new', 'duplicate']);
    assert.equal(tracker.unique, 50_002);
    assert.equal(tracker.duplicates, 1);
    assert.equal(tracker.outOfOrder, 1);
    assert.deepEqual(track([200_000, 50], 0).seen, ['new', 'out-of-order']);
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
      sent: [{ publisher: 1, group: 0, sent: 100, matching: 1, matchingByGroup: [0, 1] }],
      seen: [{ publisher: 1, group: 1, skipped: 0, unique: 100, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 100, received: 100, unique: 100, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'fan-out: every matching subscriber expects every message',
      sent: [{ publisher: 1, group: 0, sent: 10, matching: 3, matchingByGroup: [0, 3] }],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 10, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, group: 1, skipped: 0, unique: 10, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, group: 1, skipped: 0, unique: 8, duplicates: 0, outOfOrder: 0 },
      ],
      expect: { expected: 30, received: 28, unique: 28, lost: 2, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'several publishers, loss, duplicates and reordering summed',
      sent: [
        { publisher: 1, group: 0, sent: 50, matching: 2, matchingByGroup: [0, 2] },
        { publisher: 2, group: 0, sent: 30, matching: 2, matchingByGroup: [0, 2] },
      ],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 50, duplicates: 2, outOfOrder: 1 },
        { publisher: 2, group: 1, skipped: 0, unique: 30, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, group: 1, skipped: 0, unique: 45, duplicates: 0, outOfOrder: 3 },
        { publisher: 2, group: 1, skipped: 0, unique: 29, duplicates: 1, outOfOrder: 0 },
      ],
      expect: { expected: 160, received: 157, unique: 154, lost: 6, duplicated: 3, outOfOrder: 4 },
    },
    {
      name: 'publisher with no matching subscriber expects nothing',
      sent: [
        { publisher: 1, group: 0, sent: 100, matching: 0, matchingByGroup: [0, 0] },
        { publisher: 2, group: 0, sent: 5, matching: 1, matchingByGroup: [0, 1] },
      ],
      seen: [{ publisher: 2, group: 1, skipped: 0, unique: 5, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 5, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'nothing received',
      sent: [{ publisher: 1, group: 0, sent: 7, matching: 2, matchingByGroup: [0, 2] }],
      seen: [],
      expect: { expected: 14, received: 0, unique: 0, lost: 14, duplicated: 0, outOfOrder: 0 },
    },
    {
      name: 'more unique than expected never gives negative loss',
      sent: [{ publisher: 1, group: 0, sent: 3, matching: 1, matchingByGroup: [0, 1] }],
      seen: [{ publisher: 1, group: 1, skipped: 0, unique: 5, duplicates: 0, outOfOrder: 0 }],
      expect: { expected: 3, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(deliveryTotals(c.sent, c.seen), c.expect);
      // Every receiver here is in group 1: its totals are the phase's, group 0 expects nothing.
      assert.deepEqual(deliveryTotals(c.sent, c.seen, 1), c.expect);
      assert.equal(deliveryTotals(c.sent, c.seen, 0).expected, 0);
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
      return { publisher, group: 1, skipped: 0, unique: t.unique, duplicates: t.duplicates, outOfOrder: t.outOfOrder };
    });
    const totals = deliveryTotals(
      [
        { publisher: 1, group: 0, sent: 10, matching: 2, matchingByGroup: [0, 2] },
        { publisher: 2, group: 0, sent: 5, matching: 2, matchingByGroup: [0, 2] },
      ],
      seen,
    );
    assert.deepEqual(totals, { expected: 30, received: 29, unique: 28, lost: 2, duplicated: 1, outOfOrder: 1 });
  });
});

describe('deliveryTotals per receiving group, late receivers', () => {
  const zero = { expected: 0, received: 0, unique: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  const cases: Array<{ name: string; sent: PublisherSent[]; seen: PublisherDelivery[]; all: DeliveryTotals; byGroup: DeliveryTotals[] }> = [
    {
      name: 'two receiving groups: each expects its own share',
      sent: [{ publisher: 1, group: 0, sent: 10, matching: 3, matchingByGroup: [0, 2, 1] }],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 10, duplicates: 1, outOfOrder: 0 },
        { publisher: 1, group: 1, skipped: 0, unique: 9, duplicates: 0, outOfOrder: 2 },
        { publisher: 1, group: 2, skipped: 0, unique: 10, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 30, received: 30, unique: 29, lost: 1, duplicated: 1, outOfOrder: 2 },
      byGroup: [zero, { expected: 20, received: 20, unique: 19, lost: 1, duplicated: 1, outOfOrder: 2 }, { expected: 10, received: 10, unique: 10, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'a late receiver expects nothing it skipped',
      sent: [{ publisher: 1, group: 0, sent: 10, matching: 2, matchingByGroup: [0, 1, 1] }],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 10, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, group: 2, skipped: 4, unique: 6, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 16, received: 16, unique: 16, lost: 0, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 10, received: 10, unique: 10, lost: 0, duplicated: 0, outOfOrder: 0 }, { expected: 6, received: 6, unique: 6, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'a late receiver that also lost some',
      sent: [{ publisher: 7, group: 0, sent: 10, matching: 1, matchingByGroup: [0, 1] }],
      seen: [{ publisher: 7, group: 1, skipped: 4, unique: 4, duplicates: 0, outOfOrder: 0 }],
      all: { expected: 6, received: 4, unique: 4, lost: 2, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 6, received: 4, unique: 4, lost: 2, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'two late receivers of one group on one worker: their baselines add up, each capped by its share',
      sent: [{ publisher: 1, group: 0, sent: 10, matching: 2, matchingByGroup: [0, 2] }],
      seen: [{ publisher: 1, group: 1, skipped: 12, unique: 8, duplicates: 0, outOfOrder: 0 }],
      all: { expected: 8, received: 8, unique: 8, lost: 0, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 8, received: 8, unique: 8, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'an early arrival in one pair does not hide loss in another',
      sent: [
        { publisher: 1, group: 0, sent: 8, matching: 1, matchingByGroup: [0, 1] },
        { publisher: 2, group: 0, sent: 8, matching: 1, matchingByGroup: [0, 1] },
      ],
      seen: [
        { publisher: 1, group: 1, skipped: 5, unique: 4, duplicates: 0, outOfOrder: 0 },
        { publisher: 2, group: 1, skipped: 0, unique: 7, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 11, received: 11, unique: 11, lost: 1, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 11, received: 11, unique: 11, lost: 1, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'skipped is capped at what the publisher sent',
      sent: [
        { publisher: 1, group: 0, sent: 3, matching: 1, matchingByGroup: [0, 1] },
        { publisher: 2, group: 0, sent: 10, matching: 1, matchingByGroup: [0, 1] },
      ],
      seen: [{ publisher: 1, group: 1, skipped: 50, unique: 0, duplicates: 0, outOfOrder: 0 }],
      all: { expected: 10, received: 0, unique: 0, lost: 10, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 10, received: 0, unique: 0, lost: 10, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'a publisher that reported nothing sent: nothing to skip',
      sent: [{ publisher: 1, group: 0, sent: 5, matching: 1, matchingByGroup: [0, 1] }],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 5, duplicates: 0, outOfOrder: 0 },
        { publisher: 9, group: 1, skipped: 3, unique: 2, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 5, received: 7, unique: 7, lost: 0, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 5, received: 7, unique: 7, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'skipped is subtracted per (group, publisher): a late group does not lower an on-time one',
      sent: [{ publisher: 1, group: 0, sent: 10, matching: 2, matchingByGroup: [0, 1, 1] }],
      seen: [
        { publisher: 1, group: 1, skipped: 0, unique: 7, duplicates: 0, outOfOrder: 0 },
        { publisher: 1, group: 2, skipped: 6, unique: 4, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 14, received: 11, unique: 11, lost: 3, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 10, received: 7, unique: 7, lost: 3, duplicated: 0, outOfOrder: 0 }, { expected: 4, received: 4, unique: 4, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'each publisher\'s own skipped is subtracted from it',
      sent: [
        { publisher: 1, group: 0, sent: 10, matching: 1, matchingByGroup: [0, 1] },
        { publisher: 2, group: 0, sent: 20, matching: 1, matchingByGroup: [0, 1] },
      ],
      seen: [
        { publisher: 1, group: 1, skipped: 4, unique: 6, duplicates: 0, outOfOrder: 0 },
        { publisher: 2, group: 1, skipped: 15, unique: 3, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 11, received: 9, unique: 9, lost: 2, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 11, received: 9, unique: 9, lost: 2, duplicated: 0, outOfOrder: 0 }],
    },
    {
      // A publisher that went quiet before the late receiver joined: it delivered nothing, and nothing was expected.
      name: 'an entry with no deliveries still subtracts its skipped',
      sent: [
        { publisher: 1, group: 0, sent: 10, matching: 1, matchingByGroup: [0, 1] },
        { publisher: 2, group: 0, sent: 8, matching: 1, matchingByGroup: [0, 1] },
      ],
      seen: [
        { publisher: 1, group: 1, skipped: 2, unique: 8, duplicates: 0, outOfOrder: 0 },
        { publisher: 2, group: 1, skipped: 8, unique: 0, duplicates: 0, outOfOrder: 0 },
      ],
      all: { expected: 8, received: 8, unique: 8, lost: 0, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 8, received: 8, unique: 8, lost: 0, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'an entry with no deliveries: what was sent after the join is lost',
      sent: [{ publisher: 3, group: 0, sent: 8, matching: 1, matchingByGroup: [0, 1] }],
      seen: [{ publisher: 3, group: 1, skipped: 5, unique: 0, duplicates: 0, outOfOrder: 0 }],
      all: { expected: 3, received: 0, unique: 0, lost: 3, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 3, received: 0, unique: 0, lost: 3, duplicated: 0, outOfOrder: 0 }],
    },
    {
      name: 'a group past the publisher\'s matchingByGroup expects nothing',
      sent: [{ publisher: 1, group: 0, sent: 5, matching: 1, matchingByGroup: [0, 1] }],
      seen: [{ publisher: 1, group: 1, skipped: 0, unique: 5, duplicates: 0, outOfOrder: 0 }],
      all: { expected: 5, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 },
      byGroup: [zero, { expected: 5, received: 5, unique: 5, lost: 0, duplicated: 0, outOfOrder: 0 }, zero, zero],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(deliveryTotals(c.sent, c.seen), c.all);
      c.byGroup.forEach((expected, g) => assert.deepEqual(deliveryTotals(c.sent, c.seen, g), expected, `group ${g}`));
    });
  }

  const feed = (baseline: number, seqs: number[], sent: number): DeliveryTotals => {
    const t = new SequenceTracker(baseline);
    for (const seq of seqs) t.observe(seq);
    return deliveryTotals(
      [{ publisher: 1, group: 0, sent, matching: 1, matchingByGroup: [0, 1] }],
      [{ publisher: 1, group: 1, skipped: baseline, unique: t.unique, duplicates: t.duplicates, outOfOrder: t.outOfOrder }],
      1,
    );
  };

  test('a tracker with a baseline feeds deliveryTotals: only what was sent after the join is expected', () => {
    // Publisher sent 0..9; the receiver joined after 0..2, and 6 never came.
    assert.deepEqual(feed(3, [3, 4, 5, 7, 8, 9], 10), { expected: 7, received: 6, unique: 6, lost: 1, duplicated: 0, outOfOrder: 0 });
  });

  test('a retained value at the baseline is expected and counted once', () => {
    // Publisher had sent 0..2 and retains: the baseline is 2, its retained value; then 3..9 live.
    assert.deepEqual(feed(2, [2, ...range(3, 9), 2], 10), { expected: 8, received: 9, unique: 8, lost: 0, duplicated: 1, outOfOrder: 0 });
  });
});
