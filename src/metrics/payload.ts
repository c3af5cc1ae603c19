/**
 * The measurement header every published message starts with (big-endian, 16 bytes, so
 * even a 16-byte payload carries it whole):
 *
 *   0  u32  publisher id (unique within a phase)
 *   4  u32  sequence number, from 0, per publisher
 *   8  u32  intended send time, low 32 bits of microseconds (see clock.ts)
 *  12  u32  actual send time, same clock
 *
 * In the open model the intended time is the scheduled one, so latency from it is
 * corrected for coordinated omission; in the closed model both times are the same.
 */
import { toWire } from './clock.js';

export const HEADER_BYTES = 16;

export interface Header {
  publisher: number;
  seq: number;
  intendedWire: number;
  sentWire: number;
}

/** A reusable filler for bytes past the header: deterministic, not all zeros. */
export function makeFiller(payloadBytes: number): Buffer {
  const filler = Buffer.allocUnsafe(Math.max(0, payloadBytes - HEADER_BYTES));
  for (let i = 0; i < filler.length; i++) filler[i] = 0x61 + (i % 26);
  return filler;
}

/** A new payload buffer (MQTT.js keeps QoS 1/2 payloads until acknowledged, so none is reused). */
export function encodePayload(filler: Buffer, publisher: number, seq: number, intendedUs: number, sentUs: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + filler.length);
  writeHeader(buf, publisher, seq, intendedUs, sentUs);
  if (filler.length > 0) filler.copy(buf, HEADER_BYTES);
  return buf;
}

/** Writes the header into the first 16 bytes of `buf` (a payload reused for a sink that copies what it sends). */
export function writeHeader(buf: Buffer, publisher: number, seq: number, intendedUs: number, sentUs: number): void {
  buf.writeUInt32BE(publisher >>> 0, 0);
  buf.writeUInt32BE(seq >>> 0, 4);
  buf.writeUInt32BE(toWire(intendedUs), 8);
  buf.writeUInt32BE(toWire(sentUs), 12);
}

/** Reads the header, or null when the payload is too short to carry one (not ours). */
export function decodeHeader(payload: Buffer): Header | null {
  if (payload.length < HEADER_BYTES) return null;
  return {
    publisher: payload.readUInt32BE(0),
    seq: payload.readUInt32BE(4),
    intendedWire: payload.readUInt32BE(8),
    sentWire: payload.readUInt32BE(12),
  };
}

/** The sequence number that marks a will: publisher field = will id, both times 0. */
export const WILL_SEQ = 0xffff_ffff;

/** A will's payload (set at connect time, published by the broker when the client drops). */
export function encodeWill(willId: number): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  buf.writeUInt32BE(willId >>> 0, 0);
  buf.writeUInt32BE(WILL_SEQ, 4);
  return buf;
}
