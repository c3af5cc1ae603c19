/**
 * Where lost messages stopped (src/metrics/delivery.ts): lossBreakdown splits the loss of
 * publishers with acknowledgements into never acknowledged and acknowledged but not
 * delivered, per (publisher, receiving group), from the receivers' SequenceTracker
 * coverage. Coverages are built with real trackers fed the sequence numbers each receiver got.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  deliveryTotals,
  lossBreakdown,
  SequenceTracker,
  type Coverage,
  type LossBreakdown,
  type PublisherDelivery,
  type PublisherSent,
  type SeqRanges,
} from '../src/metrics/delivery.js';

/** [from, to) with a step. */
const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let s = from; s < to; s += step) out.push(s);
  return out;
};
/** [from, to) without the numbers in `holes` (half-open ranges). */
const except = (from: number, to: number, holes: SeqRanges): number[] => range(from, to).filter((s) => !holes.some(([a, b]) => s >= a && s < b));

/** A receiver's tracker after it got `seqs` in that order; `baseline`: a late joiner's. */
function receiver(seqs: readonly number[], baseline = 0): SequenceTracker {
  const t = new SequenceTracker(baseline);
  for (const s of seqs) t.observe(s);
  return t;
}

/** What deliveryByPublisher (src/worker/subscriber.ts) makes of the trackers of one group's receivers for one publisher. */
function delivery(publisher: number, group: number, trackers: readonly SequenceTracker[]): PublisherDelivery {
  return {
    publisher,
    group,
    skipped: trackers.reduce((a, t) => a + t.baseline, 0),
    unique: trackers.reduce((a, t) => a + t.unique, 0),
    duplicates: trackers.reduce((a, t) => a + t.duplicates, 0),
    outOfOrder: trackers.reduce((a, t) => a + t.outOfOrder, 0),
    coverage: trackers.map((t) => t.coverage()),
  };
}

function sentBy(publisher: number, sent: number, matchingByGroup: number[], unacked: SeqRanges | null | undefined): PublisherSent {
  return { publisher, group: 0, sent, matching: matchingByGroup.reduce((a, m) => a + m, 0), matchingByGroup, unacked };
}

const breakdown = (lost: number, notAcknowledged: number, acknowledgedNotDelivered: number, unplaced = 0): LossBreakdown => ({ lost, notAcknowledged, acknowledgedNotDelivered, unplaced });

describe('lossBreakdown', () => {
  const cases: Array<{ name: string; sent: PublisherSent[]; seen: PublisherDelivery[]; want: LossBreakdown; shared?: true }> = [
    {
      name: 'nothing lost, nothing unacknowledged',
      sent: [sentBy(1, 100, [1], [])],
      seen: [delivery(1, 0, [receiver(range(0, 100))])],
      want: breakdown(0, 0, 0),
    },
    {
      name: 'a tail never acknowledged and never delivered',
      sent: [sentBy(1, 100, [1], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 90))])],
      want: breakdown(10, 10, 0),
    },
    {
      name: 'a gap that was acknowledged: held or dropped by the broker',
      sent: [sentBy(1, 100, [1], [])],
      seen: [delivery(1, 0, [receiver(except(0, 100, [[40, 50]]))])],
      want: breakdown(10, 0, 10),
    },
    {
      name: 'unacknowledged but delivered anyway (the PUBACK went down with the connection): not lost',
      sent: [sentBy(1, 100, [1], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 100))])],
      want: breakdown(0, 0, 0),
    },
    {
      name: 'unacknowledged, part delivered, plus an acknowledged gap',
      // 90..94 came anyway; 95..99 never acknowledged, never delivered; 40..44 acknowledged, never delivered.
      sent: [sentBy(1, 100, [1], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(except(0, 95, [[40, 45]]))])],
      want: breakdown(10, 5, 5),
    },
    {
      name: 'unacknowledged ranges in the middle, delivered out of order',
      sent: [sentBy(1, 50, [1], [[10, 12], [20, 25]])],
      // 11 and 20 arrived late; 10 and 21..24 never did; 30 (acknowledged) never did.
      seen: [delivery(1, 0, [receiver([...except(0, 50, [[10, 12], [20, 25], [30, 31]]), 11, 20])])],
      want: breakdown(6, 5, 1),
    },
    {
      name: 'two receivers of one group: one lost the unacknowledged tail, the other an acknowledged gap',
      sent: [sentBy(1, 100, [2], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 90)), receiver(except(0, 100, [[10, 20]]))])],
      want: breakdown(20, 10, 10),
    },
    {
      name: 'two receivers of one group, both got the unacknowledged messages',
      sent: [sentBy(1, 100, [2], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(except(0, 100, [[5, 6]])), receiver(range(0, 100))])],
      want: breakdown(1, 0, 1),
    },
    {
      name: 'a receiver with no tracker at all: every unacknowledged message counts as not delivered to it',
      // matching 2, only one receiver ever heard from the publisher: the other lost all 100, 10 of them unacknowledged.
      sent: [sentBy(1, 100, [2], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 100))])],
      want: breakdown(100, 10, 90),
    },
    {
      name: 'no delivery entry at all',
      sent: [sentBy(1, 10, [1], [[5, 10]])],
      seen: [],
      want: breakdown(10, 5, 5),
    },
    {
      name: 'QoS 0 (unacked null): left out entirely',
      sent: [sentBy(1, 100, [1], null)],
      seen: [delivery(1, 0, [receiver(range(0, 50))])],
      want: breakdown(0, 0, 0),
    },
    {
      name: 'no acknowledgement information (unacked undefined): left out entirely',
      sent: [sentBy(1, 100, [1], undefined)],
      seen: [delivery(1, 0, [receiver(range(0, 50))])],
      want: breakdown(0, 0, 0),
    },
    {
      name: 'a QoS 0 and a QoS 1 publisher: only the QoS 1 loss is split',
      sent: [sentBy(1, 100, [1], null), sentBy(2, 100, [1], [[95, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 50))]), delivery(2, 0, [receiver(range(0, 90))])],
      want: breakdown(10, 5, 5),
    },
    {
      name: 'per receiving group: what one group got of the unacknowledged never covers another group',
      // Group 0 got 90..99 (unacknowledged, delivered anyway), group 1 did not.
      sent: [sentBy(1, 100, [1, 1], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 100))]), delivery(1, 1, [receiver(range(0, 90))])],
      want: breakdown(10, 10, 0),
    },
    {
      name: 'per receiving group: a group that matches nothing expects nothing',
      sent: [sentBy(1, 100, [0, 1], [[90, 100]])],
      seen: [delivery(1, 1, [receiver(range(0, 90))])],
      want: breakdown(10, 10, 0),
    },
    {
      name: 'without per-group figures the publisher total stands for its one pair',
      sent: [{ publisher: 1, group: 0, sent: 100, matching: 2, matchingByGroup: [], unacked: [[90, 100]] }],
      seen: [delivery(1, 0, [receiver(range(0, 90)), receiver(except(0, 100, [[0, 3]]))])],
      want: breakdown(13, 10, 3),
    },
    {
      name: 'shared subscription, no loss: the members split the messages between them',
      shared: true,
      sent: [sentBy(1, 100, [1], [[90, 100]])],
      seen: [delivery(1, 0, [receiver(range(0, 100, 2)), receiver(range(1, 100, 2))])],
      want: breakdown(0, 0, 0),
    },
    {
      name: 'shared subscription: each member covers part, the tail was never acknowledged',
      shared: true,
      // Members alternate; 90..92 came anyway (unacknowledged), 93..99 never; 50 (acknowledged) never.
      sent: [sentBy(1, 100, [1], [[90, 100]])],
      seen: [
        delivery(1, 0, [
          receiver([...range(0, 90, 2).filter((s) => s !== 50), 90, 92]),
          receiver([...range(1, 90, 2), 91]),
        ]),
      ],
      want: breakdown(8, 7, 1),
    },
    {
      name: 'shared subscription: one member got the whole unacknowledged range, the other none of it',
      shared: true,
      sent: [sentBy(1, 100, [1], [[80, 100]])],
      seen: [delivery(1, 0, [receiver([...range(0, 80, 2), ...range(80, 95)]), receiver(range(1, 80, 2))])],
      want: breakdown(5, 5, 0),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = lossBreakdown(c.sent, c.seen, c.shared ? new Set([0]) : undefined);
      assert.deepEqual(got, c.want);
      assert.equal(got.notAcknowledged + got.acknowledgedNotDelivered, got.lost, 'the two parts add up to the loss');
      // `lost` is what deliveryTotals settles for the publishers with acknowledgements.
      const acked = c.sent.filter((p) => p.unacked !== null && p.unacked !== undefined);
      assert.equal(got.lost, deliveryTotals(acked, c.seen).lost, 'lost as deliveryTotals settles it');
    });
  }

  test('a QoS 0 publisher loses messages the breakdown does not claim', () => {
    const sent = [sentBy(1, 100, [1], null)];
    const seen = [delivery(1, 0, [receiver(range(0, 50))])];
    assert.equal(deliveryTotals(sent, seen).lost, 50);
    assert.deepEqual(lossBreakdown(sent, seen), breakdown(0, 0, 0));
  });

  // A late joiner was never expected to get what was sent before it subscribed: the unacknowledged
  // numbers below its baseline (0..9) are not its loss; its 10 lost (60..69) were acknowledged.
  test('a late joiner: unacknowledged messages from before it subscribed are not its loss', () => {
    const late = receiver(except(50, 100, [[60, 70]]), 50);
    const sent = [sentBy(1, 100, [1], [[0, 10]])];
    const seen = [delivery(1, 0, [late])];
    assert.equal(deliveryTotals(sent, seen).lost, 10);
    assert.deepEqual(lossBreakdown(sent, seen), breakdown(10, 0, 10));
  });

  // A shared-subscription member's coverage has a gap for every message another member got, so two
  // alternating members pass the tracked gap ranges (10,000) after 20,000 messages: that pair's
  // loss is then not placed (rather than counted twice or called acknowledged).
  test('shared subscription past 20,000 messages: the loss is not placed rather than placed wrong', () => {
    // 0..24,999 delivered alternately (20,000..24,999 unacknowledged but delivered anyway), 25,000..29,999 never acknowledged, never delivered.
    const sent = [sentBy(1, 30_000, [1], [[20_000, 30_000]])];
    const seen = [delivery(1, 0, [receiver(range(0, 25_000, 2)), receiver(range(1, 25_000, 2))])];
    assert.equal(deliveryTotals(sent, seen).lost, 5000);
    assert.deepEqual(lossBreakdown(sent, seen, new Set([0])), breakdown(5000, 0, 0, 5000));
  });

  test('shared subscription within the tracked gaps: what no member got, once per share', () => {
    const sent = [sentBy(1, 3000, [1], [[2000, 3000]])];
    const seen = [delivery(1, 0, [receiver(range(0, 2500, 2)), receiver(range(1, 2500, 2))])];
    assert.equal(deliveryTotals(sent, seen).lost, 500);
    assert.deepEqual(lossBreakdown(sent, seen, new Set([0])), breakdown(500, 500, 0));
  });
});

describe('SequenceTracker.coverage', () => {
  const cases: Array<{ name: string; seqs: number[]; baseline?: number; want: Coverage }> = [
    { name: 'a fresh tracker', seqs: [], want: { from: 0, next: 0, gaps: [] } },
    { name: 'a fresh late joiner', seqs: [], baseline: 7, want: { from: 7, next: 7, gaps: [] } },
    { name: 'in order', seqs: range(0, 10), want: { from: 0, next: 10, gaps: [] } },
    { name: 'the first message missing', seqs: [1, 2], want: { from: 0, next: 3, gaps: [[0, 1]] } },
    { name: 'adjacent gaps merged into ranges', seqs: [0, 5, 9], want: { from: 0, next: 10, gaps: [[1, 5], [6, 9]] } },
    { name: 'a filled gap splits its range', seqs: [0, 5, 2], want: { from: 0, next: 6, gaps: [[1, 2], [3, 5]] } },
    { name: 'ranges ascending whatever the arrival order', seqs: [10, 7, 3, 0], want: { from: 0, next: 11, gaps: [[1, 3], [4, 7], [8, 10]] } },
    { name: 'duplicates change nothing', seqs: [0, 3, 3, 0, 3], want: { from: 0, next: 4, gaps: [[1, 3]] } },
    { name: 'next is the highest seen plus one, not the count', seqs: [42], want: { from: 0, next: 43, gaps: [[0, 42]] } },
    { name: 'a late joiner: from its baseline, no gaps below it', seqs: [52, 50, 55], baseline: 50, want: { from: 50, next: 56, gaps: [[51, 52], [53, 55]] } },
    { name: 'a late joiner whose first message is above its baseline', seqs: [60], baseline: 50, want: { from: 50, next: 61, gaps: [[50, 60]] } },
    { name: 'a late joiner: an early arrival below the baseline is not claimed', seqs: [49], baseline: 50, want: { from: 50, next: 50, gaps: [] } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(receiver(c.seqs, c.baseline).coverage(), c.want);
    });
  }

  test('coverage counts exactly the unique numbers at or above the baseline', () => {
    const seqs = [3, 9, 1, 14, 9, 2, 20, 5];
    const t = receiver(seqs, 1);
    const { from, next, gaps } = t.coverage();
    const claimed = next - from - gaps.reduce((a, [x, y]) => a + y - x, 0);
    assert.equal(claimed, new Set(seqs.filter((s) => s >= 1)).size);
    assert.equal(claimed, t.unique);
  });
});
