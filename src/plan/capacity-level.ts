/**
 * Pure: the scenario of one capacity level. The searched dimension is set to the level and
 * everything else is left as the scenario (or the flags) describe it:
 *  - rate: the open-model rate over all publishing groups, shared in proportion to their own
 *    rates (or their clients when they had none: a closed-model scenario becomes open);
 *  - publishers: the publishing group's clients, each keeping its rate per client (so the offered
 *    rate grows with the publishers) or its window;
 *  - subscribers: the subscribing group's clients;
 *  - connections: the connect-only group's clients (a group is added when there is none).
 */
import { defaultGroup } from '../config/defaults.js';
import { publishes, type GroupSpec, type Scenario } from '../config/model.js';
import type { Dimension } from './capacity-search.js';

/** The groups a dimension scales, by index; empty: none (an error for every dimension but connections). */
export function scaledGroups(s: Scenario, dim: Dimension): number[] {
  const pick = (f: (g: GroupSpec) => boolean): number[] => s.groups.flatMap((g, i) => (f(g) ? [i] : []));
  switch (dim) {
    case 'rate':
      return pick((g) => publishes(g.role));
    case 'publishers':
      return pick((g) => g.role === 'publish' || g.role === 'both' || g.role === 'echo');
    case 'subscribers':
      return pick((g) => g.role === 'subscribe' || g.role === 'both');
    case 'connections':
      return pick((g) => g.role === 'connect-only');
  }
}

/** What stops a scenario from being searched along a dimension, or null. */
export function dimensionProblem(s: Scenario, dim: Dimension): string | null {
  const groups = scaledGroups(s, dim);
  if (dim === 'rate' && groups.length === 0) return 'the rate dimension needs a publishing group (role publish, both or echo)';
  if ((dim === 'publishers' || dim === 'subscribers') && groups.length !== 1) {
    return `the ${dim} dimension scales one group; the scenario has ${groups.length} ${dim === 'publishers' ? 'publishing' : 'subscribing'} group(s)`;
  }
  if (dim === 'connections' && groups.length > 1) return `the connections dimension scales one connect-only group; the scenario has ${groups.length}`;
  return null;
}

export function scenarioAtLevel(base: Scenario, dim: Dimension, level: number): Scenario {
  const idx = scaledGroups(base, dim);
  const groups = base.groups.map((g) => ({ ...g }));
  switch (dim) {
    case 'rate':
      shareRate(groups, idx, level);
      break;
    case 'publishers':
    case 'subscribers':
      for (const i of idx) scaleClients(groups[i] as GroupSpec, level);
      break;
    case 'connections':
      if (idx.length === 0) groups.push(connectionGroup(base, level));
      else for (const i of idx) (groups[i] as GroupSpec).clients = level;
      break;
  }
  return { ...base, groups };
}

/** `total` messages/s over the groups at `idx`, in proportion to their rates (or clients). */
function shareRate(groups: GroupSpec[], idx: readonly number[], total: number): void {
  const chosen = idx.map((i) => groups[i] as GroupSpec);
  const byRate = chosen.every((g) => g.rate !== null && g.rate > 0);
  const weight = (g: GroupSpec): number => (byRate ? (g.rate as number) : Math.max(1, g.clients));
  const sum = chosen.reduce((a, g) => a + weight(g), 0);
  for (const g of chosen) {
    g.rate = (total * weight(g)) / sum;
    g.inflight = null;
  }
}

/** The group's clients set to `clients`; an open-model group keeps its rate per client. */
function scaleClients(g: GroupSpec, clients: number): void {
  if (g.rate !== null && g.clients > 0) g.rate = (g.rate / g.clients) * clients;
  g.clients = clients;
}

/** An idle connect-only group like the flags' --connections, on the first group's transport. */
function connectionGroup(base: Scenario, clients: number): GroupSpec {
  const first = base.groups[0];
  const g = defaultGroup('connections', 'connect-only', first?.protocol ?? 'mqtt');
  return { ...g, clients, transport: first?.transport ?? g.transport, keepaliveSeconds: first?.keepaliveSeconds ?? g.keepaliveSeconds, topic: first?.topic ?? g.topic };
}

/** Total clients of the scenario at a level (for the worker count and the open-files check). */
export function clientsAtLevel(base: Scenario, dim: Dimension, level: number): number {
  return scenarioAtLevel(base, dim, level).groups.reduce((a, g) => a + g.clients, 0);
}
