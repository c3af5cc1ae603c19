/**
 * What one connection writes in one event-loop turn, gathered into one buffer and written
 * with one `write` when the turn ends. The buffers come from a pool of the thread: a
 * connection holds one only while it has something to send, and one the socket wrote at once
 * (the usual case: `writableLength` is 0 after the write, every write callback has run) goes
 * back to the pool instead of to the garbage collector. A write the socket had to queue keeps
 * its buffer until the socket is done with it; the pool then simply makes a new one. One
 * setImmediate of the thread flushes every connection that wrote in the turn.
 */
import type { Writable } from 'node:stream';

/** Bytes of a pooled buffer; a turn that writes more gets a bigger one of its own. */
export const POOLED_BYTES = 16 * 1024;
/** Buffers the pool keeps at most (1 MiB a thread). */
const POOL_MAX = 64;
const pool: Buffer[] = [];

function take(bytes: number): Buffer {
  if (bytes <= POOLED_BYTES) return pool.pop() ?? Buffer.allocUnsafeSlow(POOLED_BYTES);
  return Buffer.allocUnsafeSlow(bytes);
}

function giveBack(buf: Buffer): void {
  if (buf.length === POOLED_BYTES && pool.length < POOL_MAX) pool.push(buf);
}

/** The buffers with something to write this turn, flushed together when it ends. */
let due: OutBuffer[] = [];
let spare: OutBuffer[] = [];
let flushScheduled = false;

function flushDue(): void {
  flushScheduled = false;
  const list = due;
  due = spare;
  for (const out of list) out.flush();
  list.length = 0;
  spare = list;
}

export class OutBuffer {
  /** The turn's buffer; write into it at the offset reserve() returned, then set `used`. */
  buf: Buffer | null = null;
  used = 0;
  private queued = false;

  constructor(private readonly stream: Writable, private readonly isOpen: () => boolean) {}

  /** Room for `bytes` more at the returned offset into `buf`; the write goes out when the turn ends. */
  reserve(bytes: number): number {
    const buf = this.buf;
    if (buf === null) this.buf = take(bytes);
    else if (this.used + bytes > buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, this.used + bytes));
      buf.copy(bigger, 0, 0, this.used);
      giveBack(buf);
      this.buf = bigger;
    }
    if (!this.queued) {
      this.queued = true;
      due.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushDue);
      }
    }
    return this.used;
  }

  /** Appends bytes made elsewhere (the rare packets: SUBSCRIBE, DISCONNECT, PINGREQ). */
  append(bytes: Buffer): void {
    const at = this.reserve(bytes.length);
    bytes.copy(this.buf!, at);
    this.used = at + bytes.length;
  }

  /** One write for everything the turn gathered (also called early, before a DISCONNECT's end()). */
  flush(): void {
    if (!this.queued) return;
    this.queued = false;
    const buf = this.buf;
    if (buf === null) return;
    const used = this.used;
    this.buf = null;
    this.used = 0;
    if (used === 0 || !this.isOpen()) {
      giveBack(buf);
      return;
    }
    this.stream.write(buf.subarray(0, used));
    if (this.stream.writableLength === 0) giveBack(buf);
  }
}
