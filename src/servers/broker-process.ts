/**
 * Entry of the bundled broker's own process (forked by bundled.ts), so the broker never
 * shares an event loop with the coordinator or a load worker and its CPU is measured apart.
 * Protocol over the IPC channel: -> { type: 'listening', port }, <- { type: 'close' },
 * -> { type: 'closed', clientErrors } then exit.
 */
import { startBroker } from './broker.js';

const send = (msg: unknown): void => {
  if (process.send !== undefined) process.send(msg);
};

const host = process.env['MQBENCH_BROKER_HOST'] ?? '127.0.0.1';
const broker = await startBroker({ port: 0, host });
const clientErrors: Record<string, number> = {};
broker.onClientError((_id, err) => {
  clientErrors[err.message] = (clientErrors[err.message] ?? 0) + 1;
});

let closing = false;
const close = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  await broker.close();
  send({ type: 'closed', clientErrors });
  process.disconnect?.();
  process.exit(0);
};

process.on('message', (msg: { type?: string }) => {
  if (msg.type === 'close') void close();
});
// The parent went away without asking: do not linger.
process.on('disconnect', () => void close());
process.on('SIGTERM', () => void close());
// Ctrl-C reaches the whole process group; the parent decides when the broker stops.
process.on('SIGINT', () => undefined);

send({ type: 'listening', port: broker.port, host: broker.host });
