/**
 * One MQTT client of a phase across all the connections it needs: when the target drops it,
 * the tool (not MQTT.js) reconnects with backoff on a fresh connection, and the owner
 * re-subscribes and resumes publishing in `onUp`. A fresh client per connection, because
 * `client.reconnect()` replaces MQTT.js' outgoing store and the callbacks of the messages in
 * flight on the dead connection never fire; the owner resolves those itself in `onDown`.
 *
 * Every real event is reported once: a drop of an established connection, each reconnect
 * attempt, each failed attempt, each success with the time there was no connection.
 */
import { classifyError, ConnectError, errorMessage, type ErrorKind } from '../drivers/errors.js';
import { nowMicros } from '../metrics/clock.js';

/** First reconnect attempt after a drop, milliseconds: a restarted broker is back within a fraction of a second. */
export const RECONNECT_FIRST_MS = 100;
/** The wait between attempts doubles up to this, milliseconds. */
export const RECONNECT_MAX_MS = 2000;
/** How long a graceful close (DISCONNECT) may take before the connection is cut, milliseconds. */
export const CLOSE_TIMEOUT_MS = 2000;

/** A connection as a driver hands it over: its client object, and what its CONNACK said. */
export interface Connected<C> {
  client: C;
  /** Connect through CONNACK, microseconds. */
  connectMicros: number;
  /** CONNACK's session present flag. */
  sessionPresent: boolean;
}

/** What the session does with a driver's connection object (MQTT.js' MqttClient, or the lean engine's connection). */
export interface ConnectionOps<C> {
  /** Calls `error` for the connection's errors (classified) and `close` once when it ends. */
  watch(c: C, error: (kind: ErrorKind) => void, close: () => void): void;
  /** Stops a connection that is dead or no longer wanted: its timers and its socket. */
  kill(c: C): void;
  /** DISCONNECT (no will) and close, without waiting. */
  disconnect(c: C): void;
  /** Close without DISCONNECT: the broker publishes the will. */
  cut(c: C): void;
  /** DISCONNECT and wait for the close, cut after `timeoutMs`. */
  end(c: C, timeoutMs: number): Promise<void>;
}


export interface SessionEvents {
  /** Connected again; `downSinceUs`: when the connection was lost (shared clock); `planned`: a scheduled comeback, not a reconnect. */
  reconnected(connectMicros: number, downSinceUs: number, planned: boolean): void;
  /** An established connection was closed by the target or the network; `errored`: its error was already reported (the drop is then not another error). */
  dropped(errored: boolean): void;
  /** A reconnect attempt begins. */
  attempt(): void;
  /** A reconnect attempt failed (refused, timed out, rejected, ...). */
  failed(kind: ErrorKind, message: string): void;
  /** The tool took a client away (planned absence, drop) while it was reconnecting: its outage ends here, unreconnected. */
  gaveUp(downSinceUs: number): void;
  /** An error on the live connection. */
  error(kind: ErrorKind): void;
}

/** up: connected; down: lost, reconnecting; away: taken away by the tool (offline, drop); closed: ended. */
type State = 'up' | 'down' | 'away' | 'closed';

export class MqttSession<C> {
  private state: State = 'up';
  private current: C;
  private downSinceUs = 0;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** Coming back from a planned absence: its attempts (and their retries) are not reconnects after a drop. */
  private comingBack = false;
  /** Every connection after the first: re-subscribe, resume the schedule. Errors are the owner's to count. */
  onUp: (c: Connected<C>, planned: boolean) => Promise<void> = () => Promise.resolve();
  /** The connection was lost or taken away: resolve what was in flight on it. */
  onDown: () => void = () => {};

  constructor(
    first: Connected<C>,
    /** Opens a new connection for the same client id and session (no connect-stage timings). */
    private readonly connect: () => Promise<Connected<C>>,
    private readonly events: SessionEvents,
    private readonly ops: ConnectionOps<C>,
  ) {
    this.current = first.client;
    this.watch(first.client);
  }

  get client(): C {
    return this.current;
  }

  get up(): boolean {
    return this.state === 'up';
  }

  /** When the connection was lost (shared clock, microseconds) while the tool is still reconnecting; null otherwise. */
  get downSince(): number | null {
    return this.state === 'down' ? this.downSinceUs : null;
  }

  private watch(client: C): void {
    // One error per connection: the first is the cause (reset, keepalive timeout, ...); what
    // follows on a dying socket (EPIPE on each pending write) is the same event.
    let errored = false;
    this.ops.watch(
      client,
      (kind) => {
        if (client !== this.current || this.state !== 'up' || errored) return;
        errored = true;
        this.events.error(kind);
      },
      () => {
        if (client !== this.current || this.state !== 'up') return;
        this.state = 'down';
        this.downSinceUs = nowMicros();
        this.events.dropped(errored);
        // First: the publisher writes off what was in flight, so a driver's own flush reports nothing twice.
        this.onDown();
        // Stops the driver's own timers (keepalive) of the dead connection.
        this.ops.kill(client);
        this.failures = 0;
        this.comingBack = false;
        this.retryIn(RECONNECT_FIRST_MS);
      },
    );
  }

  private retryIn(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reconnect();
    }, ms);
  }

  /**
   * One reconnect attempt. Called with `void`: a failed connect is counted and retried here, and
   * onUp catches its own subscribe failures; anything else that rejects is a bug, reported by
   * the worker's unhandledRejection handler as fatal (worker-main.ts), never dropped.
   */
  private async reconnect(): Promise<void> {
    if (this.state !== 'down') return;
    const planned = this.comingBack;
    if (!planned) this.events.attempt();
    let c: Connected<C>;
    try {
      c = await this.connect();
    } catch (err) {
      if (this.state !== 'down') return;
      this.events.failed(err instanceof ConnectError ? err.kind : classifyError(err), errorMessage(err));
      this.failures++;
      this.retryIn(Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** this.failures));
      return;
    }
    if (this.state !== 'down') {
      // Ended or taken away while the attempt was under way.
      this.ops.kill(c.client);
      return;
    }
    this.current = c.client;
    this.state = 'up';
    this.comingBack = false;
    this.watch(c.client);
    this.events.reconnected(c.connectMicros, this.downSinceUs, planned);
    this.downSinceUs = 0;
    await this.onUp(c, planned);
  }

  /**
   * The tool takes the client away (offline, drop). Returns whether it had a connection; one
   * that was reconnecting after a drop ends its outage here (gaveUp), not at a later comeback.
   */
  private takeAway(): boolean {
    this.stopRetrying();
    const was = this.state;
    this.state = 'away';
    if (was === 'down' && !this.comingBack) this.events.gaveUp(this.downSinceUs);
    this.comingBack = false;
    if (was === 'up') this.onDown();
    return was === 'up';
  }

  /** Disconnects gracefully (DISCONNECT: no will) and stays away until `comeBack`; returns whether it was connected. */
  goOffline(): boolean {
    const wasUp = this.takeAway();
    if (wasUp) this.ops.disconnect(this.current);
    return wasUp;
  }

  /** Back from a planned absence, with the same client id and session; a failure is retried with backoff, still as the comeback. */
  comeBack(): void {
    if (this.state !== 'away') return;
    this.state = 'down';
    this.comingBack = true;
    this.failures = 0;
    this.downSinceUs = nowMicros();
    void this.reconnect();
  }

  /** Goes away without DISCONNECT, for good (the broker publishes the will); returns whether it was connected. */
  drop(): boolean {
    const wasUp = this.takeAway();
    if (wasUp) this.ops.cut(this.current);
    return wasUp;
  }

  /** Ends the client: DISCONNECT on a live connection, nothing more on a lost one. */
  async end(): Promise<void> {
    this.stopRetrying();
    const was = this.state;
    this.state = 'closed';
    if (was === 'up') await this.ops.end(this.current, CLOSE_TIMEOUT_MS);
    else this.ops.kill(this.current);
  }

  private stopRetrying(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
