/**
 * The body of a bundled server's own process (broker-process.ts, echo-process.ts), so the
 * server never shares an event loop with the coordinator or a load worker and its CPU is
 * measured apart. Options arrive as JSON in an environment variable ({ host, transports });
 * TLS material comes from the shared certificate cache when a secure transport is asked for.
 * Protocol over the IPC channel: -> { type: 'listening', host, ports, urls, caPem } or
 * { type: 'failed', message }, <- { type: 'close' }, -> { type: 'closed', clientErrors }, then the
 * channel is closed and the process ends by itself (the entry sets the exit code).
 *
 * The server's life is the parent's to decide: SIGINT, SIGTERM and SIGHUP sent to the whole
 * process group (Ctrl-C, a closed terminal, a CI runner cancelling the job) are ignored while
 * the parent is there, since the parent drains its run against this server first; once the
 * parent is gone (IPC 'disconnect': it exited, crashed or was killed) the server closes at once.
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

/** Sends to the parent; resolves either way: a failed send means the parent is gone, and no one is left to tell. */
const send = (msg: unknown): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(msg, () => resolve());
  });

/** Closes the IPC channel unless the parent already did (disconnecting twice throws ERR_IPC_DISCONNECTED). */
function leaveParent(): void {
  if (process.connected) process.disconnect();
}

/** Signals the parent also gets when they are sent to the process group. */
const GROUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

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

/**
 * Starts the server, reports to the parent and serves until the parent asks it to close or goes
 * away; resolves with the process' exit code once everything is closed (1: it could not start).
 */
export async function serveFromParent<T extends string, S extends ServedServer>(spec: ServerProcessSpec<T, S>): Promise<number> {
  let server: S;
  let caPem: string | null = null;
  try {
    const options = readOptions(spec);
    const material = options.transports.some((t) => spec.secure.includes(t)) ? await bundledTlsMaterial() : undefined;
    caPem = material?.ca ?? null;
    server = await spec.start(options.host, options.transports, material);
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    leaveParent();
    return 1;
  }

  const clientErrors: Record<string, number> = {};
  const count = (key: string): void => {
    clientErrors[key] = (clientErrors[key] ?? 0) + 1;
  };
  spec.onError(server, count);

  const closed = new Promise<number>((resolve) => {
    let closing = false;
    const close = async (): Promise<void> => {
      if (closing) return;
      closing = true;
      for (const signal of GROUP_SIGNALS) process.off(signal, onSignal);
      let code = 0;
      try {
        await server.close();
      } catch (err) {
        // Told to the parent with the client errors, so the run's result shows it.
        count(`closing the server: ${err instanceof Error ? err.message : String(err)}`);
        code = 1;
      }
      await send({ type: 'closed', clientErrors });
      leaveParent();
      resolve(code);
    };
    // While the parent is there it decides (see the top of this file); without one, a signal closes.
    const onSignal = (): void => {
      if (!process.connected) void close();
    };
    process.on('message', (msg: { type?: string } | null) => {
      if (msg?.type === 'close') void close();
    });
    // The parent went away without asking: do not linger.
    process.on('disconnect', () => void close());
    for (const signal of GROUP_SIGNALS) process.on(signal, onSignal);
    // A parent that left during start-up sent its 'disconnect' before anyone listened.
    if (!process.connected) void close();
  });

  await send({ type: 'listening', host: server.host, ports: server.ports, urls: server.urls, caPem });
  return closed;
}
