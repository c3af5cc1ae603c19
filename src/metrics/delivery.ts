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
  /** Arrivals below the baseline (a retained value, a message in flight at the join), each counted once. */
  private readonly early = new Set<number>();
  private readonly gaps = new Set<number>();
  /** Sequence numbers below this may have been forgotten gaps. */
  private forgottenBelow = 0;
  unique = 0;
  duplicates = 0;
  outOfOrder = 0;

  /**
   * `baseline`: a receiver that joined late expects nothing its publisher sent before it had
   * subscribed; tracking starts there, so no gaps are opened below it.
   */
  constructor(readonly baseline = 0) {
    this.max = baseline - 1;
    this.forgottenBelow = baseline;
  }

  observe(seq: number): Observation {
    if (seq < this.baseline) {
      if (this.early.has(seq)) {
        this.duplicates++;
        return 'duplicate';
      }
      this.early.add(seq);
      this.unique++;
      return 'new';
    }
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
  /** The receiving group's index in the phase. */
  group: number;
  /** Messages the publisher had sent before late receivers of this group subscribed: not expected of them. */
  skipped: number;
  unique: number;
  duplicates: number;
  outOfOrder: number;
}

/** Per-publisher figures of one publisher's side, reported at the end of a phase. */
export interface PublisherSent {
  publisher: number;
  /** The publisher's group index in the phase. */
  group: number;
  sent: number;
  /** Subscribers whose filters match this publisher's topic. */
  matching: number;
  /** The same per receiving group index. */
  matchingByGroup: number[];
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
 * Every sent message is expected once at every matching subscriber (but what a late receiver's
 * publisher had sent before it subscribed); with `group`, only at that receiving group. Loss is
 * settled per (publisher, receiving group), so a surplus in one pair (an early arrival below a
 * late receiver's baseline) never hides loss in another.
 */
export function deliveryTotals(sent: ReadonlyArray<PublisherSent>, seen: ReadonlyArray<PublisherDelivery>, group?: number): DeliveryTotals {
  const uniqueBy = new Map<string, number>();
  const skippedBy = new Map<string, number>();
  const add = (m: Map<string, number>, key: string, n: number): void => {
    m.set(key, (m.get(key) ?? 0) + n);
  };
  let unique = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (const d of seen) {
    if (group !== undefined && d.group !== group) continue;
    for (const key of [`${d.publisher}:${d.group}`, `${d.publisher}:*`]) {
      add(uniqueBy, key, d.unique);
      add(skippedBy, key, d.skipped);
    }
    unique += d.unique;
    duplicated += d.duplicates;
    outOfOrder += d.outOfOrder;
  }
  let expected = 0;
  let lost = 0;
  for (const p of sent) {
    // Without per-group figures (a plan of one receiving group), the publisher's total stands for its one pair.
    const pairs: Array<[string, number]> =
      group !== undefined
        ? [[String(group), p.matchingByGroup[group] ?? 0]]
        : p.matchingByGroup.length === 0
          ? [['*', p.matching]]
          : p.matchingByGroup.map((m, g): [string, number] => [String(g), m]);
    for (const [g, matching] of pairs) {
      const key = `${p.publisher}:${g}`;
      const all = p.sent * matching;
      const due = all - Math.min(skippedBy.get(key) ?? 0, all);
      expected += due;
      lost += Math.max(0, due - (uniqueBy.get(key) ?? 0));
    }
  }
  return { expected, received: unique + duplicated, unique, lost, duplicated, outOfOrder };
}
