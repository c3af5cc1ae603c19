/**
 * Once per second of a phase's load: every worker's interval snapshot collected (the timeline),
 * the progress line fed, and with --abort-on-fail the live gates asked whether the phase can
 * still pass; the first reason they give stops the phase (through `gate`).
 */
import { nowMicros } from '../metrics/clock.js';
import { encodeCounts, mergeEncoded } from '../metrics/histogram.js';
import type { IntervalSnapshot, Progress, WorkerInterval } from '../metrics/reports.js';
import type { Stage } from './phase-clock.js';
import { REPLY_TIMEOUT_MS, type WorkerHandle } from './worker-pool.js';

export type LiveGate = (steadyMax: IntervalSnapshot['steadyMax']) => string | null;

export class SnapshotCollector {
  readonly snapshots: IntervalSnapshot[] = [];
  /** Aborted when a live gate can no longer pass. */
  readonly gate = new AbortController();
  /** Seconds collected so far: the `t` of the last snapshots. */
  private seconds = 0;
  private failed: string | null = null;

  constructor(
    private readonly workers: readonly WorkerHandle[],
    private readonly phase: string,
    private readonly liveGate: LiveGate | undefined,
    private readonly onProgress: ((p: Progress) => void) | undefined,
    /** Each second's snapshots of every worker, as soon as they are in (--metrics-listen, --timeline). */
    private readonly onSecond?: (snapshots: readonly IntervalSnapshot[]) => void,
  ) {}

  /** The `t` of the last snapshots taken (0: none yet). */
  get t(): number {
    return this.seconds;
  }

  /** The reason the live gate gave for stopping the phase; null while it gave none. */
  get gateReason(): string | null {
    return this.failed;
  }

  /** Takes the next second's snapshots, in `stage` (begun at `stageStartUs`, `stageSeconds` long). */
  async tick(stage: Stage, stageStartUs: number, stageSeconds: number): Promise<void> {
    const t = ++this.seconds;
    const snaps = await Promise.all(this.workers.map((w) => w.request({ type: 'tick', t }, 'snapshot', REPLY_TIMEOUT_MS)));
    const group = snaps.map((s) => intervalFromWorker(s.snapshot));
    this.snapshots.push(...group);
    this.onSecond?.(group);
    if (this.liveGate !== undefined && this.failed === null) {
      const most = (k: keyof IntervalSnapshot['steadyMax']): number => group.reduce((a, x) => Math.max(a, x.steadyMax[k]), 0);
      this.failed = this.liveGate({ e2e: most('e2e'), e2eUncorrected: most('e2eUncorrected'), ack: most('ack') });
      if (this.failed !== null) this.gate.abort();
    }
    if (this.onProgress !== undefined) this.progress(group, stage, stageStartUs, stageSeconds);
  }

  private progress(group: readonly IntervalSnapshot[], stage: Stage, stageStartUs: number, stageSeconds: number): void {
    const sent = group.reduce((a, s) => a + s.sent, 0);
    const received = group.reduce((a, s) => a + s.received, 0);
    const h = mergeEncoded(group.map((s) => s.e2e));
    this.onProgress?.({
      phase: this.phase,
      stage,
      elapsed: Math.max(0, (nowMicros() - stageStartUs) / 1e6),
      length: stageSeconds,
      sentPerSecond: sent,
      receivedPerSecond: received,
      p99: h.totalCount === 0 ? 0 : h.getValueAtPercentile(99),
      lost: group.reduce((a, s) => a + s.missing, 0),
      errors: group.reduce((a, s) => a + Object.values(s.errors).reduce((x, n) => x + n, 0), 0),
    });
  }
}

/** A worker's interval with its histograms encoded here, on the main thread (WorkerInterval). */
export function intervalFromWorker(w: WorkerInterval): IntervalSnapshot {
  return { ...w, e2e: encodeCounts(w.e2e), ack: encodeCounts(w.ack) };
}
