/**
 * Pure planning, part two: a phase's clients dealt over the workers, with their ids, rendered
 * topics and filters, rate shares, connect times, and for every publisher (and every will) the
 * receivers expected to get each of its messages, per group. Receivers are indexed once, so a
 * point-to-point phase of N pairs costs O(N), not O(N²).
 */
import { publishes, receives, type GroupRole, type GroupSpec } from '../config/model.js';
import { filterForTemplate, rampJoinMs, renderTopic, type PhaseSpec } from './plan.js';
import { topicMatches } from './topic-match.js';

export interface ClientPlan {
  /** Index of the client's group in the phase's groups. */
  group: number;
  /** 1-based index in its group: {n}. */
  n: number;
  clientId: string;
  /** Unique in the phase from 1, carried in every payload header; 0: the client does not publish. */
  publisherId: number;
  /** Rendered publish topic; '' when the client does not publish. */
  topic: string;
  /** Rendered subscription filters (an MQTT echo client: its own topic). */
  filters: string[];
  /** Open model: this client's messages per second; null in the closed model. */
  ratePerSecond: number | null;
  /** Open model: offset of the first send, microseconds, so a group's clients interleave. */
  startOffsetUs: number;
  /** Receivers expected to get each of this client's messages: all of them, and per group index. */
  matching: number;
  matchingByGroup: number[];
  /** Of `matching`, the receivers in this shard (--shard): the deliveries this process can see and wait for; `matching` unsharded. */
  localMatching: number;
  localMatchingByGroup: number[];
  /**
   * Closed model: the receivers there from the start, whose deliveries free a window slot (a late
   * joiner is not waited for before it exists).
   */
  windowMatching: number;
  /** Unique in the phase from 1 for clients with a will; 0: none. */
  willId: number;
  willTopic: string;
  willMatchingByGroup: number[];
  /** Before the start: when to connect, ms after the phase's connect began. */
  connectAtMs: number;
  /** After the start: when to join, ms after the load began; 0 for clients connected before the start. */
  joinAtMs: number;
  /**
   * A receiver that joins late: the publishers it matches, and whether their group retains (its
   * last value is then still expected). What they sent before it subscribed is not expected of it.
   */
  lateFrom: Array<{ publisher: number; retained: boolean }>;
}

export interface WorkerPlan {
  workerIndex: number;
  clients: ClientPlan[];
  /** Source addresses for this worker's connections, used in turn; empty: the OS picks. */
  localAddresses: string[];
  /** --shard: the publishers of other shards and whether their latency is measured; null unsharded. */
  shard: WorkerShard | null;
}

export interface WorkerShard {
  /** Publisher ids of the phase that run in other shards (other processes, other machines). */
  remotePublishers: number[];
  /** --clock-sync: the machines' clocks are synchronised, so a remote publisher's send time can be subtracted from ours. */
  clockSync: boolean;
  /** The offset that makes the payload's send times wall-clock microseconds (metrics/clock.ts), the same in every thread of this process. */
  wireEpochUs: number;
}

/** Connect order: receivers before the senders they measure, idle clients last. */
const ROLE_ORDER: Record<GroupRole, number> = { subscribe: 0, both: 1, echo: 2, publish: 3, 'connect-only': 4 };

/**
 * Deals the phase's clients round-robin over `workers` in connect order, so a publisher and
 * its subscriber land on different workers and both cores work. `owns` (--shard, plan/shard.ts):
 * the whole phase is planned as one machine would run it (ids, topics, expected receivers), then
 * only this shard's clients are dealt, and the closed-model window and the drain count only the
 * receivers this process can see.
 */
export function planWorkers(phase: PhaseSpec, workers: number, localAddresses: readonly string[] = [], owns: ((c: ClientPlan) => boolean) | null = null): WorkerPlan[] {
  const { groups, tag } = phase;
  const plans: WorkerPlan[] = Array.from({ length: workers }, (_, workerIndex) => ({ workerIndex, clients: [], localAddresses: [...localAddresses], shard: null }));
  const order = groups.map((g, i) => ({ g, i })).sort((a, b) => ROLE_ORDER[a.g.role] - ROLE_ORDER[b.g.role] || a.i - b.i);
  const all: Array<{ plan: ClientPlan; worker: number }> = [];
  let dealt = 0;
  let connectOffsetMs = 0;
  let publisherId = 0;
  let willId = 0;
  for (const { g, i: groupIndex } of order) {
    const rate = g.connectRate ?? phase.connectRate;
    const perClientRate = g.rate === null ? null : g.rate / g.clients;
    const intervalUs = perClientRate === null ? 0 : 1_000_000 / perClientRate;
    for (let k = 0; k < g.clients; k++) {
      const worker = dealt++ % workers;
      const n = k + 1;
      const clientId = `mqb-${tag}-${g.name}-${n}`;
      const vars = { client: clientId, n, worker, run: tag, group: g.name };
      const sends = publishes(g.role);
      const topic = sends ? renderTopic(g.topic, vars) : '';
      const pacedMs = (k * 1000) / rate;
      const joinAtMs = Math.max(g.startMs > 0 ? g.startMs + pacedMs : 0, rampJoinMs(phase.stages, k, g.clients));
      all.push({
        worker,
        plan: {
          group: groupIndex,
          n,
          clientId,
          publisherId: sends ? ++publisherId : 0,
          topic,
          filters: g.protocol === 'ws' ? [] : g.role === 'echo' ? [topic] : receives(g.role) ? subscriptionFilters(g, groups, vars) : [],
          ratePerSecond: perClientRate,
          startOffsetUs: Math.floor((intervalUs * k) / g.clients),
          matching: 0,
          matchingByGroup: [],
          localMatching: 0,
          localMatchingByGroup: [],
          windowMatching: 0,
          willId: g.will !== null && g.protocol === 'mqtt' ? ++willId : 0,
          willTopic: g.will !== null ? renderTopic(g.will.topic, vars) : '',
          willMatchingByGroup: [],
          connectAtMs: joinAtMs > 0 ? 0 : connectOffsetMs + pacedMs,
          joinAtMs,
          lateFrom: [],
        },
      });
    }
    if (g.startMs === 0 && !phase.stages.some((s) => s.kind === 'clients')) connectOffsetMs += (g.clients * 1000) / rate;
  }
  const index = new ReceiverIndex(groups, all.map((a) => a.plan));
  const mine = owns === null ? all : all.filter((a) => owns(a.plan));
  const local = owns === null ? index : new ReceiverIndex(groups, mine.map((a) => a.plan));
  const onTime = mine.some((a) => a.plan.joinAtMs > 0) ? new ReceiverIndex(groups, mine.map((a) => a.plan).filter((c) => c.joinAtMs === 0)) : local;
  const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0);
  for (const { plan } of all) {
    if (plan.publisherId > 0) {
      plan.matchingByGroup = index.matching(plan.topic, plan);
      plan.matching = sum(plan.matchingByGroup);
      plan.localMatchingByGroup = local === index ? plan.matchingByGroup : local.matching(plan.topic, plan);
      plan.localMatching = sum(plan.localMatchingByGroup);
      plan.windowMatching = onTime === index ? plan.matching : sum(onTime.matching(plan.topic, plan));
    }
    if (plan.willId > 0) plan.willMatchingByGroup = index.matching(plan.willTopic, null);
  }
  // Unsharded: each client to the worker it was dealt; a shard deals its own clients anew, in the same order.
  mine.forEach(({ plan, worker }, k) => plans[owns === null ? worker : k % workers]?.clients.push(plan));
  const senders = all.map((a) => a.plan).filter((c) => c.publisherId > 0);
  for (const { plan } of all) {
    const g = groups[plan.group];
    if (plan.joinAtMs === 0 || g === undefined || !receives(g.role)) continue;
    plan.lateFrom = senders
      .filter((p) => p !== plan && receivesFrom(g, plan, groups[p.group], p))
      .map((p) => ({ publisher: p.publisherId, retained: groups[p.group]?.retain === true }));
  }
  return plans;
}

/** Whether receiver `r` of group `g` gets the messages of publisher `p` of group `pg` (as the index counts them). */
function receivesFrom(g: GroupSpec, r: ClientPlan, pg: GroupSpec | undefined, p: ClientPlan): boolean {
  if (pg === undefined || pg.protocol !== g.protocol) return false;
  if (g.protocol === 'ws') return g.role !== 'echo' && pg.role !== 'echo';
  // A shared subscription counts once per share name, however many members join late: no member skips.
  return r.filters.some((f) => parseShared(f) === null && topicMatches(f, p.topic));
}

/** A receiving group's filters for one client; none given: every publishing MQTT group's topic with templated levels as '+'. */
function subscriptionFilters(g: GroupSpec, groups: readonly GroupSpec[], vars: Parameters<typeof renderTopic>[1]): string[] {
  if (g.filters.length > 0) return [...new Set(g.filters.map((f) => renderTopic(f, vars)))];
  const derived = groups.filter((p) => p.protocol === 'mqtt' && publishes(p.role)).map((p) => filterForTemplate(p.topic, vars.run, p.name));
  return [...new Set(derived)];
}

/** '$share/<name>/<filter>' -> the share name and the filter; null for a plain filter. */
export function parseShared(filter: string): { share: string; filter: string } | null {
  if (!filter.startsWith('$share/')) return null;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  return { share: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/**
 * Who receives a topic: exact filters by lookup, wildcard filters by matching, each shared
 * subscription (share name + filter) once, clients with several filters once, plain
 * WebSocket broadcast receivers all (but the sender).
 */
class ReceiverIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly wild = new Map<string, number[]>();
  private readonly shared = new Map<string, { filter: string; group: number }>();
  private readonly multi: ClientPlan[] = [];
  private readonly wsReceivers: number[];

  constructor(
    private readonly groups: readonly GroupSpec[],
    clients: readonly ClientPlan[],
  ) {
    this.wsReceivers = groups.map(() => 0);
    for (const c of clients) {
      const g = groups[c.group];
      if (g === undefined) continue;
      if (g.protocol === 'ws') {
        if (g.role === 'subscribe' || g.role === 'both') this.wsReceivers[c.group] = (this.wsReceivers[c.group] ?? 0) + 1;
        continue;
      }
      const plain = c.filters.filter((f) => parseShared(f) === null);
      for (const f of c.filters) {
        const s = parseShared(f);
        if (s !== null && !this.shared.has(`${s.share}\u0000${s.filter}`)) this.shared.set(`${s.share}\u0000${s.filter}`, { filter: s.filter, group: c.group });
      }
      if (plain.length > 1) {
        this.multi.push(c);
        continue;
      }
      const f = plain[0];
      if (f === undefined) continue;
      const map = /[+#]/.test(f) ? this.wild : this.exact;
      const counts = map.get(f) ?? groups.map(() => 0);
      counts[c.group] = (counts[c.group] ?? 0) + 1;
      map.set(f, counts);
    }
  }

  /** Receivers per group index for a message on `topic` from `sender` (null: a will, sent by the broker). */
  matching(topic: string, sender: ClientPlan | null): number[] {
    const out = this.groups.map(() => 0);
    const add = (counts: readonly number[] | undefined): void => {
      if (counts !== undefined) for (let i = 0; i < counts.length; i++) out[i] = (out[i] ?? 0) + (counts[i] ?? 0);
    };
    const g = sender === null ? undefined : this.groups[sender.group];
    if (g?.protocol === 'ws') {
      if (g.role === 'echo') out[sender?.group ?? 0] = 1;
      else {
        add(this.wsReceivers);
        if (g.role === 'both' && sender !== null) out[sender.group] = Math.max(0, (out[sender.group] ?? 0) - 1);
      }
      return out;
    }
    add(this.exact.get(topic));
    for (const [f, counts] of this.wild) if (topicMatches(f, topic)) add(counts);
    for (const s of this.shared.values()) if (topicMatches(s.filter, topic)) out[s.group] = (out[s.group] ?? 0) + 1;
    for (const c of this.multi) if (c.filters.some((f) => parseShared(f) === null && topicMatches(f, topic))) out[c.group] = (out[c.group] ?? 0) + 1;
    return out;
  }
}
