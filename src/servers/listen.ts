/**
 * Socket-server plumbing shared by the bundled broker and echo server: listening with an
 * error that names the listener, closing, answering a refused HTTP upgrade, URL pieces.
 */
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** net, tls, http and https servers alike. */
export type SocketServer = net.Server;

/** A listener could not bind; carries which one, so the CLI can name the flag to change. */
export class ListenError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly listener: string,
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | null)?.code;
    const text = cause instanceof Error ? cause.message : String(cause);
    super(`cannot listen for ${listener} on ${hostForUrl(host)}:${port}: ${text}`, { cause });
    this.name = 'ListenError';
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** Pending connections the kernel may queue per listener (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096;

/** Binds `server` and resolves with the bound port; a failure is a ListenError. */
export function listen(server: SocketServer, listener: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => reject(new ListenError(listener, host, port, err));
    server.once('error', fail);
    // A deep accept queue: a connection storm (thousands of unpaced connects) otherwise overflows
    // Node's default of 511 and clients wait out SYN retransmits (1 s, 3 s), which would be
    // measured as the broker's connect latency. The kernel caps it at net.core.somaxconn.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', fail);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new ListenError(listener, host, port, new Error('no TCP address after listen')));
      else resolve(address.port);
    });
  });
}

/** Stops accepting and resolves once every connection of `server` has ended. */
export function closeServer(server: SocketServer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err === undefined ? resolve() : reject(err)));
    // Idle keep-alive HTTP connections would hold an http(s) server open.
    const httpServer = server as Partial<http.Server>;
    httpServer.closeIdleConnections?.call(server);
  });
}

/**
 * Answers an HTTP request on a raw socket (a refused upgrade) and closes it. The socket
 * has left the HTTP server's hands, so its errors go to `onError`.
 */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, onError: (err: Error) => void): void {
  if (socket.listenerCount('error') === 0) socket.on('error', onError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`);
}

/** Path and query of a request, without throwing on odd request targets. */
export function requestTarget(req: http.IncomingMessage): { path: string; query: URLSearchParams } {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: new URLSearchParams() } : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}

/** An IPv6 literal in brackets, as URLs need it. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export interface ListenAllSpec<T extends string> {
  /** Listeners to start, in order, each built by `build` and bound to `ports[t]` (0 or absent: a free port). */
  wanted: readonly T[];
  build: Record<T, () => SocketServer>;
  ports: Partial<Record<T, number>>;
  host: string;
  /** Every server built is added here at once, so the caller can close them all when a later one fails. */
  servers: SocketServer[];
  url(transport: T, port: number): string;
  /** A TLS handshake that failed, or an HTTP request that could not be parsed (answered 400). */
  onHandshakeError(transport: T, err: Error): void;
  onHttpError(transport: T, err: Error): void;
  /** An error while answering a bad request. */
  onSocketError(err: Error): void;
}

/**
 * Builds and binds one server per wanted listener, with Nagle off on every accepted socket
 * (under TLS and HTTP too) and handshake and HTTP errors reported. Rejects with the
 * ListenError of the first listener that cannot bind.
 */
export async function listenAll<T extends string>(spec: ListenAllSpec<T>): Promise<{ ports: Partial<Record<T, number>>; urls: Partial<Record<T, string>> }> {
  const ports: Partial<Record<T, number>> = {};
  const urls: Partial<Record<T, string>> = {};
  for (const transport of spec.wanted) {
    const server = spec.build[transport]();
    spec.servers.push(server);
    server.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
    server.on('tlsClientError', (err: Error) => spec.onHandshakeError(transport, err));
    server.on('clientError', (err: Error, socket: Duplex) => {
      spec.onHttpError(transport, err);
      rejectUpgrade(socket, 400, 'Bad Request', spec.onSocketError);
    });
    const port = await listen(server, transport, spec.ports[transport] ?? 0, spec.host);
    ports[transport] = port;
    urls[transport] = spec.url(transport, port);
  }
  return { ports, urls };
}
