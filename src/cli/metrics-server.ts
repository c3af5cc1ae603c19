/**
 * --metrics-listen: the HTTP server Prometheus scrapes, GET /metrics, on its own port (never
 * the target's), opened before any load and closed with the run. A port that cannot be had is
 * a value naming the port and the fix, so the CLI exits 2 before the first connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ListenAddress } from '../config/live-outputs.js';
import { errorMessage } from '../drivers/errors.js';

export interface MetricsServer {
  /** http://host:port/metrics with the port bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export async function listenMetrics(addr: ListenAddress, source: MetricsSource): Promise<MetricsServer | { error: string }> {
  const server = createServer((req, res) => {
    serve(req, res, source).catch((err: unknown) => {
      // A response already under way cannot change its status: the scrape sees a cut body.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`mqbench could not render its metrics: ${errorMessage(err)}\n`);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: addr.host, port: addr.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    return { error: listenProblem(addr, err) };
  }
  const bound = server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : addr.port;
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the port (and the process) open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, source: MetricsSource): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('mqbench serves its metrics at GET /metrics\n');
    return;
  }
  const body = await source.metrics();
  res.writeHead(200, { 'content-type': source.contentType, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Why the listener could not open, naming the address, the port and the fix. */
function listenProblem(addr: ListenAddress, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const at = `--metrics-listen ${addr.written}`;
  if (code === 'EADDRINUSE') return `${at}: port ${addr.port} is in use on ${addr.host} (EADDRINUSE); pick a free port, or port 0 for any free one (it is printed)`;
  if (code === 'EADDRNOTAVAIL') return `${at}: ${addr.host} is not an address of this machine (EADDRNOTAVAIL); give 127.0.0.1, 0.0.0.0 or an address of one of its interfaces`;
  if (code === 'EACCES') return `${at}: port ${addr.port} needs privileges to listen on (EACCES); use a port above 1023`;
  return `${at}: cannot listen there: ${errorMessage(err)}`;
}
