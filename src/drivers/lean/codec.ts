/**
 * The codec of the lean MQTT client engine (3.1.1 = version 4, and 5): packet types and limits,
 * the few packets a load client sends rarely (CONNECT, SUBSCRIBE, DISCONNECT, PINGREQ), the four
 * acks written in place, and the encoding helpers. PUBLISH goes out from a template encoded once
 * (publish-template.ts); everything a server sends is read by the parser (parser.ts). The hot
 * path (PUBLISH out, acks both ways, PUBLISH in) allocates nothing per message but the payload
 * view handed to onPublish. Rare packets go through mqtt-packet, which is also the reference the
 * property tests (test/lean-codec.test.ts) check every byte against.
 */
import mqttPacket from 'mqtt-packet';

export type Version = 4 | 5;

/** Packet types: the high nibble of byte 0. */
export const CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7;
export const SUBACK = 9, UNSUBACK = 11, PINGRESP = 13, DISCONNECT = 14;

/** Largest remaining length a 4-byte variable byte integer holds (MQTT 1.5.5 / 2.2.3): 256 MiB - 1. */
export const MAX_REMAINING_LENGTH = 268_435_455;

export const PINGREQ: Buffer = Buffer.from([0xc0, 0x00]);

// ---------------------------------------------------------------------------------------------
// Rarely sent packets: generated with mqtt-packet, which throws on what it cannot encode.

export interface ConnectOptions {
  clientId: string;
  version: Version;
  clean: boolean;
  /** Seconds, 0..65535; 0 turns keepalive off. */
  keepaliveSeconds: number;
  username?: string;
  /** mqtt-packet requires a username with a password, in both versions. */
  password?: string;
  /** MQTT 5 only (Session Expiry Interval, seconds); null or absent = property omitted (0: session ends with the connection). */
  sessionExpirySeconds?: number | null;
  will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | null;
}

export function encodeConnect(o: ConnectOptions): Buffer {
  const expiry = o.sessionExpirySeconds ?? null;
  if (expiry !== null && o.version !== 5) throw new RangeError('sessionExpirySeconds is an MQTT 5 property (version 4 has clean only)');
  return mqttPacket.generate(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: o.version,
      clientId: o.clientId,
      clean: o.clean,
      keepalive: o.keepaliveSeconds,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: Buffer.from(o.password, 'utf8') } : {}),
      ...(o.will ? { will: { topic: o.will.topic, payload: o.will.payload, qos: o.will.qos, retain: o.will.retain } } : {}),
      ...(expiry !== null ? { properties: { sessionExpiryInterval: expiry } } : {}),
    },
    { protocolVersion: o.version },
  );
}

export function encodeSubscribe(packetId: number, filters: ReadonlyArray<{ filter: string; qos: 0 | 1 | 2 }>, version: Version): Buffer {
  checkPacketId(packetId);
  if (filters.length === 0) throw new RangeError('SUBSCRIBE needs at least one topic filter (MQTT-3.8.3-3)');
  return mqttPacket.generate(
    { cmd: 'subscribe', messageId: packetId, subscriptions: filters.map((f) => ({ topic: f.filter, qos: f.qos })) },
    { protocolVersion: version },
  );
}

/** e0 00 for both versions: in MQTT 5 a DISCONNECT with remaining length 0 means reason 0x00, normal disconnection (3.14.2.1). */
export function encodeDisconnect(_version: Version): Buffer {
  return Buffer.from([0xe0, 0x00]);
}

/**
 * 4-byte ack written in place: 3.1.1, and MQTT 5 with reason code 0 omitted (remaining length 2,
 * 3.4.2.1). PUBREL has flags 0b0010. packetId (1..65535) is not checked: it comes from a parsed
 * packet or the client's own id ring.
 */
export function writeAck(target: Buffer, offset: number, type: 4 | 5 | 6 | 7, packetId: number): number {
  if (offset + 4 > target.length) throw new RangeError('ack does not fit in the target buffer');
  target[offset] = type === PUBREL ? 0x62 : type << 4;
  target[offset + 1] = 2;
  target[offset + 2] = packetId >> 8;
  target[offset + 3] = packetId & 0xff;
  return offset + 4;
}

function checkPacketId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new RangeError(`packet id must be 1..65535, not ${id}`);
}

/** An unpaired surrogate cannot be UTF-8 (Buffer.from would send U+FFFD instead). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** MQTT UTF-8 strings: well formed, no U+0000, at most 65535 bytes (1.5.4). */
export function checkString(what: string, s: string): void {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string`);
  if (s.includes('\u0000') || LONE_SURROGATE.test(s)) throw new RangeError(`${what} ${JSON.stringify(s)} is not a valid MQTT UTF-8 string`);
  if (Buffer.byteLength(s, 'utf8') > 0xffff) throw new RangeError(`${what} is longer than 65535 UTF-8 bytes`);
}

export function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

export function utf8String(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u16(b.length), b]);
}

export function varInt(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export function varIntLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** What the parser reports; the client implements this. */
export interface PacketHandler {
  /** returnCode: the 3.1.1 return code or the MQTT 5 reason code; properties: MQTT 5 only, null when there are none. */
  onConnack(sessionPresent: boolean, returnCode: number, properties: Record<string, unknown> | null): void;
  /**
   * payload is a view into the socket's chunk or the reassembly buffer: valid only during the
   * call (copy what must outlive it). Topic and MQTT 5 properties are skipped, not decoded.
   */
  onPublish(qos: 0 | 1 | 2, packetId: number, retain: boolean, dup: boolean, payload: Buffer): void;
  /** reasonCode: 0 in 3.1.1, and in MQTT 5 when the server omitted it. */
  onAck(type: 4 | 5 | 6 | 7, packetId: number, reasonCode: number): void;
  onSuback(packetId: number, granted: number[]): void;
  onUnsuback?(packetId: number): void;
  onPingresp(): void;
  onDisconnect(reasonCode: number): void;
  /** Malformed input: the connection must be closed; message names what was wrong. The parser ignores input until reset(). */
  onProtocolError(message: string): void;
}
