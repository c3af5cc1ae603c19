/**
 * Delivery accounting from sequence numbers, one tracker per (subscriber, publisher) pair.
 * A sequence above the highest seen opens gaps for the numbers skipped; a later arrival
 * that fills a gap is out of order; any other repeat is a duplicate. Loss is not decided
 * here: it is expected (from the publishers' final counts) minus unique deliveries.
 */

/** Gaps remembered per pair; older ones are forgotten (arrivals below them count as late, not duplicate). */
const MAX_GAPS = 100_000;

export type Observation = 'new' | 'duplicate' | 'out-of-order';

export class SequenceTracker {
  private max = -1;
  private readonly gaps = new Set<number>();
  /** Sequence numbers below this may have been forgotten gaps. */
  private forgottenBelow = 0;
  unique = 0;
  duplicates = 0;
  outOfOrder = 0;

  observe(seq: number): Observation {
    if (seq > this.max) {
      const from = Math.max(this.max + 1, seq - MAX_GAPS);
      if (from > this.max + 1) this.forgottenBelow = from;
      for (let s = from; s < seq; s++) this.gaps.add(s);
      this.evict();
      this.max = seq;
      this.unique++;
      return 'new';
    }
    if (this.gaps.delete(seq)) {
      this.unique++;
      this.outOfOrder++;
      return 'out-of-order';
    }
    if (seq < this.forgottenBelow) {
      // A gap too old to remember: most likely a late delivery, not a repeat.
      this.unique++;
      this.outOfOrder++;
      return 'out-of-order';
    }
    this.duplicates++;
    return 'duplicate';
  }

  private evict(): void {
    if (this.gaps.size <= MAX_GAPS) return;
    for (const s of this.gaps) {
      this.gaps.delete(s);
      if (s + 1 > this.forgottenBelow) this.forgottenBelow = s + 1;
      if (this.gaps.size <= MAX_GAPS) break;
    }
  }
}

/** Delivery figures for one publisher as seen by a set of subscribers. */
export interface PublisherDelivery {
  publisher: number;
  unique: number;
  duplicates: number;
  outOfOrder: number;
}

/** Per-publisher figures of one publisher's side, reported at the end of a phase. */
export interface PublisherSent {
  publisher: number;
  sent: number;
  /** Subscribers whose filters match this publisher's topic. */
  matching: number;
}

export interface DeliveryTotals {
  expected: number;
  received: number;
  unique: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

/**
 * Pure: combines the publishers' sent counts with the subscribers' per-publisher figures.
 * Every sent message is expected once at every matching subscriber.
 */
export function deliveryTotals(sent: ReadonlyArray<PublisherSent>, seen: ReadonlyArray<PublisherDelivery>): DeliveryTotals {
  let expected = 0;
  for (const p of sent) expected += p.sent * p.matching;
  let unique = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (const d of seen) {
    unique += d.unique;
    duplicated += d.duplicates;
    outOfOrder += d.outOfOrder;
  }
  return {
    expected,
    received: unique + duplicated,
    unique,
    lost: Math.max(0, expected - unique),
    duplicated,
    outOfOrder,
  };
}
