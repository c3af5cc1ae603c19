/**
 * A TCP proxy on 127.0.0.1 port 0 that holds every chunk for `delayMs` before passing it on,
 * in both directions: a slower network (or a slower broker) made on purpose, so a test can
 * produce a real latency regression. Order is kept per direction; a half-close is passed on
 * after the data before it. close() ends every socket it opened.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  url: string;
  /** Chunks passed on so far, both directions (shows the traffic went through the proxy). */
  chunks(): number;
  /** Socket errors seen (resets at teardown are expected; kept, not dropped, for a failing test to show). */
  errors(): string[];
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs: number, targetHost = '127.0.0.1'): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let chunks = 0;
  const errors: string[] = [];
  const track = (s: Socket): void => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
    // A reset from either side ends the pair (see pipeDelayed); recorded for the test to show.
    s.on('error', (err) => {
      errors.push(err.message);
      s.destroy();
    });
  };
  /** Copies from -> to, each chunk `delayMs` late; the next chunk never overtakes the previous one. */
  const pipeDelayed = (from: Socket, to: Socket): void => {
    let last = 0;
    const later = (fn: () => void): void => {
      const due = Math.max(Date.now() + delayMs, last);
      last = due;
      setTimeout(fn, due - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      later(() => {
        if (to.destroyed) return;
        chunks++;
        to.write(chunk);
      });
    });
    let ended = false;
    from.on('end', () => {
      ended = true;
      later(() => to.end());
    });
    // Closed without a FIN (reset, destroy): the other side goes too, after what was in flight.
    from.on('close', () => {
      if (!ended) later(() => to.destroy());
    });
  };
  const server = createServer((client) => {
    track(client);
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no port');
  return {
    port: address.port,
    url: `mqtt://127.0.0.1:${address.port}`,
    chunks: () => chunks,
    errors: () => [...errors],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
