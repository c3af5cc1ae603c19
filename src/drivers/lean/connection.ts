/**
 * One MQTT connection of mqbench's lean engine: a socket from the transport builders
 * (transports.ts), the incremental parser (codec.ts) reading straight from its chunks, and
 * every write of one event-loop turn coalesced into one buffer and one `write` (so one
 * WebSocket frame, one TLS record run; out-buffer.ts). On tcp the socket reads into a buffer
 * shared by the thread (no buffer and no 'data' event per read). Outgoing QoS 1/2 state lives
 * in a table by packet id (id-table.ts) with the owner's number for each message (its
 * sequence number): acknowledgements come back as onAcked(number) calls, no closure, promise
 * or Map entry per message. Reconnects are the owner's (a new connection each time).
 */
import type { Duplex } from 'node:stream';
import { classifyError, errorMessage, type ErrorKind } from '../errors.js';
import { attempt } from '../attempt.js';
import { ConnectError } from '../mqtt-driver.js';
import { buildStream, type StreamOptions, type TargetEndpoint } from '../transports.js';
import { encodeConnect, encodeDisconnect, encodeSubscribe, Parser, PINGREQ, PUBACK, PUBCOMP, PUBREC, PUBREL, writeAck, type ConnectOptions, type PacketHandler, type PublishTemplate, type Version } from './codec.js';
import { IdTable } from './id-table.js';
import { OutBuffer } from './out-buffer.js';

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

/** MQTT 3.1.1 CONNACK return codes, worded as MQTT.js words them (so messages and hints read the same). */
const CONNACK_REFUSALS: Record<number, string> = {
  1: 'Connection refused: Unacceptable protocol version',
  2: 'Connection refused: Identifier rejected',
  3: 'Connection refused: Server unavailable',
  4: 'Connection refused: Bad username or password',
  5: 'Connection refused: Not authorized',
  0x86: 'Connection refused: Bad User Name or Password',
  0x87: 'Connection refused: Not authorized',
};

/** The CONNECT's fields, and how long to wait for its CONNACK. */
export interface LeanConnectOptions extends ConnectOptions {
  connectTimeoutMs: number;
}

const nothing = (): void => {};

export class LeanConnection implements PacketHandler {
  private readonly parser: Parser;
  /** Outgoing packet ids in flight: their state and the owner's number for the message. */
  private readonly outgoing = new IdTable();
  /** Incoming QoS 2 packet ids between PUBLISH and PUBREL: a repeat is not delivered twice. */
  private readonly incoming2 = new IdTable();
  private nextId = 1;
  private readonly out: OutBuffer;
  private open = true;
  private errored = false;
  private ending = false;
  private lastHeardMs = Date.now();
  private keepalive: NodeJS.Timeout | null = null;
  /** Pending SUBACKs by packet id. */
  private readonly subacks = new Map<number, (granted: number[] | null) => void>();
  /** Set while connecting: the CONNACK's fate. */
  private connack: ((sessionPresent: boolean, code: number) => void) | null = null;
  /** publishAcked() messages by packet id (rare: clearing a retained value). */
  private readonly awaited = new Map<number, () => void>();
  /** A QoS 1/2 publish of number `n` was acknowledged (PUBACK, or PUBCOMP at QoS 2). */
  onAcked: (n: number) => void = nothing;
  /** A PUBLISH from the broker; the payload is a view into the socket's data, valid during the call. */
  onMessage: (payload: Buffer, retain: boolean) => void = nothing;
  /** An error on the established connection (one per connection: the first, the cause). */
  onError: (kind: ErrorKind, message: string) => void = nothing;
  /** The established connection ended (called once; not after end() or destroy()). */
  onClose: () => void = nothing;

  private constructor(
    private readonly stream: Duplex,
    readonly version: Version,
    private readonly keepaliveSeconds: number,
  ) {
    this.parser = new Parser(version, this);
    this.out = new OutBuffer(stream, () => this.open);
  }

  /**
   * Opens a connection and resolves on a CONNACK that accepts it; rejects with a classified
   * ConnectError otherwise (refused, timeout, tls, rejected by the broker, closed before CONNACK).
   */
  static connect(
    target: TargetEndpoint,
    o: LeanConnectOptions,
    stream: StreamOptions,
    /** Called before the CONNECT is sent (set onMessage here: a resumed session's queue may come with the CONNACK). */
    prepare?: (c: LeanConnection) => void,
  ): Promise<{ client: LeanConnection; connectMicros: number; sessionPresent: boolean }> {
    const started = stream.now();
    // Reads begin once connected, after `c` exists.
    const socket = buildStream(target, { ...stream, onRead: (buf, length) => c.read(buf, length) });
    const c = new LeanConnection(socket, o.version, o.keepaliveSeconds);
    prepare?.(c);
    return new Promise((resolve, reject) => {
      const a = attempt<{ client: LeanConnection; connectMicros: number; sessionPresent: boolean }>(
        o.connectTimeoutMs,
        `no CONNACK within ${o.connectTimeoutMs}ms`,
        () => {
          c.connack = null;
          c.open = false;
          socket.destroy();
        },
        resolve,
        reject,
      );
      c.connack = (sessionPresent, code) => {
        if (a.settled) return;
        if (code !== 0) {
          a.fail(new ConnectError('rejected', `${CONNACK_REFUSALS[code] ?? `Connection refused: return code ${code}`} (${code})`));
          return;
        }
        c.connack = null;
        c.startKeepalive();
        a.succeed({ client: c, connectMicros: stream.now() - started, sessionPresent });
      };
      // tcp reads come through onRead; the other transports' streams emit 'data'.
      if (target.transport !== 'tcp') socket.on('data', (chunk: Buffer) => c.read(chunk, chunk.length));
      socket.on('error', (err: Error) => {
        if (!a.settled) a.fail(new ConnectError(classifyError(err), errorMessage(err)));
        else c.socketError(err);
      });
      socket.on('close', () => {
        if (!a.settled) a.fail(new ConnectError('closed', 'connection closed before CONNACK'));
        else c.ended();
      });
      socket.write(encodeConnect(o));
    });
  }

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
      id = this.takeId(template.qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, n);
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
    const id = this.takeId(template.qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, AWAITED);
    if (id < 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.awaited.set(id, resolve);
      const at = this.out.reserve(template.size(payload.length));
      this.out.used = template.write(this.out.buf!, at, id, payload, false);
    });
  }

  /** Subscribes to every filter in one SUBSCRIBE; resolves with the granted QoS list. */
  subscribe(filters: ReadonlyArray<{ filter: string; qos: 0 | 1 | 2 }>, timeoutMs: number): Promise<number[]> {
    if (!this.connected) return Promise.reject(new ConnectError('closed', 'the connection is closed'));
    const id = this.takeId(AWAIT_SUBACK, 0);
    if (id < 0) return Promise.reject(new ConnectError('subscribe', 'no packet identifier free: 65,535 packets in flight'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.subacks.delete(id);
        this.release(id);
        reject(new ConnectError('timeout', `no SUBACK for '${filters.map((f) => f.filter).join("', '")}' within ${timeoutMs}ms (the broker accepted the connection but did not answer the SUBSCRIBE)`));
      }, timeoutMs);
      this.subacks.set(id, (granted) => {
        clearTimeout(timer);
        if (granted === null) reject(new ConnectError('closed', 'the connection closed before the SUBACK'));
        else resolve(granted);
      });
      this.out.append(encodeSubscribe(id, filters, this.version));
    });
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

  onConnack(sessionPresent: boolean, returnCode: number): void {
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
    const done = this.subacks.get(packetId);
    if (done === undefined) return;
    this.subacks.delete(packetId);
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

  /** The socket's own errors after CONNACK (kept apart from the parser's). */
  private socketError(err: unknown): void {
    this.fault(classifyError(err), errorMessage(err));
  }

  // --- internals

  private complete(slot: number, packetId: number): void {
    const n = this.outgoing.token(slot);
    this.outgoing.remove(slot);
    if (n !== AWAITED) {
      this.onAcked(n);
      return;
    }
    const resolve = this.awaited.get(packetId);
    this.awaited.delete(packetId);
    resolve?.();
  }

  /** The next packet id not in flight, taken with `state` and the owner's number; -1 when 65,535 are in flight. */
  private takeId(state: number, n: number): number {
    const t = this.outgoing;
    if (t.size >= 0xffff) return -1;
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 0xffff ? 1 : id + 1;
      if (t.find(id) < 0) {
        t.add(id, state, n);
        return id;
      }
    }
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

  /** A read of the socket: bytes 0..length of buf, reused after the call. */
  private read(buf: Buffer, length: number): void {
    this.lastHeardMs = Date.now();
    this.parser.feed(buf, length);
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

  private ended(): void {
    if (!this.open) return;
    this.open = false;
    this.stopKeepalive();
    for (const fail of this.subacks.values()) fail(null);
    this.subacks.clear();
    for (const resolve of this.awaited.values()) resolve();
    this.awaited.clear();
    if (!this.ending) this.onClose();
  }
}
