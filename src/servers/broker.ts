/**
 * The bundled reference MQTT broker: aedes 1.x on TCP, TLS, WebSocket and secure WebSocket
 * listeners, all with Nagle off. aedes' default `concurrency` (100) makes mqemitter queue
 * deliveries and drain that queue recursively, which overflows the stack under a QoS 0
 * flood (moscajs/aedes#193, mcollina/mqemitter#204); concurrency 0 delivers without that
 * queue, and TCP backpressure (aedes waits for 'drain' on slow subscribers before reading
 * more) still bounds memory.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import { closeServer, hostForUrl, listenAll, rejectUpgrade, requestTarget, type SocketServer } from './listen.js';
import { PublishRateLimit } from './rate-limit.js';
import type { TlsMaterial } from './tls-certs.js';

export type BrokerTransport = 'tcp' | 'tls' | 'ws' | 'wss';
export const BROKER_TRANSPORTS: readonly BrokerTransport[] = ['tcp', 'tls', 'ws', 'wss'];

/** WebSocket request path MQTT is served on (the MQTT.js and mosquitto convention). */
export const MQTT_WS_PATH = '/mqtt';

export interface BrokerOptions {
  /** Address to listen on; callers default it to 127.0.0.1 (loopback only). */
  host: string;
  /** One entry per listener to start, with its port; 0 picks a free one. Absent: not started. */
  listeners: Partial<Record<BrokerTransport, number>>;
  /** Certificate and key for the tls and wss listeners; required when either is asked for. */
  tls?: TlsMaterial;
  /**
   * At most this many client PUBLISH packets handled per second, the rest queued in arrival
   * order (servers/rate-limit.ts): a target with a known capacity, for testing `mqbench capacity`.
   * Absent: no limit.
   */
  rateLimit?: number;
}

export interface RunningBroker {
  host: string;
  /** Bound port per started listener. */
  ports: Partial<Record<BrokerTransport, number>>;
  /** mqtt://h:p, mqtts://h:p, ws://h:p/mqtt, wss://h:p/mqtt per started listener. */
  urls: Partial<Record<BrokerTransport, string>>;
  close(): Promise<void>;
  /** Errors seen on client connections (MQTT, TLS handshake, HTTP upgrade), for counting and the log. */
  onClientError(listener: (clientId: string, err: Error) => void): void;
}

/**
 * MQTT over a WebSocket, one binary frame per packet as mosquitto sends them: aedes writes a
 * packet in pieces (mqtt-packet writes header, topic and payload separately between a cork and
 * an uncork on the next tick), and ws's stream would make each piece a frame of its own, which
 * a byte count would then blame on MQTT over WebSocket. Corked pieces reach _writev together
 * and go out as one frame.
 */
function packetFramedStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  stream._writev = (chunks, callback) => {
    ws.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), callback);
  };
  return stream;
}

const SCHEME: Record<BrokerTransport, string> = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' };

/** MQTT over WebSocket: each connection's frames handed to aedes as one packet stream. */
function mqttSockets(aedes: Aedes, report: (clientId: string, err: Error) => void, socketError: (err: Error) => void): WebSocketServer {
  const wsServer = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wsServer.on('connection', (socket, req) => {
    aedes.handle(packetFramedStream(socket), req);
  });
  // With a listener here ws leaves the answer to us (it would otherwise answer 400 silently).
  wsServer.on('wsClientError', (err, socket) => {
    report('(websocket handshake)', err);
    rejectUpgrade(socket, 400, 'Bad Request', socketError);
  });
  return wsServer;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const wanted = BROKER_TRANSPORTS.filter((t) => options.listeners[t] !== undefined);
  const material = options.tls;
  if (material === undefined && wanted.some((t) => t === 'tls' || t === 'wss')) throw new Error('broker: the tls and wss listeners need TLS material (options.tls)');

  const errorListeners: Array<(clientId: string, err: Error) => void> = [];
  const report = (clientId: string, err: Error): void => {
    for (const listener of errorListeners) listener(clientId, err);
  };
  const aedes = await Aedes.createBroker({ concurrency: 0, drainTimeout: 30_000 });
  const limit = options.rateLimit === undefined ? null : new PublishRateLimit(options.rateLimit);
  if (limit !== null) {
    const authorize = aedes.authorizePublish.bind(aedes);
    // Wills (client null) are not client traffic and pass at once; aedes' own check runs after the wait.
    aedes.authorizePublish = (client, packet, callback) => (client === null ? authorize(client, packet, callback) : limit.admit(() => authorize(client, packet, callback)));
  }
  aedes.on('clientError', (client, err) => report(client.id, err));
  aedes.on('connectionError', (client, err) => report(client.id ?? '(connecting)', err));

  const socketError = (err: Error): void => report('(http socket)', err);
  const wsServer = mqttSockets(aedes, report, socketError);

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (requestTarget(req).path !== MQTT_WS_PATH) {
      rejectUpgrade(socket, 404, 'Not Found', socketError);
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  };
  const plainHttp = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const found = requestTarget(req).path === MQTT_WS_PATH;
    res.writeHead(found ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(found ? 'MQTT over WebSocket: send an Upgrade request\n' : 'Not Found\n');
  };

  const build: Record<BrokerTransport, () => SocketServer> = {
    tcp: () => net.createServer({ noDelay: true }, aedes.handle),
    tls: () => tls.createServer({ cert: material?.cert, key: material?.key }, (socket) => aedes.handle(socket)),
    ws: () => http.createServer(plainHttp).on('upgrade', upgrade),
    wss: () => https.createServer({ cert: material?.cert, key: material?.key }, plainHttp).on('upgrade', upgrade),
  };

  const servers: SocketServer[] = [];
  const closeAll = async (): Promise<void> => {
    limit?.close();
    const closing = servers.map(closeServer);
    // Client sockets keep the servers open; aedes.close() ends them (and its timers).
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
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
      url: (t, port) => `${SCHEME[t]}://${hostForUrl(options.host)}:${port}${t === 'ws' || t === 'wss' ? MQTT_WS_PATH : ''}`,
      onHandshakeError: (t, err) => report(`(${t} handshake)`, err),
      onHttpError: (t, err) => report(`(${t} http)`, err),
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
    onClientError(listener) {
      errorListeners.push(listener);
    },
    close: closeAll,
  };
}
