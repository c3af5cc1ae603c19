/**
 * The connections of one worker's part of a phase, counted in one place: connects and their
 * failures, drops, reconnect attempts, reconnects and the outages they end (in the recorder and
 * per group), and the two gauges, clients with a connection and clients the target dropped that
 * have none. The only owner of those gauges. Once the phase closes (finish), nothing more is
 * counted: what closing the clients does is the tool's doing, not the target's.
 */
import type { ErrorKind } from '../drivers/errors.js';
import { nowMicros } from '../metrics/clock.js';
import type { Recorder } from '../metrics/recorder.js';
import type { GroupStats } from './group-stats.js';
import type { SessionEvents } from './mqtt-session.js';

export class ConnectionLedger {
  private live = 0;
  private lost = 0;
  /** When each dropped idle or WebSocket client lost its connection (shared clock, us): they are not reconnected. */
  private readonly neverBack: number[] = [];
  private closed = false;

  constructor(private readonly recorder: Recorder) {}

  /** Clients with a connection now. */
  get connections(): number {
    return this.live;
  }

  /** Clients without a connection because the target dropped them (reconnecting, or idle and WebSocket ones, which stay down). */
  get down(): number {
    return this.lost;
  }

  /** True once the phase is closing its clients. */
  get closing(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
  }

  /** An established connection (first CONNACK or WebSocket open), after `micros`. */
  connected(stats: GroupStats, micros: number): void {
    this.recorder.connects++;
    this.recorder.connect.recordValue(Math.max(1, micros));
    stats.connects++;
    stats.connect.recordValue(Math.max(1, micros));
    this.live++;
  }

  /** A client's first connect failed; `late`: a client joining during the load. */
  connectFailed(stats: GroupStats, kind: ErrorKind, late: boolean): void {
    this.recorder.connectFailures++;
    stats.connectFailures++;
    if (late) this.recorder.joinFailures++;
    this.recorder.error(kind);
  }

  /** The tool took a connection away (offline, drop): one connection less, no drop counted. */
  takenAway(): void {
    this.live--;
  }

  /**
   * An established connection the target closed: counted once, whatever follows (reconnect
   * attempts are counted apart). A drop is also a 'closed' error unless the connection already
   * reported its cause (reset, timeout, ...).
   */
  dropped(stats: GroupStats, errored = false): void {
    if (this.closed) return;
    this.live--;
    this.lost++;
    this.recorder.disconnects++;
    stats.disconnects++;
    if (!errored) this.recorder.error('closed');
  }

  /** An idle or WebSocket client's connection the target closed: it stays down (the drop is the finding). */
  droppedForGood(stats: GroupStats, errored: boolean): void {
    if (this.closed) return;
    this.dropped(stats, errored);
    this.neverBack.push(nowMicros());
  }

  /** MQTT clients: drops, reconnect attempts and their failures, reconnects and the outage each ended, counted once per event. */
  sessionEvents(stats: GroupStats): SessionEvents {
    const r = this.recorder;
    return {
      dropped: (errored) => this.dropped(stats, errored),
      attempt: () => {
        if (!this.closed) r.reconnectAttempts++;
      },
      failed: (kind) => {
        if (this.closed) return;
        r.connectFailures++;
        stats.connectFailures++;
        r.error(kind);
      },
      reconnected: (_micros, downSinceUs, planned) => {
        if (this.closed) return;
        this.live++;
        if (planned) return;
        this.lost--;
        r.reconnects++;
        stats.reconnects++;
        r.outage(downSinceUs, nowMicros());
      },
      gaveUp: (downSinceUs) => {
        if (this.closed) return;
        this.lost--;
        r.outage(downSinceUs, nowMicros());
      },
      error: (kind) => r.error(kind),
    };
  }

  /** The phase ends at `endUs`: outages still under way end here (clients never back, and sessions down since the times given). */
  endOutages(endUs: number, downSince: Iterable<number | null>): void {
    for (const t of this.neverBack) this.recorder.outage(t, endUs);
    for (const since of downSince) if (since !== null) this.recorder.outage(since, endUs);
  }
}
