/**
 * Starts the bundled broker in a child process on free loopback ports and stops it with
 * the run. Only the process started here is ever signalled, by its own pid. The fork and
 * stop plumbing is shared with the bundled echo server (bundled-echo.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { BrokerTransport } from './broker.js';

/** What a server child reports once its listeners are up. */
export interface ListeningReport<T extends string> {
  host: string;
  ports: Partial<Record<T, number>>;
  urls: Partial<Record<T, string>>;
  /** PEM of the CA clients must trust, when a TLS listener was started; else null. */
  caPem: string | null;
}

export interface BundledBroker extends ListeningReport<BrokerTransport> {
  /** The TCP URL, when tcp is among the transports. */
  url?: string;
  /** The TCP port, when tcp is among the transports. */
  port?: number;
  pid: number;
  /** Stops the broker; resolves with the client errors it saw (message -> count). */
  stop(): Promise<Record<string, number>>;
}

export interface BundledBrokerOptions {
  /** Listeners to start, each on a free loopback port. Default ['tcp']. */
  transports: BrokerTransport[];
  /** Client publishes handled per second, the rest queued (BrokerOptions.rateLimit); absent: no limit. */
  rateLimit?: number;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const HOST = '127.0.0.1';

export async function startBundledBroker(opts: BundledBrokerOptions = { transports: ['tcp'] }): Promise<BundledBroker> {
  const { child, report } = await forkServer<BrokerTransport>(new URL('./broker-process.js', import.meta.url), 'broker', {
    MQBENCH_BROKER_OPTIONS: JSON.stringify({ host: HOST, transports: opts.transports, ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}) }),
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the bundled broker has no process id');
  return {
    ...report,
    ...(report.urls.tcp !== undefined ? { url: report.urls.tcp } : {}),
    ...(report.ports.tcp !== undefined ? { port: report.ports.tcp } : {}),
    pid,
    stop: () => stopServer(child),
  };
}

/**
 * Forks a server entry (`name` is for messages), passes `env` on top of this process'
 * environment, and waits for its 'listening' report. A child that fails or exits during
 * start-up, or stays silent for 15 s, is a rejection (and is killed in the last case).
 */
export async function forkServer<T extends string>(entry: URL, name: string, env: Record<string, string>): Promise<{ child: ChildProcess; report: ListeningReport<T> }> {
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const report = await new Promise<ListeningReport<T>>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      child.removeListener('message', onMessage);
    };
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`the bundled ${name} did not start within ${START_TIMEOUT_MS}ms`));
    }, START_TIMEOUT_MS);
    const onError = (err: Error): void => {
      done();
      reject(new Error(`the bundled ${name} could not be started: ${err.message}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done();
      reject(new Error(`the bundled ${name} exited during start-up (${signal ?? `code ${code}`})`));
    };
    const onMessage = (m: { type?: string; message?: string } & Partial<ListeningReport<T>>): void => {
      if (m.type === 'failed') {
        done();
        reject(new Error(`the bundled ${name} could not start: ${m.message ?? 'no reason given'}`));
      } else if (m.type === 'listening' && m.ports !== undefined && m.urls !== undefined) {
        done();
        resolve({ host: m.host ?? HOST, ports: m.ports, urls: m.urls, caPem: m.caPem ?? null });
      }
    };
    child.on('error', onError);
    child.on('exit', onExit);
    child.on('message', onMessage);
  });
  return { child, report };
}

/**
 * Asks a server child to close, SIGKILLs it (by its pid) after 5 s, and resolves with the
 * client errors it reported (message -> count) once it has exited.
 */
export function stopServer(child: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    let errors: Record<string, number> = {};
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(errors);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.on('message', (m: { type?: string; clientErrors?: Record<string, number> }) => {
      if (m.type === 'closed' && m.clientErrors !== undefined) errors = { ...m.clientErrors, ...errors };
    });
    // A failed IPC send or kill is recorded with the errors rather than thrown: the stop still completes.
    child.on('error', (err) => {
      const key = `stopping the server process: ${err.message}`;
      errors = { ...errors, [key]: (errors[key] ?? 0) + 1 };
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(errors);
    });
    if (child.connected) child.send({ type: 'close' });
    else child.kill('SIGTERM');
  });
}
