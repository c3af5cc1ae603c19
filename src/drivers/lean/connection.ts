/**
 * One MQTT connection of mqbench's lean engine, once connected (connect.ts): a socket from the
 * transport builders, the incremental parser (parser.ts) reading straight from its chunks, and
 * every write of one event-loop turn coalesced into one buffer and one `write` (so one
 * WebSocket frame, one TLS record run; out-buffer.ts); on tcp, reads into a buffer shared by the
 * thread. Outgoing QoS 1/2 state lives in a table by packet id (id-table.ts) with the owner's
 * number (sequence number) per message: acknowledgements come back as onAcked(number) calls, no
 * closure, promise or Map entry per message. Reconnects are the owner's (a new connection each
 * time, its packet ids continuing the last one's: resumeIds).
 */
import type { Duplex } from 'node:stream';
import { classifyError, ConnectError, errorMessage, type ErrorKind } from '../errors.js';
import { encodeDisconnect, encodeSubscribe, PINGREQ, PUBACK, PUBCOMP, PUBREC, PUBREL, writeAck, type PacketHandler, type Version } from './codec.js';
import { Parser } from './parser.js';
import type { PublishTemplate } from './publish-template.js';
import { IdTable, OutgoingIds } from './id-table.js';
import { OutBuffer } from './out-buffer.js';
import { Replies } from './replies.js';

/** Outgoing packet-id states. */
const AWAIT_PUBACK = 1;
const AWAIT_PUBREC = 2;
const AWAIT_PUBCOMP = 3;
const AWAIT_SUBACK = 4;

/** The number of a message whose acknowledgement resolves a promise (publishAcked), not an onAcked call. */
const AWAITED = -1;
/** publish() refusals, made once (the caller counts them; no stack is of use). */
export const CLOSED = new Error('Connection closed');
export const NO_ID_FREE = new Error('no packet identifier free: 65,535 messages in flight');

const nothing = (): void => {};

export class LeanConnection implements PacketHandler {
  private readonly parser: Parser;
  /** Outgoing packet ids in flight: their state and the owner's number for the message. */
  private readonly outgoing = new OutgoingIds();
  /** Incoming QoS 2 packet ids between PUBLISH and PUBREL: a repeat is not delivered twice. */
  private readonly incoming2 = new IdTable();
  private readonly out: OutBuffer;
  private open = true;
  private errored = false;
  private ending = false;
  private lastHeardMs = Date.now();
  private keepalive: NodeJS.Timeout | null = null;
  /** SUBACKs and publishAcked() acknowledgements waited for. */
  private readonly replies = new Replies();
  /** Set while connecting: the CONNACK's fate. */
  private connack: ((sessionPresent: boolean, code: number) => void) | null = null;
  /** A QoS 1/2 publish of number `n` was acknowledged (PUBACK, or PUBCOMP at QoS 2). */
  onAcked: (n: number) => void = nothing;
  /** The broker's Topic Alias Maximum from the CONNACK (MQTT 5; 0: no aliases). */
  topicAliasMaximum = 0;
  /** A PUBLISH from the broker; the payload is a view into the socket's data, valid during the call. */
  onMessage: (payload: Buffer, retain: boolean) => void = nothing;
  /** An error on the established connection (one per connection: the first, the cause). */
  onError: (kind: ErrorKind, message: string) => void = nothing;
  /** The established connection ended (called once; not after end() or destroy()). */
  onClose: () => void = nothing;

  /**
   * Packet ids continue from `previous` (this client's last connection): a broker that kept the
   * session may still hold ids of its QoS 2 messages awaiting PUBREL, and a new message under such
   * an id would be taken for a repeat and never delivered.
   */
  resumeIds(previous: LeanConnection): void {
    this.outgoing.continueFrom(previous.outgoing);
  }

  /** Made by connectLean (connect.ts), which opens `stream` and sees the CONNECT through. */
  constructor(
    private readonly stream: Duplex,
    readonly version: Version,
    private readonly keepaliveSeconds: number,
  ) {
    this.parser = new Parser(version, this);
    this.out = new OutBuffer(stream, () => this.open);
  }

  // --- the handshake's hooks (connect.ts)

  /** While connecting: called with the CONNACK's session present flag and return (reason) code. */
  awaitConnack(fate: (sessionPresent: boolean, code: number) => void): void {
    this.connack = fate;
  }

  /** The CONNACK accepted the connection: keepalive from now on. */
  established(): void {
    this.connack = null;
    this.startKeepalive();
  }

  /** The connect attempt failed: the socket goes, nothing more is reported. */
  abandon(): void {
    this.connack = null;
    this.open = false;
    this.stream.destroy();
  }

  /** A read of the socket: bytes 0..length of buf, reused after the call. */
  read(buf: Buffer, length: number): void {
    this.lastHeardMs = Date.now();
    this.parser.feed(buf, length);
  }

  /** The socket's own errors after CONNACK (kept apart from the parser's). */
  socketError(err: unknown): void {
    this.fault(classifyError(err), errorMessage(err));
  }

  /** The socket closed (after CONNACK): once; the owner hears of it unless it ended the connection itself. */
  ended(): void {
    if (!this.open) return;
    this.open = false;
    this.stopKeepalive();
    this.replies.closed();
    if (!this.ending) this.onClose();
  }

  // --- the owner's side

  get connected(): boolean {
    return this.open && !this.ending;
  }

  /**
   * Queues a PUBLISH from `template` carrying the owner's number `n` (its sequence number, >= 0):
   * at QoS 1/2 onAcked(n) follows on PUBACK/PUBCOMP. Returns null when queued, or why not (the
   * connection is closed, or 65,535 are in flight). A connection that drops calls nothing more:
   * the owner resolves what was in flight.
   */
  publish(template: PublishTemplate, payload: Buffer, n: number): Error | null {
    if (!this.connected) return CLOSED;
    let id = 0;
    if (template.qos > 0) {
      id = this.outgoing.take(template.qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, n);
      if (id < 0) return NO_ID_FREE;
    }
    const out = this.out;
    const at = out.reserve(template.size(payload.length));
    out.used = template.write(out.buf!, at, id, payload, false);
    return null;
  }

  /** A QoS 1/2 PUBLISH resolved on its acknowledgement, or at once when it cannot be sent or the connection closes first. */
  publishAcked(template: PublishTemplate, payload: Buffer): Promise<void> {
    if (template.qos === 0) return Promise.resolve(void this.publish(template, payload, 0));
    if (!this.connected) return Promise.resolve();
    const id = this.outgoing.take(template.qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, AWAITED);
    if (id < 0) return Promise.resolve();
    const acked = this.replies.ack(id);
    const at = this.out.reserve(template.size(payload.length));
    this.out.used = template.write(this.out.buf!, at, id, payload, false);
    return acked;
  }

  /** Subscribes to every filter in one SUBSCRIBE; resolves with the granted QoS list. */
  subscribe(filters: ReadonlyArray<{ filter: string; qos: 0 | 1 | 2 }>, timeoutMs: number): Promise<number[]> {
    if (!this.connected) return Promise.reject(new ConnectError('closed', 'the connection is closed'));
    const id = this.outgoing.take(AWAIT_SUBACK, 0);
    if (id < 0) return Promise.reject(new ConnectError('subscribe', 'no packet identifier free: 65,535 packets in flight'));
    // Encoded first: a filter the codec refuses throws here, before a SUBACK is waited for.
    const packet = encodeSubscribe(id, filters, this.version);
    const granted = this.replies.suback(id, filters, timeoutMs, () => this.release(id));
    this.out.append(packet);
    return granted;
  }

  /** DISCONNECT, then close; cut after `timeoutMs`. */
  end(timeoutMs: number): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.ending = true;
    this.stopKeepalive();
    this.out.append(encodeDisconnect(this.version));
    this.out.flush();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stream.destroy();
        resolve();
      }, timeoutMs);
      this.stream.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.stream.end();
    });
  }

  /** Cuts the connection without DISCONNECT (the broker publishes the will). */
  destroy(): void {
    this.ending = true;
    this.stopKeepalive();
    this.stream.destroy();
  }

  // --- PacketHandler: called by the parser, once per packet, in order.

  onConnack(sessionPresent: boolean, returnCode: number, properties: Record<string, unknown> | null): void {
    // MQTT 5: without a Topic Alias Maximum in the CONNACK the broker takes no aliases (0).
    this.topicAliasMaximum = typeof properties?.topicAliasMaximum === 'number' ? properties.topicAliasMaximum : 0;
    this.connack?.(sessionPresent, returnCode);
  }

  onPublish(qos: 0 | 1 | 2, packetId: number, retain: boolean, _dup: boolean, payload: Buffer): void {
    if (qos === 2) {
      // Exactly once: a repeat before PUBREL is answered again, not delivered again.
      const repeat = this.incoming2.find(packetId) >= 0;
      if (!repeat) this.incoming2.add(packetId, 1, 0);
      this.ack(PUBREC, packetId);
      if (repeat) return;
    } else if (qos === 1) this.ack(PUBACK, packetId);
    this.onMessage(payload, retain);
  }

  onAck(type: 4 | 5 | 6 | 7, packetId: number): void {
    if (type === PUBREL) {
      const slot = this.incoming2.find(packetId);
      if (slot >= 0) this.incoming2.remove(slot);
      this.ack(PUBCOMP, packetId);
      return;
    }
    const t = this.outgoing;
    const slot = t.find(packetId);
    if (slot < 0) return;
    const s = t.state(slot);
    if (type === PUBACK && s === AWAIT_PUBACK) this.complete(slot, packetId);
    else if (type === PUBREC && (s === AWAIT_PUBREC || s === AWAIT_PUBCOMP)) {
      t.setState(slot, AWAIT_PUBCOMP);
      this.ack(PUBREL, packetId);
    } else if (type === PUBCOMP && s === AWAIT_PUBCOMP) this.complete(slot, packetId);
  }

  onSuback(packetId: number, granted: number[]): void {
    const done = this.replies.takeSuback(packetId);
    if (done === undefined) return;
    this.release(packetId);
    done(granted);
  }

  onPingresp(): void {}

  onDisconnect(reasonCode: number): void {
    this.fault('closed', `the broker sent DISCONNECT (reason code ${reasonCode})`);
  }

  onProtocolError(message: string): void {
    this.fault('protocol', message);
    this.stream.destroy();
  }

  // --- internals

  private complete(slot: number, packetId: number): void {
    const n = this.outgoing.token(slot);
    this.outgoing.remove(slot);
    if (n !== AWAITED) {
      this.onAcked(n);
      return;
    }
    this.replies.acked(packetId);
  }

  private release(packetId: number): void {
    const slot = this.outgoing.find(packetId);
    if (slot >= 0) this.outgoing.remove(slot);
  }

  private ack(type: 4 | 5 | 6 | 7, packetId: number): void {
    const out = this.out;
    const at = out.reserve(4);
    out.used = writeAck(out.buf!, at, type, packetId);
  }

  /** PINGREQ every keepalive; nothing heard for 1.5 keepalives gives the connection up (the broker stalled). */
  private startKeepalive(): void {
    if (this.keepaliveSeconds <= 0) return;
    const periodMs = this.keepaliveSeconds * 1000;
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastHeardMs > periodMs * 1.5) {
        this.fault('timeout', `keepalive timeout: nothing from the broker for ${Math.round((Date.now() - this.lastHeardMs) / 100) / 10}s`);
        this.stream.destroy();
        return;
      }
      this.out.append(PINGREQ);
    }, periodMs);
  }

  private stopKeepalive(): void {
    if (this.keepalive !== null) clearInterval(this.keepalive);
    this.keepalive = null;
  }

  private fault(kind: ErrorKind, message: string): void {
    if (this.errored || this.ending) return;
    this.errored = true;
    this.onError(kind, message);
  }
}
