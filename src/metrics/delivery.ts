/**
 * Delivery accounting from sequence numbers, one tracker per (subscriber, publisher) pair.
 * A sequence above the highest seen opens gaps for the numbers skipped; a later arrival
 * that fills a gap is out of order; any other repeat is a duplicate. Loss is not decided
 * here: it is expected (from the publishers' final counts) minus unique deliveries.
 */

/** Gaps remembered per pair; older ones are forgotten (arrivals below them count as late, not duplicate). */
const MAX_GAPS = 100_000;
/** Gap ranges reported per pair (a broker that drops at random opens many); beyond this the pair's loss is not placed. */
const MAX_GAP_RANGES = 10_000;

/** Half-open ranges [from, to) of sequence numbers, ascending. */
export type SeqRanges = Array<[number, number]>;

/** One receiver's view of one publisher: it got every number in [from, next) except the gaps. */
export interface Coverage {
  from: number;
  next: number;
  gaps: SeqRanges;
  /** More gap ranges than are reported: the coverage is not known exactly. */
  truncated?: true;
}

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

  /** Numbers skipped (a later one came first) and not received since: missing so far. */
  get missing(): number {
    return this.gaps.size;
  }

  /** What this tracker got of its publisher's numbers from the baseline on: everything below `next` but the gaps. */
  coverage(): Coverage {
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const gaps: SeqRanges = [];
    let truncated = false;
    for (const g of sorted) {
      const last = gaps[gaps.length - 1];
      if (last !== undefined && last[1] === g) last[1] = g + 1;
      else if (gaps.length < MAX_GAP_RANGES) gaps.push([g, g + 1]);
      else truncated = true;
    }
    // Below forgottenBelow old gaps may have been forgotten: nothing there is claimed as received.
    const coverage: Coverage = { from: this.forgottenBelow, next: this.max + 1, gaps };
    if (truncated) coverage.truncated = true;
    return coverage;
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
  /** Per receiving client: which numbers it got (for the loss breakdown against the unacknowledged ones). */
  coverage?: Coverage[];
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
  /** Sequence numbers the broker never acknowledged (PUBACK/PUBCOMP); null at QoS 0 and on WebSocket, which have no acknowledgement. */
  unacked?: SeqRanges | null;
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

/** Sum of |a ∩ [from, to)| over ascending ranges a. */
function countIn(ranges: SeqRanges, from: number, to: number): number {
  let n = 0;
  for (const [a, b] of ranges) {
    const lo = Math.max(a, from);
    const hi = Math.min(b, to);
    if (hi > lo) n += hi - lo;
  }
  return n;
}

/** |a ∩ b| for two ascending range lists. */
function countBoth(a: SeqRanges, b: SeqRanges): number {
  let n = 0;
  for (const [from, to] of b) n += countIn(a, from, to);
  return n;
}

/** Where the lost messages stopped: never acknowledged by the broker, or acknowledged and then never delivered. */
export interface LossBreakdown {
  /** Lost messages of publishers with acknowledgements (QoS 1/2). */
  lost: number;
  /** Of those: the broker never acknowledged them (the connection dropped first, or no PUBACK/PUBCOMP came). */
  notAcknowledged: number;
  /** Of those: acknowledged by the broker but never delivered to an expected subscriber (held or dropped by the broker). */
  acknowledgedNotDelivered: number;
  /** Of those: not placed, because a receiver had more gaps than are tracked. */
  unplaced: number;
}

/**
 * Pure: splits the loss of acknowledged publishers per (publisher, receiving group), with `lost`
 * as deliveryTotals settles it for those pairs. A plain receiver expects every number from its
 * baseline, so the unacknowledged ones it misses are those in its gaps and after the last it got
 * (a receiver that got nothing from the publisher misses them all). The members of a shared
 * subscription (`sharedGroups`) get disjoint parts of one stream: the unacknowledged numbers
 * none of them got, once per share. The rest of the pair's loss was acknowledged by the broker.
 */
export function lossBreakdown(sent: ReadonlyArray<PublisherSent>, seen: ReadonlyArray<PublisherDelivery>, sharedGroups: ReadonlySet<number> = new Set()): LossBreakdown {
  const out: LossBreakdown = { lost: 0, notAcknowledged: 0, acknowledgedNotDelivered: 0, unplaced: 0 };
  for (const p of sent) {
    const unacked = p.unacked;
    if (unacked === null || unacked === undefined) continue;
    const perGroup = p.matchingByGroup.length > 0;
    const groups = perGroup ? p.matchingByGroup : [p.matching];
    groups.forEach((matching, g) => {
      if (matching === 0) return;
      const mine = seen.filter((d) => d.publisher === p.publisher && (!perGroup || d.group === g));
      const only = perGroup ? { ...p, matchingByGroup: p.matchingByGroup.map((m, i) => (i === g ? m : 0)) } : p;
      const lost = deliveryTotals([only], mine).lost;
      if (lost === 0) return;
      out.lost += lost;
      const coverages = mine.flatMap((d) => d.coverage ?? []);
      if (coverages.some((c) => c.truncated === true)) {
        out.unplaced += lost;
        return;
      }
      const all = countIn(unacked, 0, p.sent);
      let missing: number;
      if (sharedGroups.has(perGroup ? g : -1)) {
        let got = 0;
        for (const c of coverages) got += countIn(unacked, c.from, c.next) - countBoth(unacked, c.gaps);
        missing = all * matching - got;
      } else {
        missing = Math.max(0, matching - coverages.length) * all;
        for (const c of coverages) missing += countIn(unacked, c.next, p.sent) + countBoth(unacked, c.gaps);
      }
      const notAcknowledged = Math.min(lost, Math.max(0, missing));
      out.notAcknowledged += notAcknowledged;
      out.acknowledgedNotDelivered += lost - notAcknowledged;
    });
  }
  return out;
}
