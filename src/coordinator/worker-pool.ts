/**
 * Long-lived load workers (node:worker_threads, one per core by default) and typed
 * request/reply over their message ports. A worker that crashes or reports a fatal error
 * fails every pending request, so the run stops with the cause instead of hanging.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../worker/protocol.js';
import { newSpinLedger } from '../worker/spin-ledger.js';

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

interface Waiter {
  type: FromWorker['type'];
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WorkerFailure extends Error {}

/** Worker replies other than connect and finish must come within this, milliseconds. */
export const REPLY_TIMEOUT_MS = 10_000;

/** A worker asked to shut down is terminated after this long, milliseconds. */
const SHUTDOWN_GRACE_MS = 3000;

/** One ledger for the wake threads of every worker of this process: together they spin at most 10% of a core. */
const spinLedger = newSpinLedger();

export class WorkerHandle {
  private readonly worker: Worker;
  private readonly waiters: Waiter[] = [];
  private readonly inbox: FromWorker[] = [];
  private failure: Error | null = null;
  private exiting = false;
  private readonly exited: Promise<void>;

  constructor(readonly index: number) {
    this.worker = new Worker(new URL('../worker/worker-main.js', import.meta.url), { workerData: { workerIndex: index, spinLedger } });
    this.worker.on('message', (m: FromWorker) => this.deliver(m));
    this.worker.on('error', (err) => this.fail(new WorkerFailure(`worker ${index} crashed: ${err.message}`)));
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        if (!this.exiting) this.fail(new WorkerFailure(`worker ${index} exited unexpectedly with code ${code}`));
        resolve();
      });
    });
  }

  post(msg: ToWorker): void {
    if (this.failure !== null) throw this.failure;
    this.worker.postMessage(msg);
  }

  /** Sends `msg` and waits for the next reply of `type`; see next() for `signal`. */
  request<T extends FromWorker['type']>(msg: ToWorker, type: T, timeoutMs: number, signal?: AbortSignal): Promise<Reply<T>> {
    this.post(msg);
    return this.next(type, timeoutMs, signal);
  }

  /**
   * Waits for the next reply of `type`. `signal` abandons the wait: it rejects with the signal's
   * reason and leaves no timer behind (a reply that still comes is queued, unread).
   */
  next<T extends FromWorker['type']>(type: T, timeoutMs: number, signal?: AbortSignal): Promise<Reply<T>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const queued = this.inbox.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0] as Reply<T>);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        clearTimeout(waiter.timer);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(m as Reply<T>);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.reject(new WorkerFailure(`worker ${this.index} did not answer '${type}' within ${timeoutMs}ms`));
        }, timeoutMs),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private deliver(m: FromWorker): void {
    if (m.type === 'fatal') {
      this.fail(new WorkerFailure(`worker ${m.workerIndex} failed: ${m.message}`));
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i < 0) {
      this.inbox.push(m);
      return;
    }
    const [w] = this.waiters.splice(i, 1);
    if (w === undefined) return;
    clearTimeout(w.timer);
    w.resolve(m);
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  get failed(): Error | null {
    return this.failure;
  }

  /** graceMs: how long a worker may take to exit by itself before it is terminated (default 3 s). */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.exiting = true;
    if (this.failure === null) this.worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
    // A worker stuck in a phase (or failed) is terminated after a grace period.
    const timer = setTimeout(() => void this.worker.terminate(), this.failure === null ? graceMs : 0);
    await this.exited;
    clearTimeout(timer);
  }
}

export function spawnWorkers(count: number): WorkerHandle[] {
  return Array.from({ length: count }, (_, i) => new WorkerHandle(i));
}
