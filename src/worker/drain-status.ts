/**
 * What the coordinator's drain asks a worker: acknowledgements outstanding, and deliveries
 * expected of and made by this process's receivers. --shard: only what this process can see
 * (its publishers' messages to its receivers); deliveries from other shards' publishers are
 * `remoteUnique`, which the drain watches until they stop coming.
 */
import type { ClientPlan, WorkerPlan } from '../plan/workers.js';
import type { OpenClient } from './clients.js';

export interface DrainStatus {
  outstandingAcks: number;
  expected: number;
  unique: number;
  remoteUnique: number;
}

export function drainStatus(open: ReadonlyArray<{ plan: ClientPlan; client: OpenClient }>, remote: Uint8Array | null): DrainStatus {
  let outstandingAcks = 0;
  let expected = 0;
  let unique = 0;
  let remoteUnique = 0;
  for (const { plan, client } of open) {
    const p = client.publisher;
    if (p !== null) {
      outstandingAcks += p.outstanding;
      expected += p.seq * plan.localMatching;
    }
    const s = client.subscriber;
    if (s !== null) {
      for (const [publisher, t] of s.trackers) {
        if (remote !== null && remote[publisher] === 1) remoteUnique += t.unique;
        else unique += t.unique;
      }
      // A late joiner's skipped messages are expected by the publisher's count but never come.
      for (const b of s.baselines.values()) unique += b;
    }
  }
  return { outstandingAcks, expected, unique, remoteUnique };
}

/** 1 for each publisher id of another shard (plan.shard), in an array indexed by publisher id; null unsharded. */
export function remoteIds(plan: WorkerPlan, slots: number): Uint8Array | null {
  if (plan.shard === null) return null;
  const out = new Uint8Array(slots);
  for (const id of plan.shard.remotePublishers) if (id < slots) out[id] = 1;
  return out;
}
