/**
 * One second of a phase's load as the coordinator collected it from every worker, for what
 * follows a run while it runs (--metrics-listen, --timeline): the phase, the second's timeline
 * point (merged exactly as the result's timeline is) and the workers' raw snapshots.
 */
import type { PhaseSpec } from '../plan/plan.js';
import { mergeTimeline } from './aggregate.js';
import type { IntervalSnapshot } from './reports.js';
import type { TimelinePoint } from './result.js';

export interface PhaseSecond {
  spec: PhaseSpec;
  /** The point the result's timeline will hold for this second. */
  point: TimelinePoint;
  /** Every worker's snapshot of this second. */
  snapshots: readonly IntervalSnapshot[];
}

/** A phase's second with the run it belongs to. */
export interface LiveSecond extends PhaseSecond {
  runId: string;
}

/** The second the workers' snapshots (all of one `t`) describe; null for no snapshot. */
export function phaseSecond(spec: PhaseSpec, snapshots: readonly IntervalSnapshot[]): PhaseSecond | null {
  const point = mergeTimeline(snapshots, spec.rampMs / 1000, spec.warmupMs / 1000, spec.durationMs / 1000)[0];
  return point === undefined ? null : { spec, point, snapshots };
}

/** The phase's hook as the snapshot collector calls it: with each second's snapshots. */
export function secondsOf(spec: PhaseSpec, hook: (s: PhaseSecond) => void): (snapshots: readonly IntervalSnapshot[]) => void {
  return (snapshots) => {
    const s = phaseSecond(spec, snapshots);
    if (s !== null) hook(s);
  };
}
