/**
 * The bundled plain WebSocket server, the target of `protocol: ws` runs, on ws and/or wss:
 *
 * - `/echo`: every message goes back unchanged on the same connection (binary stays binary).
 * - `/broadcast?room=<name>`: every message goes to every OTHER open connection of the same
 *   room (rooms keep concurrent runs apart; no room: the default room).
 *
 * Compression is off and Nagle is off, as on the broker. Nothing is dropped: a receiver
 * that does not read is not skipped but, once more than `maxBufferedBytes` are queued for
 * it, terminated and counted ('slow-consumer'), so memory stays bounded.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { closeServer, hostForUrl, listenAll, rejectUpgrade, requestTarget, type SocketServer } from './listen.js';
import type { TlsMaterial } from './tls-certs.js';

export type EchoTransport = 'ws' | 'wss';
export const ECHO_TRANSPORTS: readonly EchoTransport[] = ['ws', 'wss'];
export const ECHO_PATH = '/echo';
export const BROADCAST_PATH = '/broadcast';

const MiB = 1024 * 1024;

export interface EchoServerOptions {
  /** Address to listen on; callers default it to 127.0.0.1 (loopback only). */
  host: string;
  /** One entry per listener to start, with its port; 0 picks a free one. Absent: not started. */
  listeners: Partial<Record<EchoTransport, number>>;
  /** Certificate and key for the wss listener; required when it is asked for. */
  tls?: TlsMaterial;
  /** Largest message accepted, in bytes; a bigger one closes the connection (1009). Default 64 MiB. */
  maxPayloadBytes?: number;
  /** Bytes queued for one receiver past which it is terminated. Default 64 MiB. */
  maxBufferedBytes?: number;
}

/** What went wrong: HTTP parsing, the WebSocket handshake, an open connection, or a receiver too slow to keep. */
export type EchoErrorKind = 'http' | 'handshake' | 'connection' | 'slow-consumer';

export interface RunningEchoServer {
  host: string;
  /** Bound port per started listener. */
  ports: Partial<Record<EchoTransport, number>>;
  /** ws://h:p and wss://h:p (no path: add /echo or /broadcast) per started listener. */
  urls: Partial<Record<EchoTransport, string>>;
  close(): Promise<void>;
  /** Every error, by kind, for counting and the log. */
  onError(listener: (kind: EchoErrorKind, err: Error) => void): void;
}

/**
 * The WebSocket side of the echo server: /echo sends each message back to its sender,
 * /broadcast?room=NAME to every other client in the room; a receiver with more than
 * `maxBuffered` bytes queued is terminated (a slow consumer).
 */
function echoSockets(report: (kind: EchoErrorKind, err: Error) => void, maxBuffered: number, maxPayload: number, socketError: (err: Error) => void): WebSocketServer {
  const rooms = new Map<string, Set<WebSocket>>();
  /** Queues `data` for `to`, or terminates `to` when too much is queued for it already. */
  const deliver = (to: WebSocket, data: RawData, isBinary: boolean): void => {
    if (to.readyState !== to.OPEN) return;
    if (to.bufferedAmount > maxBuffered) {
      report('slow-consumer', new Error(`receiver terminated: ${to.bufferedAmount} bytes queued, limit ${maxBuffered}`));
      to.terminate();
      return;
    }
    to.send(data, { binary: isBinary });
  };

  const wsServer = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload });
  wsServer.on('wsClientError', (err, socket) => {
    report('handshake', err);
    rejectUpgrade(socket, 400, 'Bad Request', socketError);
  });
  wsServer.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    ws.on('error', (err) => report('connection', err));
    const target = requestTarget(req);
    if (target.path === ECHO_PATH) {
      ws.on('message', (data, isBinary) => deliver(ws, data, isBinary));
      return;
    }
    const name = target.query.get('room') ?? '';
    const room = rooms.get(name) ?? new Set<WebSocket>();
    rooms.set(name, room);
    room.add(ws);
    ws.on('message', (data, isBinary) => {
      for (const peer of room) if (peer !== ws) deliver(peer, data, isBinary);
    });
    ws.on('close', () => {
      room.delete(ws);
      if (room.size === 0 && rooms.get(name) === room) rooms.delete(name);
    });
  });
  return wsServer;
}

export async function startEchoServer(options: EchoServerOptions): Promise<RunningEchoServer> {
  const wanted = ECHO_TRANSPORTS.filter((t) => options.listeners[t] !== undefined);
  const material = options.tls;
  if (material === undefined && wanted.includes('wss')) throw new Error('echo server: the wss listener needs TLS material (options.tls)');
  const maxBuffered = options.maxBufferedBytes ?? 64 * MiB;

  const errorListeners: Array<(kind: EchoErrorKind, err: Error) => void> = [];
  const report = (kind: EchoErrorKind, err: Error): void => {
    for (const listener of errorListeners) listener(kind, err);
  };
  const socketError = (err: Error): void => report('http', err);

  const wsServer = echoSockets(report, maxBuffered, options.maxPayloadBytes ?? 64 * MiB, socketError);

  const isKnown = (req: http.IncomingMessage): boolean => {
    const path = requestTarget(req).path;
    return path === ECHO_PATH || path === BROADCAST_PATH;
  };
  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!isKnown(req)) rejectUpgrade(socket, 404, 'Not Found', socketError);
    else wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  };
  const plainHttp = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const known = isKnown(req);
    res.writeHead(known ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(known ? 'WebSocket endpoint: send an Upgrade request\n' : 'Not Found\n');
  };
  const build: Record<EchoTransport, () => SocketServer> = {
    ws: () => http.createServer(plainHttp).on('upgrade', upgrade),
    wss: () => https.createServer({ cert: material?.cert, key: material?.key }, plainHttp).on('upgrade', upgrade),
  };

  const servers: SocketServer[] = [];
  const closeAll = async (): Promise<void> => {
    const closing = servers.map(closeServer);
    for (const ws of wsServer.clients) ws.terminate();
    await Promise.all(closing);
  };
  let bound;
  try {
    bound = await listenAll({
      wanted,
      build,
      ports: options.listeners,
      host: options.host,
      servers,
      url: (t, port) => `${t}://${hostForUrl(options.host)}:${port}`,
      onHandshakeError: (_t, err) => report('handshake', err),
      onHttpError: (_t, err) => report('http', err),
      onSocketError: socketError,
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  const { ports, urls } = bound;
  return {
    host: options.host,
    ports,
    urls,
    onError(listener) {
      errorListeners.push(listener);
    },
    close: closeAll,
  };
}
