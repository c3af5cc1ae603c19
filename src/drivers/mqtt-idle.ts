/**
 * Connect-only MQTT clients, for holding tens of thousands of idle connections: a socket,
 * one CONNECT, CONNACK checked, PINGREQ on a timer shared by all idle clients of a worker.
 * No MQTT.js client per connection (15-20 KiB each here): an idle connection costs its
 * socket and this small object. The broker sends an idle 3.1.1 client only CONNACK and
 * PINGRESP, so both are read as fixed bytes; anything else is counted as a protocol error.
 * Bytes may arrive split (over WebSocket aedes sends a packet's header and body as separate
 * frames), so a packet is read across chunks.
 */
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { buildStream, type ConnectStage, type TargetEndpoint } from './transports.js';
import { attempt } from './attempt.js';
import { classifyError, ConnectError, errorMessage, type ErrorKind } from './errors.js';
import type { WireMeter } from '../metrics/wire.js';

const PINGREQ = Buffer.from([0xc0, 0x00]);
const CONNACK_RETURN_CODES: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** CONNECT of an idle client: MQTT 3.1.1, clean, no will. */
function encodeConnect(clientId: string, o: { keepaliveSeconds: number; username?: string | undefined; password?: string | undefined }): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: o.keepaliveSeconds,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: Buffer.from(o.password, 'utf8') } : {}),
  });
}

export interface IdleEvents {
  /** The connection closed after CONNACK (not by us). */
  onDrop(client: IdleClient): void;
  onError(kind: ErrorKind): void;
}

export class IdleClient {
  /** Set once CONNACK arrived. */
  connected = false;
  private closing = false;
  private pending = 0;
  /** Bytes of a packet started in an earlier chunk (at most 3 of CONNACK, 1 of PINGRESP). */
  private partial: Buffer | null = null;

  private constructor(
    readonly clientId: string,
    private readonly stream: Duplex,
  ) {}

  /** Connects and resolves on CONNACK with the connect time in microseconds. */
  static connect(
    target: TargetEndpoint,
    clientId: string,
    opts: {
      keepaliveSeconds: number;
      connectTimeoutMs: number;
      noDelay: boolean;
      /** CONNECT user name and password (ClientOptions); absent: none sent. */
      username?: string | undefined;
      password?: string | undefined;
      localAddress?: string | undefined;
      now: () => number;
      onStage?: (stage: ConnectStage, micros: number) => void;
      meter?: WireMeter | undefined;
    },
    events: IdleEvents,
  ): Promise<{ client: IdleClient; connectMicros: number }> {
    const started = opts.now();
    const stream = buildStream(target, { noDelay: opts.noDelay, localAddress: opts.localAddress, onStage: opts.onStage, now: opts.now, meter: opts.meter });
    const client = new IdleClient(clientId, stream);
    stream.write(encodeConnect(clientId, opts));
    return new Promise((resolve, reject) => {
      const a = attempt<{ client: IdleClient; connectMicros: number }>(
        opts.connectTimeoutMs,
        `no CONNACK within ${opts.connectTimeoutMs}ms`,
        () => {
          client.closing = true;
          stream.destroy();
        },
        resolve,
        reject,
      );
      const fail = (err: ConnectError): void => a.fail(err);
      stream.on('error', (err: Error) => {
        if (!a.settled) fail(new ConnectError(classifyError(err), errorMessage(err)));
        else if (!client.closing) events.onError(classifyError(err));
      });
      stream.on('close', () => {
        if (!a.settled) fail(new ConnectError('closed', 'connection closed before CONNACK'));
        else if (!client.closing) {
          client.connected = false;
          events.onDrop(client);
        }
      });
      stream.on('data', (data: Buffer) => {
        const chunk = client.partial === null ? data : Buffer.concat([client.partial, data]);
        client.partial = null;
        if (!a.settled) {
          // CONNACK: 0x20 0x02 <flags> <return code>
          if (chunk[0] !== 0x20 || (chunk.length > 1 && chunk[1] !== 0x02)) {
            fail(new ConnectError('protocol', `expected CONNACK, got 0x${chunk.subarray(0, 4).toString('hex')}`));
            return;
          }
          if (chunk.length < 4) {
            client.partial = chunk;
            return;
          }
          const rc = chunk[3] ?? 0;
          if (rc !== 0) {
            fail(new ConnectError('rejected', `connection refused: ${CONNACK_RETURN_CODES[rc] ?? `return code ${rc}`}`));
            return;
          }
          client.connected = true;
          a.succeed({ client, connectMicros: opts.now() - started });
          client.read(chunk.subarray(4), events);
          return;
        }
        client.read(chunk, events);
      });
    });
  }

  /** After CONNACK only PINGRESP (0xd0 0x00) is expected. */
  private read(chunk: Buffer, events: IdleEvents): void {
    for (let i = 0; i < chunk.length; i += 2) {
      if (chunk[i] !== 0xd0 || (i + 1 < chunk.length && chunk[i + 1] !== 0x00)) {
        events.onError('protocol');
        return;
      }
      if (i + 1 === chunk.length) {
        this.partial = chunk.subarray(i);
        return;
      }
      this.pending = Math.max(0, this.pending - 1);
    }
  }

  /** Sends PINGREQ; a client with two unanswered pings is reported by the caller. */
  ping(): number {
    if (!this.connected) return 0;
    this.pending++;
    this.stream.write(PINGREQ);
    return this.pending;
  }

  /** Cuts the connection without DISCONNECT, as a crashed client would. */
  destroy(): void {
    this.closing = true;
    this.stream.destroy();
  }

  /** Sends DISCONNECT and closes. */
  end(): Promise<void> {
    this.closing = true;
    const stream = this.stream;
    if (stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('close', () => resolve());
      stream.end(Buffer.from([0xe0, 0x00]));
      setTimeout(() => stream.destroy(), 2000).unref();
    });
  }
}
