/**
 * What the callers of a lean connection wait for, by packet id: SUBACKs, and the acknowledgement
 * of the rare publishAcked() message (clearing a retained value). Promises only here, never on
 * the per-message path (which reports through onAcked).
 */
import { ConnectError } from '../errors.js';

export class Replies {
  private readonly subacks = new Map<number, (granted: number[] | null) => void>();
  private readonly acks = new Map<number, () => void>();

  /**
   * The granted QoS list of SUBSCRIBE `id` (of `filters`), or a ConnectError: no SUBACK within
   * `timeoutMs` (then `release` frees the id), or the connection closed first.
   */
  suback(id: number, filters: ReadonlyArray<{ filter: string }>, timeoutMs: number, release: () => void): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.subacks.delete(id);
        release();
        reject(new ConnectError('timeout', `no SUBACK for '${filters.map((f) => f.filter).join("', '")}' within ${timeoutMs}ms (the broker accepted the connection but did not answer the SUBSCRIBE)`));
      }, timeoutMs);
      this.subacks.set(id, (granted) => {
        clearTimeout(timer);
        if (granted === null) reject(new ConnectError('closed', 'the connection closed before the SUBACK'));
        else resolve(granted);
      });
    });
  }

  /** The SUBACK of `id` came: its waiter, taken (undefined when none waits). */
  takeSuback(id: number): ((granted: number[]) => void) | undefined {
    const done = this.subacks.get(id);
    if (done !== undefined) this.subacks.delete(id);
    return done;
  }

  /** Resolves when the message of packet id `id` is acknowledged, or when the connection closes. */
  ack(id: number): Promise<void> {
    return new Promise((resolve) => this.acks.set(id, resolve));
  }

  acked(id: number): void {
    const resolve = this.acks.get(id);
    this.acks.delete(id);
    resolve?.();
  }

  /** The connection closed: SUBACKs still awaited fail, acknowledgements still awaited resolve. */
  closed(): void {
    for (const fail of this.subacks.values()) fail(null);
    this.subacks.clear();
    for (const resolve of this.acks.values()) resolve();
    this.acks.clear();
  }
}
