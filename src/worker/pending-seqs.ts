/**
 * The sequence numbers of one publisher that wait for their acknowledgement (PUBACK/PUBCOMP):
 * a flag per number in a ring indexed by the number, which starts small and doubles when a
 * number still pending would be overwritten, so memory follows what is really in flight (a
 * thousand QoS 1 publishers with a window of 100 hold a few KiB each, not 64 KiB). Numbers
 * taken out unacknowledged (a drop, the end of the phase, or a number older than the largest
 * ring) are kept as ranges for the loss breakdown. Beside each flag: the message's intended and
 * actual send times, for its acknowledgement latency (no closure per message to carry them).
 */
import type { SeqRanges } from '../metrics/delivery.js';

const INITIAL_SLOTS = 256;
/** The ring never grows past this (MQTT has 65,535 packet ids, so no more can be in flight at once). */
const MAX_SLOTS = 0x1_0000;

export class PendingSeqs {
  private flags = new Uint8Array(INITIAL_SLOTS);
  private intended = new Float64Array(INITIAL_SLOTS);
  private sent = new Float64Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  /** After acknowledge() returned true: that message's intended and actual send times (us). */
  intendedUs = 0;
  sentUs = 0;
  /** One past the highest number added. */
  private next = 0;
  /** Numbers taken out without an acknowledgement, ascending. */
  private readonly unacked: SeqRanges = [];

  /** `seq` was sent, meant for `intendedUs` and sent at `sentUs` (numbers come in order: each is the previous plus one). */
  add(seq: number, intendedUs = 0, sentUs = 0): void {
    const size = this.mask + 1;
    const old = seq - size;
    // The slot of `seq` still holds `old`: keep it by growing, or (at the largest ring) write it off.
    if (old >= 0 && this.flags[old & this.mask] === 1) {
      if (size < MAX_SLOTS) this.grow(seq);
      else this.takeOut(old);
    }
    const i = seq & this.mask;
    this.flags[i] = 1;
    this.intended[i] = intendedUs;
    this.sent[i] = sentUs;
    this.next = seq + 1;
  }

  /** The acknowledgement of `seq` came; false when it was no longer pending (already taken out). True: see intendedUs and sentUs. */
  acknowledge(seq: number): boolean {
    if (seq >= this.next || seq < this.next - (this.mask + 1)) return false;
    const i = seq & this.mask;
    if (this.flags[i] === 0) return false;
    this.flags[i] = 0;
    this.intendedUs = this.intended[i]!;
    this.sentUs = this.sent[i]!;
    return true;
  }

  /** Every number still pending is taken out as never acknowledged (the connection dropped, or the phase ended). */
  takeAll(): void {
    for (let s = Math.max(0, this.next - (this.mask + 1)); s < this.next; s++) if (this.flags[s & this.mask] === 1) this.takeOut(s);
  }

  /** The numbers taken out unacknowledged so far, as ascending half-open ranges (a copy). */
  taken(): SeqRanges {
    return this.unacked.map(([a, b]): [number, number] => [a, b]);
  }

  private takeOut(seq: number): void {
    this.flags[seq & this.mask] = 0;
    const last = this.unacked[this.unacked.length - 1];
    if (last !== undefined && last[1] === seq) last[1] = seq + 1;
    else if (last !== undefined && seq < last[0]) insertRange(this.unacked, seq);
    else this.unacked.push([seq, seq + 1]);
  }

  /** Doubles the ring, keeping every pending number of the window before `upTo`. */
  private grow(upTo: number): void {
    const size = this.mask + 1;
    const flags = new Uint8Array(size * 2);
    const intended = new Float64Array(size * 2);
    const sent = new Float64Array(size * 2);
    const mask = size * 2 - 1;
    for (let s = Math.max(0, upTo - size); s < upTo; s++) {
      const from = s & this.mask;
      flags[s & mask] = this.flags[from]!;
      intended[s & mask] = this.intended[from]!;
      sent[s & mask] = this.sent[from]!;
    }
    this.flags = flags;
    this.intended = intended;
    this.sent = sent;
    this.mask = mask;
  }
}

/** Inserts the single number `seq` into ascending ranges (rare: an eviction below a later drop's ranges). */
function insertRange(ranges: SeqRanges, seq: number): void {
  let i = ranges.findIndex(([a]) => a > seq);
  if (i < 0) i = ranges.length;
  ranges.splice(i, 0, [seq, seq + 1]);
}
