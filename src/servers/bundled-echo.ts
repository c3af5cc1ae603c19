/**
 * Starts the bundled WebSocket echo server in a child process on free loopback ports and
 * stops it with the run. Only the process started here is ever signalled, by its own pid.
 */
import type { EchoTransport } from './echo.js';
import { forkServer, stopServer, type ListeningReport } from './bundled.js';

/**
 * Per-transport values, indexable by every transport (a run looks its transport up) though
 * only ws and wss are ever present: this server has no tcp or tls listener.
 */
export type ByTransport<V> = { ws?: V; wss?: V; tcp?: never; tls?: never };

export interface BundledEcho extends ListeningReport<EchoTransport> {
  /** Bound port per started listener. */
  ports: ByTransport<number>;
  /** ws://h:p and wss://h:p (no path: add /echo or /broadcast). */
  urls: ByTransport<string>;
  pid: number;
  /** Stops the server; resolves with the errors it saw ('kind: message' -> count). */
  stop(): Promise<Record<string, number>>;
}

export interface BundledEchoOptions {
  /** Listeners to start, each on a free loopback port. Default ['ws']. */
  transports: EchoTransport[];
}

export async function startBundledEcho(opts: BundledEchoOptions = { transports: ['ws'] }): Promise<BundledEcho> {
  const { child, report } = await forkServer<EchoTransport>(new URL('./echo-process.js', import.meta.url), 'echo server', {
    MQBENCH_ECHO_OPTIONS: JSON.stringify({ host: '127.0.0.1', transports: opts.transports }),
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the bundled echo server has no process id');
  return { ...report, pid, stop: () => stopServer(child) };
}
