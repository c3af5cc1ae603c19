/**
 * Rules between fields of resolved groups (protocol vs MQTT features, MQTT 5, targets, the
 * timeline). They run on the groups as written and again on every matrix cell, so they read
 * GroupSpec only and return findings; the caller places them (file position, flag or cell).
 */
import { SCHEMES, type Target } from './endpoints.js';
import { publishes, type BrokerName, type GroupSpec } from './model.js';
import { sharedFilter } from './topics.js';

export interface Finding {
  /** Index of the group in the scenario. */
  group: number;
  /** The group field the finding is about ('qos', 'session.expiry', ...); '' for the group itself. */
  key: string;
  message: string;
}

export interface RuleContext {
  targets: readonly Target[];
  wsTargets: readonly Target[];
  /** The broker mqbench starts when there is no target; null: each matrix cell names its own (checked per cell). */
  broker: BrokerName | null;
  /** Stages + warm-up + steady, ms: when `start`, `offline` and `drop` must happen. */
  timelineMs: number;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms) / 1000}s` : `${ms}ms`;
}

const EXTERNAL = 'run with --broker mosquitto (or broker: mosquitto in the file), or give --target of an MQTT 5 broker (or target: in the file)';

/**
 * Findings for every group. inCell: the groups come from a matrix cell, where a plain WebSocket
 * group ignores the QoS and filters it had as an MQTT group (a protocol comparison).
 */
export function groupFindings(groups: readonly GroupSpec[], ctx: RuleContext, inCell: boolean): Finding[] {
  const out: Finding[] = [];
  groups.forEach((g, i) => {
    const add = (key: string, message: string): void => {
      out.push({ group: i, key, message });
    };
    if (g.protocol === 'ws') {
      const mqttOnly = (key: string, what: string): void => add(key, `plain WebSocket (protocol ws) has no ${what}; remove ${key.split('.')[0]} or use protocol mqtt`);
      if (g.transport === 'tcp' || g.transport === 'tls') add('transport', `plain WebSocket (protocol ws) runs over ws or wss, not ${g.transport}; set transport: ws (or wss), or use protocol mqtt`);
      if (g.mqttVersion === 5) mqttOnly('mqttVersion', 'MQTT version');
      if (!inCell && g.qos !== 0) mqttOnly('qos', 'QoS');
      if (g.retain) mqttOnly('retain', 'retained messages');
      if (!g.clean || g.sessionExpirySeconds !== null) mqttOnly('session', 'sessions');
      if (g.will !== null) mqttOnly('will', 'last will');
      if (Object.keys(g.userProperties).length > 0 || g.messageExpirySeconds !== null || g.topicAlias) mqttOnly('properties', 'MQTT 5 properties');
      if (!inCell && g.filters.length > 0) mqttOnly('subscribe', 'topic filters (a broadcast reaches the whole room)');
      if (g.offline !== null) mqttOnly('offline', 'sessions to come back to');
      if (g.role === 'connect-only') add('role', 'connect-only clients are MQTT clients; plain WebSocket groups publish, subscribe, both or echo');
    } else {
      if (g.sessionExpirySeconds !== null && g.mqttVersion !== 5) add('session.expiry', `session expiry is MQTT 5 only; set mqttVersion: 5 (and ${EXTERNAL}) or remove expiry`);
      const props = Object.keys(g.userProperties).length > 0 || g.messageExpirySeconds !== null || g.topicAlias;
      if (props && g.mqttVersion !== 5) add('properties', `properties are MQTT 5 only; set mqttVersion: 5 (and ${EXTERNAL}) or remove properties`);
      const aedes = ctx.targets.length === 0 && ctx.broker === 'aedes';
      if (g.mqttVersion === 5 && aedes) add('mqttVersion', `MQTT 5 needs a broker that speaks it: the embedded broker (aedes) speaks 3.1.1 only; ${EXTERNAL}`);
      const shared = g.filters.filter((f) => sharedFilter(f) !== null);
      if (shared.length > 0 && aedes) {
        add('subscribe', `shared subscriptions (${shared[0]}) need a broker that has them: the embedded broker (aedes) has none; ${EXTERNAL}`);
      }
      if (g.offline !== null && g.clean) add('offline', 'coming back to the same session needs a persistent one: add session: { clean: false }');
    }
    coverage(g, ctx, add);
    timeline(g, ctx, add);
  });
  out.push(...receiverFindings(groups));
  return out;
}

/** A target must exist for each transport used, once any target is given (none given: the bundled servers). */
function coverage(g: GroupSpec, ctx: RuleContext, add: (key: string, message: string) => void): void {
  const list = g.protocol === 'ws' ? ctx.wsTargets : ctx.targets;
  if (list.length === 0 || list.some((t) => t.transport === g.transport)) return;
  const field = g.protocol === 'ws' ? 'wsTarget (--ws-target)' : 'target (--target)';
  const scheme = SCHEMES[g.transport].scheme;
  add('transport', `no ${field} for ${g.transport}: given ${list.map((t) => t.url).join(', ')}; add a ${scheme}:// one (one per transport) or use transport ${list.map((t) => t.transport).join(' or ')}`);
}

function timeline(g: GroupSpec, ctx: RuleContext, add: (key: string, message: string) => void): void {
  const end = ctx.timelineMs;
  const span = `the load lasts ${formatMs(end)} (stages + warmup + duration)`;
  if (g.startMs >= end) add('start', `${formatMs(g.startMs)} is not before the end of the load: ${span}; the group would never join`);
  if (g.offline !== null) {
    const back = g.offline.atMs + g.offline.forMs;
    if (g.offline.atMs <= g.startMs) add('offline', `at ${formatMs(g.offline.atMs)} is not after the group's start (${formatMs(g.startMs)}); its clients are not connected yet`);
    else if (back >= end) add('offline', `the clients come back at ${formatMs(back)}, not before the end of the load: ${span}; shorten at/for or lengthen the load`);
  }
  if (g.drop !== null) {
    if (g.offline !== null) add('drop', 'choose one: offline (go away and come back) or drop (vanish for good, the will goes out)');
    else if (g.drop.atMs <= g.startMs) add('drop', `at ${formatMs(g.drop.atMs)} is not after the group's start (${formatMs(g.startMs)}); its clients are not connected yet`);
    else if (g.drop.atMs >= end) add('drop', `at ${formatMs(g.drop.atMs)} is not before the end of the load: ${span}`);
  }
}

/** Subscribers without filters take the publishing groups' topics: there must be some, of their protocol. */
function receiverFindings(groups: readonly GroupSpec[]): Finding[] {
  const out: Finding[] = [];
  groups.forEach((g, i) => {
    if ((g.role !== 'subscribe' && g.role !== 'both') || g.filters.length > 0) return;
    // A ws broadcast reaches the room (publish, both); MQTT subscribers derive filters from every publishing role.
    const sources = groups.filter((o, j) => j !== i && o.protocol === g.protocol && (g.protocol === 'ws' ? o.role === 'publish' || o.role === 'both' : publishes(o.role)));
    // A `both` group receives its own members' messages.
    if (sources.length > 0 || g.role === 'both') return;
    out.push({
      group: i,
      key: '',
      message:
        g.protocol === 'ws'
          ? 'a plain WebSocket subscriber receives what ws groups with role publish or both broadcast, and there is none; add one'
          : 'has no subscribe filters and no group publishes to derive them from; add subscribe: <filter> or a publishing group',
    });
  });
  return out;
}
