/**
 * Entry of the bundled WebSocket echo server's own process (forked by bundled-echo.ts), so
 * it never shares an event loop with the coordinator or a load worker.
 * Options arrive as JSON in MQBENCH_ECHO_OPTIONS ({ host, transports }); TLS material
 * comes from the shared certificate cache when wss is asked for.
 * Protocol over the IPC channel: -> { type: 'listening', host, ports, urls, caPem } or
 * { type: 'failed', message }, <- { type: 'close' }, -> { type: 'closed', clientErrors } then exit.
 */
import { ECHO_TRANSPORTS, startEchoServer, type EchoTransport } from './echo.js';
import { bundledTlsMaterial } from './tls-certs.js';

const send = (msg: unknown): Promise<void> =>
  new Promise((resolve) => {
    // A failed send means the parent is gone: there is no one left to tell.
    if (process.send === undefined) resolve();
    else process.send(msg, () => resolve());
  });

/** Reads and checks the options the parent passed; throws on anything unexpected. */
function readOptions(): { host: string; transports: EchoTransport[] } {
  const raw = JSON.parse(process.env['MQBENCH_ECHO_OPTIONS'] ?? '{}') as { host?: unknown; transports?: unknown };
  const host = typeof raw.host === 'string' ? raw.host : '127.0.0.1';
  const list = Array.isArray(raw.transports) ? (raw.transports as unknown[]) : ['ws'];
  const transports = ECHO_TRANSPORTS.filter((t) => list.includes(t));
  if (transports.length === 0 || transports.length !== new Set(list).size) throw new Error(`bad transports ${JSON.stringify(raw.transports)}; expected some of ${ECHO_TRANSPORTS.join(', ')}`);
  return { host, transports };
}

let server;
let caPem: string | null = null;
try {
  const options = readOptions();
  const material = options.transports.includes('wss') ? await bundledTlsMaterial() : undefined;
  caPem = material?.ca ?? null;
  server = await startEchoServer({
    host: options.host,
    listeners: Object.fromEntries(options.transports.map((t) => [t, 0])),
    ...(material !== undefined ? { tls: material } : {}),
  });
} catch (err) {
  await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
const running = server;

/** Errors by kind and message, e.g. 'slow-consumer: receiver terminated: ...'. */
const clientErrors: Record<string, number> = {};
running.onError((kind, err) => {
  const key = `${kind}: ${err.message}`;
  clientErrors[key] = (clientErrors[key] ?? 0) + 1;
});

let closing = false;
const close = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  await running.close();
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

await send({ type: 'listening', host: running.host, ports: running.ports, urls: running.urls, caPem });
