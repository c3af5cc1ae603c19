/**
 * One subscribing client's measurements: each message's header gives its publisher,
 * sequence and send times; the tracker per publisher sorts first deliveries from repeats.
 */
import { elapsedSinceWire, nowMicros } from '../metrics/clock.js';
import { SequenceTracker, type PublisherDelivery } from '../metrics/delivery.js';
import { HEADER_BYTES } from '../metrics/payload.js';
import type { Recorder } from '../metrics/recorder.js';

export class Subscriber {
  readonly trackers = new Map<number, SequenceTracker>();

  constructor(
    private readonly recorder: Recorder,
    /** Deliveries per publisher id, shared with every publisher in the process. */
    private readonly delivered: Uint32Array,
  ) {}

  onMessage(payload: Buffer): void {
    const nowUs = nowMicros();
    if (payload.length < HEADER_BYTES) {
      this.recorder.error('foreign-message');
      return;
    }
    const publisher = payload.readUInt32BE(0);
    if (publisher === 0 || publisher >= this.delivered.length) {
      this.recorder.error('foreign-message');
      return;
    }
    const seq = payload.readUInt32BE(4);
    let tracker = this.trackers.get(publisher);
    if (tracker === undefined) {
      tracker = new SequenceTracker();
      this.trackers.set(publisher, tracker);
    }
    if (tracker.observe(seq) === 'duplicate') {
      this.recorder.receivedDuplicate(payload.length);
      return;
    }
    Atomics.add(this.delivered, publisher, 1);
    const corrected = elapsedSinceWire(nowUs, payload.readUInt32BE(8));
    const uncorrected = elapsedSinceWire(nowUs, payload.readUInt32BE(12));
    this.recorder.received(nowUs, payload.length, nowUs - corrected, corrected, uncorrected);
  }
}

/** Adds up the per-publisher figures of a worker's subscribers. */
export function deliveryByPublisher(subscribers: ReadonlyArray<Subscriber>): PublisherDelivery[] {
  const by = new Map<number, PublisherDelivery>();
  for (const s of subscribers) {
    for (const [publisher, t] of s.trackers) {
      const d = by.get(publisher) ?? { publisher, unique: 0, duplicates: 0, outOfOrder: 0 };
      d.unique += t.unique;
      d.duplicates += t.duplicates;
      d.outOfOrder += t.outOfOrder;
      by.set(publisher, d);
    }
  }
  return [...by.values()];
}
