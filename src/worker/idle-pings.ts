/**
 * Keepalive for the idle connect-only clients of a worker's phase (drivers/mqtt-idle.ts): one
 * timer pings every idle client each keepalive/2, spread over that interval in slices so 19,000
 * pings never leave in one burst. A client with unanswered pings is counted once, as a timeout.
 */
import type { GroupSpec } from '../config/model.js';
import type { Recorder } from '../metrics/recorder.js';
import type { OpenClient } from './clients.js';

const SLICES = 10;

export class IdlePings {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `open` is read at every slice and may grow (clients joining late are pinged from the next round). */
  constructor(
    private readonly groups: readonly GroupSpec[],
    private readonly open: ReadonlyArray<{ client: OpenClient }>,
    private readonly recorder: Recorder,
  ) {}

  /** Starts the pings unless they run already or no group has idle clients with a keepalive. */
  start(): void {
    const idleGroups = this.groups.filter((g) => g.role === 'connect-only' && g.keepaliveSeconds > 0);
    if (idleGroups.length === 0 || this.timer !== null || this.stopped) return;
    const periodMs = (Math.min(...idleGroups.map((g) => g.keepaliveSeconds)) * 1000) / 2;
    let slice = 0;
    const tick = (): void => {
      for (let i = slice; i < this.open.length; i += SLICES) {
        const ping = this.open[i]?.client.ping;
        if (ping != null && ping() === 3) this.recorder.error('timeout');
      }
      slice = (slice + 1) % SLICES;
      this.timer = setTimeout(tick, periodMs / SLICES);
    };
    this.timer = setTimeout(tick, periodMs / SLICES);
  }

  /** Stops them for good (start() does nothing after it). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
}
