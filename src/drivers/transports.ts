/**
 * One stream builder per transport, picked from a table (as MQTT.js does), built here
 * rather than by MQTT.js so every socket option reaches the socket: Nagle off, the source
 * address (MQTT.js' TCP builder ignores `localAddress`), the CA to trust, and WebSocket
 * compression off. Each builder reports how long its stages took, for the connect
 * latency histograms per stage, and registers its raw TCP socket (under TLS too) with the
 * wire meter, for the bytes on the wire.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import type { WireMeter } from '../metrics/wire.js';

export type Transport = 'tcp' | 'tls' | 'ws' | 'wss';
export const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'ws', 'wss'];

/** Where and how to connect; plain data, sent to workers as is. */
export interface TargetEndpoint {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket request path, e.g. '/mqtt'; ignored on tcp and tls. */
  path: string;
  /** PEM certificate(s) to trust for tls/wss; null: the system store. */
  ca: string | null;
  /** Verify the server certificate (tls/wss). False only with --insecure. */
  verify: boolean;
  /** Name to verify and to send as SNI; default the host. */
  servername: string;
  /** WebSocket sub-protocol ('mqtt' for MQTT over WebSocket, null for plain WebSocket). */
  subprotocol: string | null;
}

/** Stage of a connection, for the per-stage connect latency. */
export type ConnectStage = 'tcp' | 'tls' | 'ws';

export interface StreamOptions {
  noDelay: boolean;
  /** Source address for this connection; undefined: the OS picks. */
  localAddress?: string | undefined;
  /** Called once per finished stage with microseconds since the builder was called. */
  onStage?: ((stage: ConnectStage, micros: number) => void) | undefined;
  now: () => number;
  /** Counts the bytes of the raw TCP socket (under TLS, the encrypted bytes); undefined: not counted. */
  meter?: WireMeter | undefined;
  /**
   * tcp only: the socket reads into one buffer shared by the thread and hands each read here
   * (bytes 0..length of `buf`, valid during the call), with no 'data' event and no buffer per
   * read. Ignored by the other transports, whose streams emit 'data' as usual.
   */
  onRead?: ((buf: Buffer, length: number) => void) | undefined;
}

/** The read buffer of every `onRead` socket of this thread: reads are handed over one at a time. */
let sharedRead: Buffer | null = null;

export function wsUrl(target: TargetEndpoint, query = ''): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.transport === 'wss' ? 'wss' : 'ws'}://${host}:${target.port}${target.path}${query}`;
}

/** The TCP socket of every transport, registered with the meter. */
function rawSocket(target: TargetEndpoint, o: StreamOptions, onRead?: (buf: Buffer, length: number) => void): net.Socket {
  const socket = net.connect({
    host: target.host,
    port: target.port,
    noDelay: o.noDelay,
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    ...(onRead !== undefined ? { onread: { buffer: (sharedRead ??= Buffer.allocUnsafeSlow(64 * 1024)), callback: (n: number, buf: Buffer): boolean => { onRead(buf, n); return true; } } } : {}),
  });
  o.meter?.track(socket);
  return socket;
}

/** TLS over a raw socket we hold, so its counters see the encrypted bytes (a TLSSocket's own count cleartext). */
function tlsOver(raw: net.Socket, target: TargetEndpoint): tls.TLSSocket {
  return tls.connect({
    socket: raw,
    ...(net.isIP(target.servername) === 0 ? { servername: target.servername } : {}),
    ...(target.ca !== null ? { ca: target.ca } : {}),
    rejectUnauthorized: target.verify,
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(target.servername, cert),
  });
}

function tcpStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  const started = o.now();
  const socket = rawSocket(target, o, o.onRead);
  socket.once('connect', () => o.onStage?.('tcp', o.now() - started));
  return socket;
}

function tlsStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  const started = o.now();
  const raw = rawSocket(target, o);
  raw.once('connect', () => o.onStage?.('tcp', o.now() - started));
  const socket = tlsOver(raw, target);
  socket.once('secureConnect', () => o.onStage?.('tls', o.now() - started));
  return socket;
}

/** A WebSocket client socket with compression off and the socket options applied. */
export function openWebSocket(target: TargetEndpoint, o: StreamOptions, query = ''): WebSocket {
  const started = o.now();
  const ws = new WebSocket(wsUrl(target, query), target.subprotocol === null ? [] : [target.subprotocol], {
    perMessageDeflate: false,
    // The socket is ours, built as for tcp and tls (source address, Nagle, CA, SNI): ws's own
    // tls.connect would leave no raw socket to count the encrypted bytes on.
    createConnection: () => (target.transport === 'wss' ? tlsOver(rawSocket(target, o), target) : rawSocket(target, o)),
    maxPayload: 512 * 1024 * 1024,
    skipUTF8Validation: true,
  });
  ws.binaryType = 'nodebuffer';
  ws.once('open', () => o.onStage?.('ws', o.now() - started));
  return ws;
}

/** 'WebSocket upgrade refused: HTTP 404 Not Found': the server answered, but not as a WebSocket server (wrong path, a plain HTTP server). */
export function upgradeRefusal(res: IncomingMessage): string {
  return `WebSocket upgrade refused: HTTP ${res.statusCode ?? '?'}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
}

function wsStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  const ws = openWebSocket(target, o);
  // Without this, ws aborts a non-101 answer with an Error that has no `code`, which MQTT.js
  // drops (its stream error handler only re-emits coded errors) and the client reads "closed
  // before CONNACK". So: note the HTTP status, terminate, and give the error that terminate()
  // emits the status and a code. This listener is added before createWebSocketStream's, which
  // hands the same error object to the stream (and so to MQTT.js).
  let refused: string | null = null;
  ws.once('unexpected-response', (_req, res) => {
    refused = `${upgradeRefusal(res)}; check the URL's path (MQTT brokers commonly serve /mqtt)`;
    res.resume();
    ws.terminate();
  });
  ws.on('error', (err: Error & { code?: string }) => {
    if (refused === null) return;
    err.message = refused;
    err.code = 'ERR_WS_UPGRADE_REFUSED';
  });
  return createWebSocketStream(ws);
}

const BUILDERS: Record<Transport, (target: TargetEndpoint, o: StreamOptions) => Duplex> = {
  tcp: tcpStream,
  tls: tlsStream,
  ws: wsStream,
  wss: wsStream,
};

export function buildStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  return BUILDERS[target.transport](target, o);
}
