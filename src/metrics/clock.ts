/**
 * The measurement clock: microseconds from process.hrtime(), the same monotonic clock as
 * process.hrtime.bigint(), shared by every thread of the process, so a timestamp taken by a
 * publisher in one worker can be subtracted from one taken by a subscriber in another.
 * The array form avoids a BigInt division on the per-message hot path.
 */
export function nowMicros(): number {
  const t = process.hrtime();
  return t[0] * 1_000_000 + Math.floor(t[1] / 1000);
}

/**
 * Added to a timestamp before it goes on the wire: 0, or (--shard) the offset that makes wire
 * times wall-clock microseconds, so shards on machines with synchronised clocks can subtract each
 * other's send times (--clock-sync). Within one process it cancels out of every latency.
 */
let wireEpochUs = 0;

/** Sets the wire offset of this thread; every thread of a process gets the same one (the coordinator's). */
export function setWireEpoch(offsetUs: number): void {
  wireEpochUs = offsetUs;
}

/** The offset from this clock to wall-clock microseconds since the Unix epoch, read once by the coordinator. */
export function wallClockOffsetUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) - nowMicros();
}

/** The low 32 bits of a microsecond timestamp, as carried in the payload header. */
export function toWire(us: number): number {
  return (us + wireEpochUs) % 0x1_0000_0000;
}

/**
 * The elapsed microseconds from a 32-bit wire timestamp to a full local timestamp.
 * Wire times wrap every 2^32 us (71.6 minutes); any latency below that is exact.
 */
export function elapsedSinceWire(nowUs: number, wire: number): number {
  return (toWire(nowUs) - wire + 0x1_0000_0000) % 0x1_0000_0000;
}
