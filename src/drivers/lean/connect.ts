/**
 * Opening a lean MQTT connection: the socket from the transport builders (transports.ts), the
 * CONNECT, and its CONNACK awaited as one attempt (attempt.ts): accepted, refused, failed or
 * timed out, settled once. What follows is the connection's (connection.ts).
 */
import { attempt } from '../attempt.js';
import { classifyError, ConnectError, errorMessage } from '../errors.js';
import { buildStream, type StreamOptions, type TargetEndpoint } from '../transports.js';
import { encodeConnect, type ConnectOptions } from './codec.js';
import { LeanConnection } from './connection.js';

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

export interface LeanConnected {
  client: LeanConnection;
  /** Socket connect through CONNACK, microseconds. */
  connectMicros: number;
  sessionPresent: boolean;
}

/**
 * Opens a connection and resolves on a CONNACK that accepts it; rejects with a classified
 * ConnectError otherwise (refused, timeout, tls, rejected by the broker, closed before CONNACK).
 */
export function connectLean(
  target: TargetEndpoint,
  o: LeanConnectOptions,
  stream: StreamOptions,
  /** Called before the CONNECT is sent (set onMessage here: a resumed session's queue may come with the CONNACK). */
  prepare?: (c: LeanConnection) => void,
): Promise<LeanConnected> {
  const started = stream.now();
  // Reads begin once connected, after `c` exists.
  const socket = buildStream(target, { ...stream, onRead: (buf, length) => c.read(buf, length) });
  const c = new LeanConnection(socket, o.version, o.keepaliveSeconds);
  prepare?.(c);
  return new Promise((resolve, reject) => {
    const a = attempt<LeanConnected>(o.connectTimeoutMs, `no CONNACK within ${o.connectTimeoutMs}ms`, () => c.abandon(), resolve, reject);
    c.awaitConnack((sessionPresent, code) => {
      if (a.settled) return;
      if (code !== 0) {
        a.fail(new ConnectError('rejected', `${CONNACK_REFUSALS[code] ?? `Connection refused: return code ${code}`} (${code})`));
        return;
      }
      c.established();
      a.succeed({ client: c, connectMicros: stream.now() - started, sessionPresent });
    });
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
