/**
 * One shard's side of a phase (--shard i/N): the common start (--start-at), the shard's own view
 * of delivery (what its publishers sent to its receivers), and the raw reports that `mqbench
 * merge` adds up with the other shards' into what one machine would have reported.
 */
import type { ShardSpec } from '../config/shard-flags.js';
import type { PhaseSpec } from '../plan/plan.js';
import type { ClientPlan } from '../plan/workers.js';
import type { PhaseContext } from '../metrics/aggregate.js';
import type { IntervalSnapshot, WorkerPhaseReport } from '../metrics/reports.js';
import type { ShardPhase } from '../metrics/shard-result.js';
import { plannedSeconds } from './phase-clock.js';

/** A shard that is ready later than this after the common start fails the phase: its load would not overlap the others'. */
export const LATE_START_LIMIT_MS = 2000;

/** How a sharded run is run: which shard, the common start, the plan's digest (all shards must share it). */
export interface ShardRun {
  spec: ShardSpec;
  clockSync: boolean;
  /** Offset from this process's clock to wall-clock microseconds (metrics/clock.ts wallClockOffsetUs). */
  wireEpochUs: number;
  /** --start-at: when the first phase's load begins, ms since the epoch; null: each phase starts when ready. */
  startAtMs: number | null;
  /** With --start-at: the time between one phase's planned end (drain included) and the next one's start. */
  phaseGapMs: number;
  digest: string;
}

/** When each phase's load begins under --start-at: the first at the start, each next one a phase's length plus the gap later. */
export function phaseStarts(phases: readonly PhaseSpec[], startAtMs: number, gapMs: number): number[] {
  const out: number[] = [];
  let at = startAtMs;
  for (const p of phases) {
    out.push(at);
    at += plannedSeconds(p) * 1000 + gapMs;
  }
  return out;
}

/**
 * Waits until `atMs` (wall clock) less `leadMs`, the start barrier the phase clock adds. A shard
 * ready after the start begins at once when within LATE_START_LIMIT_MS; later, it says so.
 */
export async function waitForStart(atMs: number, leadMs: number, signal: AbortSignal): Promise<{ late: string | null }> {
  const lateMs = Date.now() - atMs;
  if (lateMs > LATE_START_LIMIT_MS) {
    return {
      late: `this shard was ready ${(lateMs / 1000).toFixed(1)}s after the common start ${new Date(atMs).toISOString()} (limit ${LATE_START_LIMIT_MS / 1000}s): its load would not overlap the other shards'; give a later --start-at (connecting took longer) or a longer --phase-gap`,
    };
  }
  const waitMs = atMs - leadMs - Date.now();
  if (waitMs > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
  return { late: null };
}

/**
 * The shard's own view of its reports: its publishers' messages to its own receivers. A message
 * to a receiver of another shard is that shard's to count, and a delivery from another shard's
 * publisher has no send count here; both are settled by `mqbench merge` over every shard's raw
 * reports. Unsharded plans pass through unchanged.
 */
export function localView(reports: readonly WorkerPhaseReport[], planned: readonly ClientPlan[]): WorkerPhaseReport[] {
  const byPublisher = new Map(planned.filter((c) => c.publisherId > 0).map((c) => [c.publisherId, c]));
  return reports.map((r) => ({
    ...r,
    sent: r.sent.map((s) => {
      const c = byPublisher.get(s.publisher);
      return c === undefined ? s : { ...s, matching: c.localMatching, matchingByGroup: [...c.localMatchingByGroup] };
    }),
    delivery: r.delivery.filter((d) => byPublisher.has(d.publisher)),
  }));
}

/**
 * The phase as this shard runs it, for its own result: an open-model rate is the shard's share
 * (its clients' rates added), so the shard is not judged against the whole run's schedule.
 */
export function localSpec(spec: PhaseSpec, planned: readonly ClientPlan[]): PhaseSpec {
  if (spec.params.rate === null) return spec;
  const rate = Math.round(planned.reduce((a, c) => a + (c.ratePerSecond ?? 0), 0) * 1000) / 1000;
  // A shard with none of the phase's publishers offers no rate of its own.
  return { ...spec, params: { ...spec.params, rate: rate > 0 ? rate : null } };
}

/** The raw material of a shard's phase, kept in its result for `mqbench merge`. */
export function shardPhase(
  shard: number,
  spec: PhaseSpec,
  reports: readonly WorkerPhaseReport[],
  snapshots: readonly IntervalSnapshot[],
  ctx: PhaseContext,
  loadStartEpochMs: number | null,
  startErrorMs: number | null,
  crossShard: boolean,
): ShardPhase {
  return { shard, name: spec.name, spec, reports: [...reports], snapshots: [...snapshots], ctx, loadStartEpochMs, startErrorMs, crossShard };
}
