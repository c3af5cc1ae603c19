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

/** The low 32 bits of a microsecond timestamp, as carried in the payload header. */
export function toWire(us: number): number {
  return us % 0x1_0000_0000;
}

/**
 * The elapsed microseconds from a 32-bit wire timestamp to a full local timestamp.
 * Wire times wrap every 2^32 us (71.6 minutes); any latency below that is exact.
 */
export function elapsedSinceWire(nowUs: number, wire: number): number {
  return (toWire(nowUs) - wire + 0x1_0000_0000) % 0x1_0000_0000;
}
