/**
 * One MQTT connection of mqbench's lean engine: a socket from the transport builders
 * (transports.ts), the incremental parser (codec.ts) reading straight from its chunks, and
 * every write of one event-loop turn coalesced into one buffer and one `write` (so one
 * WebSocket frame, one TLS record run). Outgoing QoS 1/2 state lives in a typed array indexed
 * by packet id; acknowledgements come back to the owner as (packet id) calls, no closure or
 * promise per message. Reconnects are the owner's (a new connection each time).
 */
import type { Duplex } from 'node:stream';
import { classifyError, errorMessage, type ErrorKind } from '../errors.js';
import { attempt } from '../attempt.js';
import { ConnectError } from '../mqtt-driver.js';
import { buildStream, type StreamOptions, type TargetEndpoint } from '../transports.js';
import { encodeConnect, encodeDisconnect, encodeSubscribe, Parser, PINGREQ, PUBACK, PUBCOMP, PUBREC, PUBREL, writeAck, type PacketHandler, type PublishTemplate, type Version } from './codec.js';

/** Outgoing packet-id states. */
const FREE = 0;
const AWAIT_PUBACK = 1;
const AWAIT_PUBREC = 2;
const AWAIT_PUBCOMP = 3;
const AWAIT_SUBACK = 4;

/** Bytes a turn's buffer starts with; it grows by doubling for a turn that writes more. */
const ARENA_BYTES = 16 * 1024;

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

export interface LeanConnectOptions {
  clientId: string;
  version: Version;
  clean: boolean;
  keepaliveSeconds: number;
  sessionExpirySeconds: number | null;
  will: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | null;
  username?: string;
  password?: string;
  connectTimeoutMs: number;
}

type Done = (err?: Error) => void;
const nothing = (): void => {};

export class LeanConnection implements PacketHandler {
  private readonly parser: Parser;
  /** Outgoing packet-id states (index: packet id). */
  private readonly state = new Uint8Array(0x1_0000);
  /** Incoming QoS 2 packet ids between PUBLISH and PUBREL: a repeat is not delivered twice. */
  private readonly incoming2 = new Uint8Array(0x1_0000);
  private nextId = 1;
  private inFlight = 0;
  private arena = Buffer.allocUnsafe(ARENA_BYTES);
  private used = 0;
  private flushQueued = false;
  private readonly flushNow = (): void => this.flush();
  private open = true;
  private errored = false;
  private ending = false;
  private lastHeardMs = Date.now();
  private keepalive: NodeJS.Timeout | null = null;
  /** Pending SUBACKs by packet id. */
  private readonly subacks = new Map<number, (granted: number[] | null) => void>();
  /** Set while connecting: the CONNACK's fate. */
  private connack: ((sessionPresent: boolean, code: number) => void) | null = null;
  /** Callbacks of our QoS 1/2 publishes by packet id, called on PUBACK (QoS 1) or PUBCOMP (QoS 2). */
  private readonly done = new Map<number, Done>();
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
    const socket = buildStream(target, stream);
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
      socket.on('data', (chunk: Buffer) => {
        c.lastHeardMs = Date.now();
        c.parser.feed(chunk);
      });
      socket.on('error', (err: Error) => {
        if (!a.settled) a.fail(new ConnectError(classifyError(err), errorMessage(err)));
        else c.socketError(err);
      });
      socket.on('close', () => {
        if (!a.settled) a.fail(new ConnectError('closed', 'connection closed before CONNACK'));
        else c.ended();
      });
      socket.write(
        encodeConnect({
          clientId: o.clientId,
          version: o.version,
          clean: o.clean,
          keepaliveSeconds: o.keepaliveSeconds,
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(o.password !== undefined ? { password: o.password } : {}),
          sessionExpirySeconds: o.sessionExpirySeconds,
          will: o.will,
        }),
      );
    });
  }

  get connected(): boolean {
    return this.open && !this.ending;
  }

  /**
   * Queues a PUBLISH from `template`. `done` is called at QoS 0 once it is queued, at QoS 1/2
   * on PUBACK/PUBCOMP, with an error at once when the connection is closed or 65,535 are in
   * flight; a connection that drops calls nothing more (the owner resolves what was in flight).
   */
  publish(template: PublishTemplate, payload: Buffer, done: Done = nothing): void {
    if (!this.connected) {
      done(new Error('Connection closed'));
      return;
    }
    let id = 0;
    if (template.qos > 0) {
      id = this.takeId(template.qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC);
      if (id < 0) {
        done(new Error('no packet identifier free: 65,535 messages in flight'));
        return;
      }
      this.done.set(id, done);
    }
    const at = this.reserve(template.size(payload.length));
    this.used = template.write(this.arena, at, id, payload, false);
    if (id === 0) done();
  }

  /** Subscribes to every filter in one SUBSCRIBE; resolves with the granted QoS list. */
  subscribe(filters: ReadonlyArray<{ filter: string; qos: 0 | 1 | 2 }>, timeoutMs: number): Promise<number[]> {
    if (!this.connected) return Promise.reject(new ConnectError('closed', 'the connection is closed'));
    const id = this.takeId(AWAIT_SUBACK);
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
      this.append(encodeSubscribe(id, filters, this.version));
    });
  }

  /** DISCONNECT, then close; cut after `timeoutMs`. */
  end(timeoutMs: number): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.ending = true;
    this.stopKeepalive();
    this.append(encodeDisconnect(this.version));
    this.flush();
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
      const repeat = this.incoming2[packetId] === 1;
      this.incoming2[packetId] = 1;
      this.ack(PUBREC, packetId);
      if (repeat) return;
    } else if (qos === 1) this.ack(PUBACK, packetId);
    this.onMessage(payload, retain);
  }

  onAck(type: 4 | 5 | 6 | 7, packetId: number): void {
    const s = this.state[packetId];
    if (type === PUBACK && s === AWAIT_PUBACK) this.complete(packetId);
    else if (type === PUBREC && (s === AWAIT_PUBREC || s === AWAIT_PUBCOMP)) {
      this.state[packetId] = AWAIT_PUBCOMP;
      this.ack(PUBREL, packetId);
    } else if (type === PUBCOMP && s === AWAIT_PUBCOMP) this.complete(packetId);
    else if (type === PUBREL) {
      this.incoming2[packetId] = 0;
      this.ack(PUBCOMP, packetId);
    }
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

  private complete(packetId: number): void {
    this.release(packetId);
    const done = this.done.get(packetId);
    if (done === undefined) return;
    this.done.delete(packetId);
    done();
  }

  private takeId(state: number): number {
    if (this.inFlight >= 0xffff) return -1;
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 0xffff ? 1 : id + 1;
      if (this.state[id] === FREE) {
        this.state[id] = state;
        this.inFlight++;
        return id;
      }
    }
  }

  private release(packetId: number): void {
    if (this.state[packetId] === FREE) return;
    this.state[packetId] = FREE;
    this.inFlight--;
  }

  private ack(type: 4 | 5 | 6 | 7, packetId: number): void {
    const at = this.reserve(4);
    this.used = writeAck(this.arena, at, type, packetId);
  }

  private append(bytes: Buffer): void {
    const at = this.reserve(bytes.length);
    bytes.copy(this.arena, at);
    this.used = at + bytes.length;
  }

  /** Room for `bytes` more in this turn's buffer; the write goes out once the turn ends. */
  private reserve(bytes: number): number {
    if (this.used + bytes > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + bytes));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushNow);
    }
    return this.used;
  }

  /** One write for everything the turn queued; the next turn gets a fresh buffer (the socket keeps this one until written). */
  private flush(): void {
    this.flushQueued = false;
    if (this.used === 0 || !this.open) return;
    const out = this.arena.subarray(0, this.used);
    this.arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, this.arena.length >= this.used * 4 ? this.arena.length / 2 : this.arena.length));
    this.used = 0;
    this.stream.write(out);
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
      this.append(PINGREQ);
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
    this.done.clear();
    if (!this.ending) this.onClose();
  }
}
