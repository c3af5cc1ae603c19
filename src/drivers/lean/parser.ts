/**
 * The lean engine's incremental parser for everything a server sends: packets read straight out
 * of the socket's chunks (as ws's receiver does), a packet that straddles chunks copied into one
 * reused buffer; one handler call per packet, in order. PUBLISH and the acks are read in place;
 * the rare packets (CONNACK, SUBACK) are read by their own methods.
 */
import { CONNACK, DISCONNECT, MAX_REMAINING_LENGTH, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, UNSUBACK, type PacketHandler, type Version } from './codec.js';
import { decodeProperties } from './properties.js';

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
      case CONNACK:
        this.connack(b, p, end);
        return;
      case SUBACK:
        this.suback(b, p, end);
        return;
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

  /** CONNACK (once per connection): its variable header and MQTT 5 properties at b[p..end). */
  private connack(b: Buffer, p: number, end: number): void {
    const n = end - p;
    if (this.version === 5 ? n < 2 : n !== 2) return void this.fail(`CONNACK with remaining length ${n}`);
    const ack = b[p]!;
    if (ack > 1) return void this.fail('CONNACK with reserved acknowledge flags set');
    let props: Record<string, unknown> | null = null;
    if (n > 2) {
      const decoded = decodeProperties(b, p + 2, end);
      if (typeof decoded === 'string') return void this.fail(`CONNACK properties: ${decoded}`);
      props = decoded;
    }
    this.handler.onConnack(ack === 1, b[p + 1]!, props);
  }

  /** SUBACK (once per SUBSCRIBE): packet id, MQTT 5 properties and the granted QoS list at b[p..end). */
  private suback(b: Buffer, p: number, end: number): void {
    const n = end - p;
    const v5 = this.version === 5;
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
