/**
 * The drain after publishing stops: the workers are asked for what is still outstanding until
 * every acknowledgement and every expected delivery arrived, or the grace period is over.
 */
import { REPLY_TIMEOUT_MS, type WorkerHandle } from './worker-pool.js';

/** How often the drain asks workers for progress, milliseconds. */
const DRAIN_POLL_MS = 100;
/** QoS 0 has no acknowledgement: the drain ends after this long without a new delivery, milliseconds. */
const QOS0_QUIET_MS = 1000;

/** --shard, messages across shards: after this process's own deliveries are in, those from other shards are awaited until none came for this long, milliseconds. */
const CROSS_SHARD_QUIET_MS = 500;

/**
 * Waits for in-flight messages: done (true) when nothing is unacknowledged and every expected
 * delivery arrived; at QoS 0 also (false) when deliveries stopped coming; at the latest (false)
 * after `graceMs`. `onPoll` runs after each wait between two polls. `crossShard`: the other
 * shards' deliveries to this one cannot be counted here, so "done" also waits until they stop.
 */
export async function drain(workers: readonly WorkerHandle[], qos: 0 | 1 | 2 | null, graceMs: number, onPoll: () => Promise<void>, crossShard = false): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  let lastUnique = -1;
  let quietSince = Date.now();
  for (;;) {
    const statuses = await Promise.all(workers.map((w) => w.request({ type: 'status' }, 'status', REPLY_TIMEOUT_MS)));
    const outstanding = statuses.reduce((a, s) => a + s.outstandingAcks, 0);
    const expected = statuses.reduce((a, s) => a + s.expected, 0);
    const unique = statuses.reduce((a, s) => a + s.unique + s.remoteUnique, 0);
    const own = statuses.reduce((a, s) => a + s.unique, 0);
    if (outstanding === 0 && own >= expected && (!crossShard || (unique === lastUnique && Date.now() - quietSince >= CROSS_SHARD_QUIET_MS))) return true;
    if (unique !== lastUnique) {
      lastUnique = unique;
      quietSince = Date.now();
    } else if (qos === 0 && outstanding === 0 && Date.now() - quietSince >= QOS0_QUIET_MS) {
      return false;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    await onPoll();
  }
}
