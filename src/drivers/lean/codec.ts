/**
 * The codec of the lean MQTT client engine (3.1.1 = version 4, and 5): the few packets a load
 * client sends (CONNECT, SUBSCRIBE, DISCONNECT, PINGREQ, PUBLISH, the four acks) and a parser for
 * everything a server sends it. The hot path (PUBLISH out, acks both ways, PUBLISH in) allocates
 * nothing per message but the payload view handed to onPublish: PUBLISH is written from a
 * template encoded once, acks are four bytes written in place, and the parser reads packets
 * straight out of the socket's chunks (as ws's receiver does), copying only a packet that
 * straddles chunks into one reused buffer. Rare packets go through mqtt-packet, which is also the
 * reference the property tests (test/lean-codec.test.ts) check every byte against.
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

// ---------------------------------------------------------------------------------------------
// PUBLISH template

export interface PublishTemplateOptions {
  /** Topic name (no wildcards, no U+0000, at most 65535 UTF-8 bytes). '' only with topicAlias (MQTT 5). */
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  version: Version;
  /** MQTT 5 only: sent with every message, in key order. */
  userProperties?: Record<string, string> | null;
  /** MQTT 5 only: Message Expiry Interval in seconds, 0..2^32-1. */
  messageExpirySeconds?: number | null;
  /** MQTT 5 only: Topic Alias, 1..65535 and at most the server's CONNACK Topic Alias Maximum. */
  topicAlias?: number | null;
}

/**
 * One client's PUBLISH for one topic, encoded once: the fixed header byte without DUP, and the
 * whole variable header (topic, a 2-byte hole for the packet id at QoS 1/2, MQTT 5 properties).
 * write() copies that, patches the packet id and DUP, and appends the payload: no allocation.
 *
 * Topic aliases (MQTT 5) take two templates, see publishTemplates(): `first` carries topic and
 * alias and sets up the mapping, `rest` carries an empty topic and the alias. The mapping lives
 * as long as the network connection (3.3.2.3.4): after every (re)connect, send `first` again
 * before `rest`, retransmissions (dup) included.
 */
export class PublishTemplate {
  readonly qos: 0 | 1 | 2;
  /** Byte 0 without DUP: type 3, QoS, RETAIN. */
  private readonly byte0: number;
  /** Topic length + topic + packet id hole (QoS > 0) + properties (MQTT 5). */
  private readonly varHeader: Buffer;
  /** Where the packet id goes, counted from the start of the variable header (QoS > 0). */
  private readonly pidAt: number;

  constructor(o: PublishTemplateOptions) {
    if (o.qos !== 0 && o.qos !== 1 && o.qos !== 2) throw new RangeError(`qos must be 0, 1 or 2, not ${String(o.qos)}`);
    const alias = o.topicAlias ?? null;
    const expiry = o.messageExpirySeconds ?? null;
    const user = o.userProperties ?? null;
    if (o.version !== 5 && (alias !== null || expiry !== null || user !== null)) {
      throw new RangeError('userProperties, messageExpirySeconds and topicAlias are MQTT 5 properties (version is 4)');
    }
    checkString('topic', o.topic);
    if (/[+#]/.test(o.topic)) throw new RangeError(`topic ${JSON.stringify(o.topic)}: a topic name has no wildcards (MQTT-3.3.2-2)`);
    if (o.topic === '' && alias === null) throw new RangeError('an empty topic needs a topicAlias (MQTT 5, 3.3.2.3.4)');
    if (alias !== null && (!Number.isInteger(alias) || alias < 1 || alias > 0xffff)) throw new RangeError(`topicAlias must be 1..65535, not ${alias}`);
    if (expiry !== null && (!Number.isInteger(expiry) || expiry < 0 || expiry > 0xffffffff)) {
      throw new RangeError(`messageExpirySeconds must be an integer 0..4294967295, not ${expiry}`);
    }
    const topic = Buffer.from(o.topic, 'utf8');
    const props: Buffer[] = [];
    if (o.version === 5) {
      if (expiry !== null) props.push(Buffer.from([0x02, expiry >>> 24, (expiry >>> 16) & 0xff, (expiry >>> 8) & 0xff, expiry & 0xff]));
      if (alias !== null) props.push(Buffer.from([0x23, alias >> 8, alias & 0xff]));
      for (const [k, v] of Object.entries(user ?? {})) {
        checkString('user property name', k);
        checkString(`user property ${JSON.stringify(k)}`, v);
        props.push(Buffer.from([0x26]), utf8String(k), utf8String(v));
      }
    }
    const propsLength = props.reduce((n, b) => n + b.length, 0);
    const parts = [u16(topic.length), topic];
    if (o.qos > 0) parts.push(u16(0));
    if (o.version === 5) parts.push(varInt(propsLength), ...props);
    this.varHeader = Buffer.concat(parts);
    this.pidAt = 2 + topic.length;
    this.qos = o.qos;
    this.byte0 = 0x30 | (o.qos << 1) | (o.retain ? 1 : 0);
  }

  /** Total bytes of the packet with a payload of payloadLength bytes. */
  size(payloadLength: number): number {
    const rl = this.varHeader.length + payloadLength;
    if (rl > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${rl} bytes after the fixed header exceeds MQTT's ${MAX_REMAINING_LENGTH}`);
    return 1 + varIntLength(rl) + rl;
  }

  /**
   * Writes the whole packet at target[offset..] and returns the offset after it. packetId
   * (1..65535) is ignored at QoS 0, and so is dup (DUP must be 0 at QoS 0, MQTT-3.3.1-2).
   */
  write(target: Buffer, offset: number, packetId: number, payload: Buffer, dup = false): number {
    const head = this.varHeader;
    let rl = head.length + payload.length;
    if (rl > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${rl} bytes after the fixed header exceeds MQTT's ${MAX_REMAINING_LENGTH}`);
    if (offset + 1 + varIntLength(rl) + rl > target.length) throw new RangeError('PUBLISH does not fit in the target buffer');
    let o = offset;
    if (this.qos === 0) {
      target[o++] = this.byte0;
    } else {
      if (!(packetId >= 1 && packetId <= 0xffff && (packetId | 0) === packetId)) throw new RangeError(`packet id must be 1..65535, not ${packetId}`);
      target[o++] = dup ? this.byte0 | 0x08 : this.byte0;
    }
    while (rl > 0x7f) {
      target[o++] = (rl & 0x7f) | 0x80;
      rl >>>= 7;
    }
    target[o++] = rl;
    target.set(head, o);
    if (this.qos !== 0) {
      target[o + this.pidAt] = packetId >> 8;
      target[o + this.pidAt + 1] = packetId & 0xff;
    }
    o += head.length;
    target.set(payload, o);
    return o + payload.length;
  }
}

/**
 * The templates for one topic: without a topicAlias both are the same template; with one,
 * `first` (topic + alias) after each (re)connect and `rest` (empty topic + alias) after it.
 */
export function publishTemplates(o: PublishTemplateOptions): { first: PublishTemplate; rest: PublishTemplate } {
  const first = new PublishTemplate(o);
  const rest = (o.topicAlias ?? null) === null ? first : new PublishTemplate({ ...o, topic: '' });
  return { first, rest };
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
function checkString(what: string, s: string): void {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string`);
  if (s.includes('\u0000') || LONE_SURROGATE.test(s)) throw new RangeError(`${what} ${JSON.stringify(s)} is not a valid MQTT UTF-8 string`);
  if (Buffer.byteLength(s, 'utf8') > 0xffff) throw new RangeError(`${what} is longer than 65535 UTF-8 bytes`);
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

function utf8String(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u16(b.length), b]);
}

function varInt(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function varIntLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

// ---------------------------------------------------------------------------------------------
// Parser

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

export interface ParserOptions {
  /** Largest whole packet accepted, bytes (MQTT 5 Maximum Packet Size); default: the protocol's limit. */
  maxPacketBytes?: number;
}

const EMPTY = Buffer.alloc(0);
/** A reassembly buffer grown beyond this is dropped after its packet, not kept per connection: 1 MiB. */
const KEEP_REASSEMBLY_BYTES = 1 << 20;
const V4_SUBACK = new Set([0x00, 0x01, 0x02, 0x80]);
const V5_SUBACK = new Set([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]);
const NAMES = ['reserved (0)', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

/**
 * Incremental parser: feed(chunk) as chunks arrive; calls the handler once per complete packet,
 * in order. Any fragmentation, remaining lengths up to 4 varint bytes (256 MiB). A packet wholly
 * inside a chunk is read in place; only one that straddles chunks is copied, into a buffer reused
 * across packets. A handler may call reset() (the rest of the chunk is then dropped); a handler
 * that throws leaves the parser mid-chunk: the exception propagates and the connection must go.
 */
export class Parser {
  private readonly maxPacket: number;
  /** Reassembly of a packet split across chunks: buf[0..have) so far, need = its total length once its header is known, else 0. */
  private buf: Buffer = EMPTY;
  private have = 0;
  private need = 0;
  private headerLength = 0;
  /** Remaining length of the header read last (an out-parameter of header(), to allocate nothing). */
  private rl = 0;
  private failed = false;
  /** Bumped by reset(), so a feed() loop notices a reset made inside a handler. */
  private epoch = 0;

  constructor(private readonly version: Version, private readonly handler: PacketHandler, options: ParserOptions = {}) {
    this.maxPacket = options.maxPacketBytes ?? MAX_REMAINING_LENGTH + 5;
  }

  reset(): void {
    this.have = 0;
    this.need = 0;
    this.failed = false;
    this.epoch++;
    if (this.buf.length > KEEP_REASSEMBLY_BYTES) this.buf = EMPTY;
  }

  /** Parses chunk[0..length): a socket's read buffer, reused after the call (what is kept of it is copied). */
  feed(chunk: Buffer, length = chunk.length): void {
    if (this.failed) return;
    const epoch = this.epoch;
    const len = length;
    let pos = 0;
    if (this.have > 0) {
      pos = this.resume(chunk, len);
      if (pos < 0 || this.failed || this.epoch !== epoch) return;
    }
    while (pos < len) {
      const h = this.header(chunk, pos, len);
      if (h < 0) return;
      if (h === 0) {
        // Header cut short (at most 4 bytes): keep it and wait for the next chunk.
        this.grow(5);
        this.have = chunk.copy(this.buf, 0, pos, len);
        return;
      }
      const end = pos + h + this.rl;
      if (end > len) {
        this.grow(h + this.rl);
        this.have = chunk.copy(this.buf, 0, pos, len);
        this.need = h + this.rl;
        this.headerLength = h;
        return;
      }
      this.dispatch(chunk, chunk[pos]!, pos + h, end);
      if (this.failed || this.epoch !== epoch) return;
      pos = end;
    }
  }

  /** Continues a split packet with the start of chunk: returns where the rest of the chunk starts, or -1 when the chunk was all used (or an error was reported). */
  private resume(chunk: Buffer, len: number): number {
    let pos = 0;
    while (this.need === 0) {
      if (pos >= len) return -1;
      this.buf[this.have++] = chunk[pos++]!;
      const h = this.header(this.buf, 0, this.have);
      if (h < 0) return -1;
      if (h > 0) {
        this.headerLength = h;
        this.need = h + this.rl;
        this.grow(this.need);
      }
    }
    const take = Math.min(this.need - this.have, len - pos);
    chunk.copy(this.buf, this.have, pos, pos + take);
    this.have += take;
    pos += take;
    if (this.have < this.need) return -1;
    const buf = this.buf;
    const end = this.need;
    this.have = 0;
    this.need = 0;
    this.dispatch(buf, buf[0]!, this.headerLength, end);
    if (buf.length > KEEP_REASSEMBLY_BYTES && this.buf === buf) this.buf = EMPTY;
    return pos;
  }

  /** Room for n bytes in the reassembly buffer, keeping the `have` bytes already there. */
  private grow(n: number): void {
    if (this.buf.length >= n) return;
    const next = Buffer.allocUnsafe(n > KEEP_REASSEMBLY_BYTES ? n : Math.max(n, 256, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.have);
    this.buf = next;
  }

  /**
   * The fixed header at b[p..end): returns its length (2..5) and sets this.rl; 0 when it is cut
   * short; -1 after reporting an error. Byte 0 is checked at once, so garbage fails before its
   * claimed length arrives.
   */
  private header(b: Buffer, p: number, end: number): number {
    const b0 = b[p]!;
    const type = b0 >> 4;
    const flags = b0 & 0x0f;
    switch (type) {
      case PUBLISH:
        if ((flags & 0x06) === 0x06) return this.fail('PUBLISH with QoS 3');
        break;
      case PUBREL:
        if (flags !== 0x02) return this.fail(`PUBREL with header flags 0x${flags.toString(16)}, must be 0x2`);
        break;
      case CONNACK: case PUBACK: case PUBREC: case PUBCOMP: case SUBACK: case UNSUBACK: case PINGRESP: case DISCONNECT:
        if (flags !== 0) return this.fail(`${NAMES[type]!} with header flags 0x${flags.toString(16)}, must be 0`);
        break;
      default:
        return this.fail(`unexpected packet type ${type} (${NAMES[type]!}) from the server`);
    }
    let rl = 0;
    let mul = 1;
    for (let i = 1; i <= 4; i++) {
      if (p + i >= end) return 0;
      const x = b[p + i]!;
      rl += (x & 0x7f) * mul;
      if (x < 0x80) {
        if (i + 1 + rl > this.maxPacket) return this.fail(`${NAMES[type]!} of ${i + 1 + rl} bytes exceeds the maximum packet size ${this.maxPacket}`);
        this.rl = rl;
        return i + 1;
      }
      mul *= 0x80;
    }
    return this.fail('remaining length longer than 4 bytes');
  }

  private fail(message: string): -1 {
    this.failed = true;
    this.have = 0;
    this.need = 0;
    this.handler.onProtocolError(message);
    return -1;
  }

  /** One whole packet: byte 0 = b0 (already checked), its variable header and payload at b[p..end). */
  private dispatch(b: Buffer, b0: number, p: number, end: number): void {
    const type = b0 >> 4;
    const n = end - p;
    const v5 = this.version === 5;
    switch (type) {
      case PUBLISH: {
        const qos = ((b0 >> 1) & 3) as 0 | 1 | 2;
        if (n < 2) return void this.fail('PUBLISH too short for its topic length');
        let q = p + 2 + ((b[p]! << 8) | b[p + 1]!);
        let id = 0;
        if (qos > 0) {
          if (q + 2 > end) return void this.fail('PUBLISH too short for its topic and packet id');
          id = (b[q]! << 8) | b[q + 1]!;
          if (id === 0) return void this.fail('PUBLISH with packet id 0');
          q += 2;
        } else if (q > end) {
          return void this.fail('PUBLISH too short for its topic');
        }
        if (v5) {
          q = this.skipProperties(b, q, end, 'PUBLISH');
          if (q < 0) return;
        }
        this.handler.onPublish(qos, id, (b0 & 1) !== 0, (b0 & 0x08) !== 0, b.subarray(q, end));
        return;
      }
      case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: {
        if (v5 ? n < 2 : n !== 2) return void this.fail(`${NAMES[type]!} with remaining length ${n}`);
        const id = (b[p]! << 8) | b[p + 1]!;
        if (id === 0) return void this.fail(`${NAMES[type]!} with packet id 0`);
        let reason = 0;
        if (n > 2) {
          reason = b[p + 2]!;
          if (n > 3 && this.skipProperties(b, p + 3, end, NAMES[type]!, true) < 0) return;
        }
        this.handler.onAck(type as 4 | 5 | 6 | 7, id, reason);
        return;
      }
      case CONNACK: {
        if (v5 ? n < 2 : n !== 2) return void this.fail(`CONNACK with remaining length ${n}`);
        const ack = b[p]!;
        if (ack > 1) return void this.fail('CONNACK with reserved acknowledge flags set');
        let props: Record<string, unknown> | null = null;
        if (n > 2) {
          const decoded = decodeProperties(b, p + 2, end);
          if (typeof decoded === 'string') return void this.fail(`CONNACK properties: ${decoded}`);
          props = decoded;
        }
        this.handler.onConnack(ack === 1, b[p + 1]!, props);
        return;
      }
      case SUBACK: {
        if (n < 3) return void this.fail(`SUBACK with remaining length ${n}`);
        const id = (b[p]! << 8) | b[p + 1]!;
        let q = p + 2;
        if (v5) {
          q = this.skipProperties(b, q, end, 'SUBACK');
          if (q < 0) return;
          if (q === end) return void this.fail('SUBACK without reason codes');
        }
        const valid = v5 ? V5_SUBACK : V4_SUBACK;
        const granted: number[] = [];
        for (; q < end; q++) {
          const code = b[q]!;
          if (!valid.has(code)) return void this.fail(`SUBACK with invalid return code 0x${code.toString(16)}`);
          granted.push(code);
        }
        this.handler.onSuback(id, granted);
        return;
      }
      case UNSUBACK: {
        if (v5 ? n < 3 : n !== 2) return void this.fail(`UNSUBACK with remaining length ${n}`);
        if (v5 && this.skipProperties(b, p + 2, end, 'UNSUBACK') < 0) return;
        this.handler.onUnsuback?.((b[p]! << 8) | b[p + 1]!);
        return;
      }
      case PINGRESP:
        if (n !== 0) return void this.fail(`PINGRESP with remaining length ${n}`);
        this.handler.onPingresp();
        return;
      case DISCONNECT: {
        // A 3.1.1 server never sends DISCONNECT; read one (length 0) as reason 0 rather than fail.
        if (!v5 && n !== 0) return void this.fail(`DISCONNECT with remaining length ${n}`);
        if (n > 1 && this.skipProperties(b, p + 1, end, 'DISCONNECT', true) < 0) return;
        this.handler.onDisconnect(n > 0 ? b[p]! : 0);
        return;
      }
    }
  }

  /** Skips MQTT 5 properties at b[p..): returns where they end, or -1 after an error. exact: they must end the packet. */
  private skipProperties(b: Buffer, p: number, end: number, what: string, exact = false): number {
    let length = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (i === 4) return this.fail(`${what} property length longer than 4 bytes`);
      if (p >= end) return this.fail(`${what} too short for its property length`);
      const x = b[p++]!;
      length += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 0x80;
    }
    const q = p + length;
    if (q > end || (exact && q !== end)) return this.fail(`${what} property length ${length} does not match the packet`);
    return q;
  }
}

// ---------------------------------------------------------------------------------------------
// MQTT 5 properties, decoded for CONNACK only (once per connection): names and shapes as
// mqtt-packet gives them, repeated properties as arrays, user properties in a null-prototype object.

type Kind = 'bool' | 'u8' | 'u16' | 'u32' | 'var' | 'string' | 'pair' | 'binary';
const PROPERTIES: ReadonlyMap<number, readonly [string, Kind]> = new Map<number, readonly [string, Kind]>([
  [0x01, ['payloadFormatIndicator', 'bool']], [0x02, ['messageExpiryInterval', 'u32']], [0x03, ['contentType', 'string']],
  [0x08, ['responseTopic', 'string']], [0x09, ['correlationData', 'binary']], [0x0b, ['subscriptionIdentifier', 'var']],
  [0x11, ['sessionExpiryInterval', 'u32']], [0x12, ['assignedClientIdentifier', 'string']], [0x13, ['serverKeepAlive', 'u16']],
  [0x15, ['authenticationMethod', 'string']], [0x16, ['authenticationData', 'binary']], [0x17, ['requestProblemInformation', 'bool']],
  [0x18, ['willDelayInterval', 'u32']], [0x19, ['requestResponseInformation', 'bool']], [0x1a, ['responseInformation', 'string']],
  [0x1c, ['serverReference', 'string']], [0x1f, ['reasonString', 'string']], [0x21, ['receiveMaximum', 'u16']],
  [0x22, ['topicAliasMaximum', 'u16']], [0x23, ['topicAlias', 'u16']], [0x24, ['maximumQoS', 'u8']],
  [0x25, ['retainAvailable', 'bool']], [0x26, ['userProperties', 'pair']], [0x27, ['maximumPacketSize', 'u32']],
  [0x28, ['wildcardSubscriptionAvailable', 'bool']], [0x29, ['subscriptionIdentifiersAvailable', 'bool']],
  [0x2a, ['sharedSubscriptionAvailable', 'bool']],
]);

/** Properties (length varint first) filling b[p..end) exactly: the decoded object, null when empty, or an error message. */
export function decodeProperties(b: Buffer, p: number, end: number): Record<string, unknown> | null | string {
  let length = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === 4) return 'property length longer than 4 bytes';
    if (p >= end) return 'no property length';
    const x = b[p++]!;
    length += (x & 0x7f) * mul;
    if (x < 0x80) break;
    mul *= 0x80;
  }
  if (p + length !== end) return `property length ${length} does not match the ${end - p} bytes left`;
  const out: Record<string, unknown> = {};
  let user: Record<string, string | string[]> | null = null;
  const str = (): string | null => {
    if (p + 2 > end) return null;
    const l = (b[p]! << 8) | b[p + 1]!;
    if (p + 2 + l > end) return null;
    const s = b.toString('utf8', p + 2, p + 2 + l);
    p += 2 + l;
    return s;
  };
  while (p < end) {
    const id = b[p++]!;
    const prop = PROPERTIES.get(id);
    if (prop === undefined) return `unknown property 0x${id.toString(16)}`;
    const [name, kind] = prop;
    let value: unknown;
    const fixed = kind === 'bool' || kind === 'u8' ? 1 : kind === 'u16' ? 2 : kind === 'u32' ? 4 : 0;
    if (p + fixed > end) return `${name} cut short`;
    switch (kind) {
      case 'bool': value = b[p++] !== 0; break;
      case 'u8': value = b[p++]; break;
      case 'u16': value = b.readUInt16BE(p); p += 2; break;
      case 'u32': value = b.readUInt32BE(p); p += 4; break;
      case 'var': {
        let v = 0;
        let m = 1;
        for (let i = 0; ; i++) {
          if (i === 4 || p >= end) return `${name} is not a variable byte integer`;
          const x = b[p++]!;
          v += (x & 0x7f) * m;
          if (x < 0x80) break;
          m *= 0x80;
        }
        value = v;
        break;
      }
      case 'string': case 'binary': {
        if (p + 2 > end) return `${name} cut short`;
        const l = (b[p]! << 8) | b[p + 1]!;
        if (p + 2 + l > end) return `${name} cut short`;
        value = kind === 'string' ? b.toString('utf8', p + 2, p + 2 + l) : Buffer.from(b.subarray(p + 2, p + 2 + l));
        p += 2 + l;
        break;
      }
      case 'pair': {
        const k = str();
        const v = k === null ? null : str();
        if (k === null || v === null) return 'user property cut short';
        user ??= Object.create(null) as Record<string, string | string[]>;
        const prev = user[k];
        user[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        continue;
      }
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  if (user !== null) out['userProperties'] = user;
  return Object.keys(out).length > 0 ? out : null;
}
