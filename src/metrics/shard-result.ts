/**
 * The `shard` section of a result (--shard i/N, and `mqbench merge`): which shards of which plan
 * the document holds, and per shard and phase the raw reports (the workers' final reports and
 * per-second snapshots, as the coordinator received them) from which `merge` makes exactly the
 * result one machine running every shard's workers would have made.
 */
import type { PhaseContext } from './status.js';
import type { IntervalSnapshot, WorkerPhaseReport } from './reports.js';
import type { PhaseSpec } from '../plan/plan.js';

export interface ShardPhase {
  /** The shard (1-based) that ran it. */
  shard: number;
  name: string;
  /** The phase as planned (every shard plans the whole phase the same way; the digest checks it). */
  spec: PhaseSpec;
  reports: WorkerPhaseReport[];
  snapshots: IntervalSnapshot[];
  ctx: PhaseContext;
  /** When the load began, wall clock, ms since the epoch; null when it never began. Timelines of shards are aligned by it. */
  loadStartEpochMs: number | null;
  /** With --start-at: how much later than the common start the load began, ms. */
  startErrorMs: number | null;
  /** Messages of this phase cross shards: the shard's own delivery figures count only its publishers' messages to its receivers. */
  crossShard: boolean;
}

export interface ShardHost {
  shard: number;
  hostname: string;
  workers: number;
  /** The run's status on this shard. */
  status: string;
}

export interface ShardSection {
  count: number;
  /** The shards this document holds: one for a shard's own result, all of them after `merge`. */
  indexes: number[];
  /** sha256 of the planned phases and the worker count: equal in every shard of one run. */
  digest: string;
  /** --clock-sync: the machines' clocks were taken as synchronised, so deliveries across shards were timed. */
  clockSync: boolean;
  /** --start-at as given (ISO 8601), or null. */
  startAt: string | null;
  hosts: ShardHost[];
  phases: ShardPhase[];
  /**
   * A shard's own result: phases in which messages cross shards; their delivery figures count only
   * this shard's publishers to this shard's receivers, and `mqbench merge` settles the rest.
   */
  crossShardPhases: string[];
}
