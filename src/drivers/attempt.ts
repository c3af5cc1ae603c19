/**
 * A connect attempt that ends once: with success, with its first failure, or when its time is
 * up; whatever happens after that is the connection's life, not the attempt's. One place for
 * the pattern every connect follows: lean MQTT, MQTT.js, idle MQTT and plain WebSocket.
 */
import { ConnectError } from './errors.js';

export interface Attempt<T> {
  /** True once the attempt has ended either way. */
  readonly settled: boolean;
  succeed(value: T): void;
  /** Ends the attempt with `err`, after `cleanup` (close the socket); later calls do nothing. */
  fail(err: ConnectError): void;
}

/**
 * Starts the clock of an attempt: after `timeoutMs` it fails with `ConnectError('timeout', timeoutMessage)`.
 * `cleanup` runs once on a failure (before `reject`).
 */
export function attempt<T>(timeoutMs: number, timeoutMessage: string, cleanup: () => void, resolve: (v: T) => void, reject: (e: ConnectError) => void): Attempt<T> {
  let settled = false;
  const timer = setTimeout(() => a.fail(new ConnectError('timeout', timeoutMessage)), timeoutMs);
  const a: Attempt<T> = {
    get settled() {
      return settled;
    },
    succeed(value) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    },
    fail(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      reject(err);
    },
  };
  return a;
}
