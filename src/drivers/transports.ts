/**
 * One stream builder per transport, picked from a table (as MQTT.js does), built here
 * rather than by MQTT.js so every socket option reaches the socket: Nagle off, the source
 * address (MQTT.js' TCP builder ignores `localAddress`), the CA to trust, and WebSocket
 * compression off. Each builder reports how long its stages took, for the connect
 * latency histograms per stage.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';

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
}

export function wsUrl(target: TargetEndpoint, query = ''): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.transport === 'wss' ? 'wss' : 'ws'}://${host}:${target.port}${target.path}${query}`;
}

function tcpStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  const started = o.now();
  const socket = net.connect({ host: target.host, port: target.port, noDelay: o.noDelay, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  socket.once('connect', () => o.onStage?.('tcp', o.now() - started));
  return socket;
}

function tlsStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  const started = o.now();
  const raw = net.connect({ host: target.host, port: target.port, noDelay: o.noDelay, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  raw.once('connect', () => o.onStage?.('tcp', o.now() - started));
  const socket = tls.connect({
    socket: raw,
    ...(net.isIP(target.servername) === 0 ? { servername: target.servername } : {}),
    ...(target.ca !== null ? { ca: target.ca } : {}),
    rejectUnauthorized: target.verify,
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(target.servername, cert),
  });
  socket.once('secureConnect', () => o.onStage?.('tls', o.now() - started));
  return socket;
}

/** A WebSocket client socket with compression off and the socket options applied. */
export function openWebSocket(target: TargetEndpoint, o: StreamOptions, query = ''): WebSocket {
  const started = o.now();
  const ws = new WebSocket(wsUrl(target, query), target.subprotocol === null ? [] : [target.subprotocol], {
    perMessageDeflate: false,
    // Passed through to net/tls.connect by ws.
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    ...(target.transport === 'wss'
      ? {
          ...(target.ca !== null ? { ca: target.ca } : {}),
          rejectUnauthorized: target.verify,
          ...(net.isIP(target.servername) === 0 ? { servername: target.servername } : {}),
          checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(target.servername, cert),
        }
      : {}),
    maxPayload: 512 * 1024 * 1024,
    skipUTF8Validation: true,
  });
  ws.binaryType = 'nodebuffer';
  ws.once('upgrade', (res) => {
    if (o.noDelay) res.socket.setNoDelay(true);
  });
  ws.once('open', () => o.onStage?.('ws', o.now() - started));
  return ws;
}

function wsStream(target: TargetEndpoint, o: StreamOptions): Duplex {
  return createWebSocketStream(openWebSocket(target, o));
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
