/**
 * `--shard i/N`: one of N processes (N machines) that together run exactly the unsharded plan.
 * The whole phase is planned as one machine would run it (client ids, publisher ids, topics,
 * per-client rates, connect and join times, the receivers expected of every message), then each
 * shard keeps the clients whose index in their group falls to it: client n of every group goes to
 * shard ((n - 1) mod N) + 1. Groups of the same size that pair up by {n} (a device and its
 * backend) stay together, so their latency is measured on one clock; a receiver that gets
 * messages from another shard's publishers (fan-in, fan-out) counts them exactly, and times them
 * only with --clock-sync. Pure: no I/O.
 */
import { publishes } from '../config/model.js';
import type { ShardSpec } from '../config/shard-flags.js';
import type { PhaseSpec } from './plan.js';
import { planWorkers, type ClientPlan, type WorkerPlan } from './workers.js';

/** Whether the shard runs this client: client n of every group goes to shard ((n - 1) mod N) + 1. */
export function ownsClient(shard: ShardSpec, c: Pick<ClientPlan, 'n'>): boolean {
  return (c.n - 1) % shard.count === shard.index - 1;
}

/** The shard's part of a phase, dealt over its workers, each worker told which publishers are elsewhere. */
export function shardWorkers(phase: PhaseSpec, workers: number, sources: readonly string[], shard: ShardSpec, clockSync: boolean, wireEpochUs: number): WorkerPlan[] {
  const plans = planWorkers(phase, workers, sources, (c) => ownsClient(shard, c));
  const local = new Set(plans.flatMap((p) => p.clients.map((c) => c.publisherId)).filter((id) => id > 0));
  const remotePublishers: number[] = [];
  for (let id = 1; id <= publisherCount(phase); id++) if (!local.has(id)) remotePublishers.push(id);
  return plans.map((p) => ({ ...p, shard: { remotePublishers, clockSync, wireEpochUs } }));
}

/** Publisher ids run from 1 over the publishing groups' clients (plan/workers.ts). */
export function publisherCount(phase: PhaseSpec): number {
  return phase.groups.filter((g) => publishes(g.role)).reduce((a, g) => a + g.clients, 0);
}

/**
 * Whether messages cross shards in this phase: some publisher has receivers in another shard.
 * Such a phase's delivery can only be settled by `mqbench merge`, and each shard's drain also
 * waits for deliveries from the others to stop coming.
 */
export function crossesShards(phase: PhaseSpec, count: number): boolean {
  if (count <= 1) return false;
  for (let index = 1; index <= count; index++) {
    const clients = planWorkers(phase, 1, [], (c) => ownsClient({ index, count }, c)).flatMap((p) => p.clients);
    if (clients.some((c) => c.publisherId > 0 && c.localMatching < c.matching)) return true;
  }
  return false;
}

/**
 * What cannot be sharded, as messages: a receiver that joins during the load expects only what
 * its publishers sent after it subscribed, and a publisher's count in another process cannot be
 * read at that moment.
 */
export function shardProblems(phase: PhaseSpec, count: number): string[] {
  if (count <= 1) return [];
  const out = new Set<string>();
  const all = planWorkers(phase, 1, []).flatMap((p) => p.clients);
  for (let index = 1; index <= count; index++) {
    const shard = { index, count };
    const localIds = new Set(all.filter((c) => ownsClient(shard, c) && c.publisherId > 0).map((c) => c.publisherId));
    for (const c of all) {
      if (!ownsClient(shard, c) || c.lateFrom.every((f) => localIds.has(f.publisher))) continue;
      const g = phase.groups[c.group];
      out.add(
        `phase ${phase.name}: group ${g?.name ?? c.group} joins during the load and receives from publishers of other shards; what they sent before it subscribed cannot be known across processes: give the group startMs 0 and no client stages, or run the phase unsharded`,
      );
    }
  }
  return [...out];
}
