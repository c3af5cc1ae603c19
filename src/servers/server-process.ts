/**
 * The body of a bundled server's own process (broker-process.ts, echo-process.ts), so the
 * server never shares an event loop with the coordinator or a load worker and its CPU is
 * measured apart. Options arrive as JSON in an environment variable ({ host, transports });
 * TLS material comes from the shared certificate cache when a secure transport is asked for.
 * Protocol over the IPC channel: -> { type: 'listening', host, ports, urls, caPem } or
 * { type: 'failed', message }, <- { type: 'close' }, -> { type: 'closed', clientErrors } then exit.
 */
import { bundledTlsMaterial, type TlsMaterial } from './tls-certs.js';

export interface ServedServer {
  host: string;
  ports: Record<string, number | undefined>;
  urls: Record<string, string | undefined>;
  close(): Promise<void>;
}

export interface ServerProcessSpec<T extends string, S extends ServedServer> {
  /** Environment variable holding the options. */
  optionsVar: string;
  /** Every transport this server knows, and the one used when none is given. */
  transports: readonly T[];
  fallback: T;
  /** Transports that need TLS material. */
  secure: readonly T[];
  start(host: string, transports: T[], tls: TlsMaterial | undefined): Promise<S>;
  /** Subscribes to the server's client errors; each is counted under the key it returns. */
  onError(server: S, count: (key: string) => void): void;
}

const send = (msg: unknown): Promise<void> =>
  new Promise((resolve) => {
    // A failed send means the parent is gone: there is no one left to tell.
    if (process.send === undefined) resolve();
    else process.send(msg, () => resolve());
  });

/** Reads and checks the options the parent passed; throws on anything unexpected. */
function readOptions<T extends string>(spec: ServerProcessSpec<T, ServedServer>): { host: string; transports: T[] } {
  const raw = JSON.parse(process.env[spec.optionsVar] ?? '{}') as { host?: unknown; transports?: unknown };
  const host = typeof raw.host === 'string' ? raw.host : '127.0.0.1';
  const list = Array.isArray(raw.transports) ? (raw.transports as unknown[]) : [spec.fallback];
  const transports = spec.transports.filter((t) => list.includes(t));
  if (transports.length === 0 || transports.length !== new Set(list).size) {
    throw new Error(`bad transports ${JSON.stringify(raw.transports)}; expected some of ${spec.transports.join(', ')}`);
  }
  return { host, transports };
}

export async function serveFromParent<T extends string, S extends ServedServer>(spec: ServerProcessSpec<T, S>): Promise<void> {
  let server: S;
  let caPem: string | null = null;
  try {
    const options = readOptions(spec);
    const material = options.transports.some((t) => spec.secure.includes(t)) ? await bundledTlsMaterial() : undefined;
    caPem = material?.ca ?? null;
    server = await spec.start(options.host, options.transports, material);
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }

  const clientErrors: Record<string, number> = {};
  spec.onError(server, (key) => {
    clientErrors[key] = (clientErrors[key] ?? 0) + 1;
  });

  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await server.close();
    await send({ type: 'closed', clientErrors });
    process.disconnect?.();
    process.exit(0);
  };
  process.on('message', (msg: { type?: string }) => {
    if (msg.type === 'close') void close();
  });
  // The parent went away without asking: do not linger.
  process.on('disconnect', () => void close());
  process.on('SIGTERM', () => void close());
  // Ctrl-C reaches the whole process group; the parent decides when the server stops.
  process.on('SIGINT', () => undefined);

  await send({ type: 'listening', host: server.host, ports: server.ports, urls: server.urls, caPem });
}
