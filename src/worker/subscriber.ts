/**
 * One receiving client's measurements: each message's header gives its publisher, sequence
 * and send times; the tracker per publisher sorts first deliveries from repeats. A will (a
 * header with the WILL_SEQ sequence) is timed from the moment its client dropped.
 */
import { elapsedSinceWire, nowMicros } from '../metrics/clock.js';
import { SequenceTracker, type PublisherDelivery } from '../metrics/delivery.js';
import { HEADER_BYTES, WILL_SEQ } from '../metrics/payload.js';
import type { Recorder } from '../metrics/recorder.js';
import type { GroupStats } from './group-stats.js';

export class Subscriber {
  readonly trackers = new Map<number, SequenceTracker>();
  /** First deliveries, wills excluded. */
  unique = 0;
  private readonly wills = new Set<number>();
  /** When the client came back from being offline (shared clock), 0 before. */
  private comebackUs = 0;

  constructor(
    private readonly recorder: Recorder,
    /** Deliveries per publisher id, shared with every publisher in the process. */
    private readonly delivered: Uint32Array,
    readonly group: number,
    private readonly stats: GroupStats,
    /** When each will's client dropped (shared clock, by will id), written by the dropping worker. */
    private readonly drops: BigInt64Array,
    /** A late joiner's publishers (plan/workers.ts); empty for clients there from the start. */
    private readonly lateFrom: ReadonlyArray<{ publisher: number; retained: boolean }>,
    /** Messages sent so far per publisher id, kept by every publisher in the process. */
    private readonly sentCounts: Uint32Array,
    /** 1 for publishers whose send times are another machine's clock (--shard without --clock-sync): counted, not timed. */
    private readonly untimed: Uint8Array | null = null,
  ) {}

  /** Per publisher: messages sent before this late joiner had subscribed (a retaining publisher's last one is still expected). */
  readonly baselines = new Map<number, number>();

  private snapshotTaken = false;

  /**
   * A late joiner has subscribed: what its publishers sent until now is not expected of it. Also
   * called by the first delivery, which may come before the code after the SUBACK runs.
   */
  subscribed(): void {
    if (this.snapshotTaken) return;
    this.snapshotTaken = true;
    for (const { publisher, retained } of this.lateFrom) {
      const sent = publisher < this.sentCounts.length ? Atomics.load(this.sentCounts, publisher) : 0;
      this.baselines.set(publisher, retained && sent > 0 ? sent - 1 : sent);
    }
  }

  /** The client is back from being offline: deliveries sent before now are its backlog. */
  comeback(nowUs: number): void {
    this.comebackUs = nowUs;
  }

  onMessage(payload: Buffer, retain = false): void {
    const nowUs = nowMicros();
    if (payload.length === 0) return; // a retained message being cleared
    if (payload.length < HEADER_BYTES) {
      this.recorder.error('foreign-message');
      return;
    }
    const publisher = payload.readUInt32BE(0);
    const seq = payload.readUInt32BE(4);
    if (seq === WILL_SEQ) {
      this.onWill(publisher, nowUs);
      return;
    }
    if (publisher === 0 || publisher >= this.delivered.length) {
      this.recorder.error('foreign-message');
      return;
    }
    if (!this.snapshotTaken && this.lateFrom.length > 0) this.subscribed();
    let tracker = this.trackers.get(publisher);
    if (tracker === undefined) {
      // The subscription was live before the snapshot when an older message comes first: start there.
      const snapshot = this.baselines.get(publisher);
      const baseline = snapshot === undefined ? 0 : Math.min(snapshot, seq);
      if (snapshot !== undefined) this.baselines.set(publisher, baseline);
      tracker = new SequenceTracker(baseline);
      this.trackers.set(publisher, tracker);
    }
    if (retain) this.stats.retained++;
    if (tracker.observe(seq) === 'duplicate') {
      this.recorder.receivedDuplicate(payload.length);
      return;
    }
    this.unique++;
    if (nowUs >= this.recorder.drainEndUs) this.recorder.afterDrain++;
    Atomics.add(this.delivered, publisher, 1);
    if (this.untimed !== null && this.untimed[publisher] === 1) {
      if (retain) this.recorder.receivedUntimed(payload.length);
      else this.recorder.receivedUnclocked(nowUs, payload.length);
      return;
    }
    const corrected = elapsedSinceWire(nowUs, payload.readUInt32BE(8));
    const uncorrected = elapsedSinceWire(nowUs, payload.readUInt32BE(12));
    if (this.comebackUs > 0 && nowUs - uncorrected < this.comebackUs) {
      this.stats.backlog++;
      this.stats.backlogDrainUs = Math.max(this.stats.backlogDrainUs, nowUs - this.comebackUs);
    }
    // Like the phase's: only messages due in the steady window (a retained value: from when it was published).
    if (nowUs - corrected >= this.recorder.steadyStartUs) this.stats.recordE2e(corrected);
    // A retained value is as old as its publish: it says when it was sent, not how fast delivery was.
    if (!retain) this.recorder.received(nowUs, payload.length, nowUs - corrected, corrected, uncorrected);
    else this.recorder.receivedUntimed(payload.length);
  }

  private onWill(willId: number, nowUs: number): void {
    if (this.wills.has(willId)) {
      this.recorder.error('duplicate-will');
      return;
    }
    this.wills.add(willId);
    this.stats.willsReceived++;
    const dropUs = willId < this.drops.length ? Number(Atomics.load(this.drops, willId)) : 0;
    if (dropUs > 0) this.stats.recordWill(nowUs - dropUs);
  }
}

/** Deliveries the subscribers skipped and still miss now, over all their publishers (for the progress line). */
export function missingDeliveries(subscribers: ReadonlyArray<Subscriber | null>): number {
  let n = 0;
  for (const s of subscribers) if (s !== null) for (const t of s.trackers.values()) n += t.missing;
  return n;
}

/** Adds up the per-publisher figures of a worker's subscribers, per receiving group. */
export function deliveryByPublisher(subscribers: ReadonlyArray<Subscriber>): PublisherDelivery[] {
  const by = new Map<string, PublisherDelivery>();
  const entry = (group: number, publisher: number): PublisherDelivery => {
    const key = `${group}:${publisher}`;
    const d: PublisherDelivery = by.get(key) ?? { publisher, group, unique: 0, duplicates: 0, outOfOrder: 0, skipped: 0, coverage: [] };
    by.set(key, d);
    return d;
  };
  for (const s of subscribers) {
    for (const [publisher, t] of s.trackers) {
      const d = entry(s.group, publisher);
      d.unique += t.unique;
      d.duplicates += t.duplicates;
      d.outOfOrder += t.outOfOrder;
      d.coverage?.push(t.coverage());
    }
    // Also for publishers never heard from: what they sent before the join is not expected.
    for (const [publisher, skipped] of s.baselines) entry(s.group, publisher).skipped += skipped;
  }
  return [...by.values()];
}
