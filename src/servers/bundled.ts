/**
 * Starts the bundled broker in a child process on a free loopback port and stops it
 * with the run. Only the process started here is ever signalled, by its own pid.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface BundledBroker {
  url: string;
  host: string;
  port: number;
  pid: number;
  /** Stops the broker; resolves with the client errors it saw (message -> count). */
  stop(): Promise<Record<string, number>>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startBundledBroker(): Promise<BundledBroker> {
  const child = fork(new URL('./broker-process.js', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, MQBENCH_BROKER_HOST: '127.0.0.1' },
  });
  const { port, host } = await new Promise<{ port: number; host: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bundled broker did not start within ${START_TIMEOUT_MS}ms`));
    }, START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`the bundled broker could not be started: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bundled broker exited during start-up with code ${code}`));
    });
    child.on('message', (m: { type?: string; port?: number; host?: string }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ port: m.port, host: m.host ?? '127.0.0.1' });
      }
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the bundled broker has no process id');
  return { url: `mqtt://${host}:${port}`, host, port, pid, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    let errors: Record<string, number> = {};
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(errors);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.on('message', (m: { type?: string; clientErrors?: Record<string, number> }) => {
      if (m.type === 'closed' && m.clientErrors !== undefined) errors = m.clientErrors;
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(errors);
    });
    child.send({ type: 'close' });
  });
}
