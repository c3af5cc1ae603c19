/**
 * Pure planning, part one: a resolved scenario becomes phases, one per matrix cell, each with
 * its groups (the cell applied), a name and a summary of its parameters for the result.
 * No I/O here; table-driven tests pin it. Part two (plan/workers.ts) splits a phase over workers.
 */
import type { Qos } from '../config/units.js';
import type { Transport } from '../drivers/transports.js';
import { applyCell, publishes, receives, type BrokerName, type GroupSpec, type MatrixCell, type Protocol, type Scenario, type Stage } from '../config/model.js';

export type Role = 'pubsub' | 'echo' | 'broadcast' | 'connect';
export type LoadModel = 'open' | 'closed';

/** A summary of a phase's groups, kept flat so results stay easy to compare and chart. */
export interface PhaseParams {
  protocol: Protocol;
  /** The groups' transport, or the first group's when they differ. */
  transport: Transport;
  /** pubsub (MQTT publish/subscribe), echo or broadcast (plain WebSocket), connect (no group publishes). */
  role: Role;
  /** MQTT protocol level (4 is 3.1.1), the highest of the groups. */
  mqttVersion: 4 | 5;
  /** MQTT QoS shared by the publishing and receiving groups (the lowest when they differ); null for plain WebSocket. */
  qos: Qos | null;
  /** First publishing group's payload size, bytes. */
  payloadBytes: number;
  /** Clients of publishing groups (publish, both, echo). */
  publishers: number;
  /** Clients of subscribing groups (subscribe, both). */
  subscribers: number;
  /** Idle connect-only clients. */
  connections: number;
  /** open when any publishing group has a rate. */
  model: LoadModel;
  /** Open model: total messages per second over all groups; null in the closed model. */
  rate: number | null;
  /** Closed model: the first closed group's window per client; null in the open model. */
  inflight: number | null;
  /** First publishing group's topic template. */
  topic: string;
  noDelay: boolean;
}

export interface PhaseSpec {
  index: number;
  /** e.g. 'mqtt-tcp-qos1', 'ws-echo', 'mqtt-ws-qos0-1KiB', 'mqtt-tcp-qos1-mosquitto' (matrix.broker) */
  name: string;
  /** Unique per run and phase; {run} in topics, part of client ids. */
  tag: string;
  /** The matrix values of this phase; {} without a matrix. */
  cell: MatrixCell;
  /** The broker mqbench starts for this phase's MQTT groups (the cell's, else the scenario's); null: a target is named, or no MQTT group. */
  broker: BrokerName | null;
  groups: GroupSpec[];
  params: PhaseParams;
  stages: Stage[];
  /** Ramp stages, then warm-up, then the steady window, then the drain; milliseconds. */
  rampMs: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  /** New connections per second over all workers for groups without their own rate. */
  connectRate: number;
}

/** One phase per matrix cell, in order. */
export function planPhases(s: Scenario, runId: string): PhaseSpec[] {
  const names = new Map<string, number>();
  return s.cells.map((cell, index) => {
    const groups = applyCell(s.groups, cell);
    const params = summarize(groups, s.noDelay);
    const broker = s.targets.length === 0 && groups.some((g) => g.protocol === 'mqtt') ? (cell.broker ?? s.broker) : null;
    let name = phaseName(params, groups);
    if (cell.payload !== undefined) name += `-${sizeLabel(cell.payload)}`;
    if (cell.broker !== undefined && broker !== null) name += `-${broker}`;
    const seen = (names.get(name) ?? 0) + 1;
    names.set(name, seen);
    if (seen > 1) name += `-${seen}`;
    return {
      index,
      name,
      tag: `${runId}-${index}`,
      cell,
      broker,
      groups,
      params,
      stages: s.load.stages,
      rampMs: s.load.stages.reduce((a, st) => a + st.durationMs, 0),
      warmupMs: s.load.warmupMs,
      durationMs: s.load.durationMs,
      drainMs: s.load.drainMs,
      connectRate: s.connectRate,
    };
  });
}

/** mqtt-<transport>-qos<N> or mqtt-<transport>-connect; <transport>-echo or <transport>-broadcast for plain WebSocket. */
export function phaseName(params: Pick<PhaseParams, 'protocol' | 'transport' | 'qos' | 'role'>, groups?: readonly GroupSpec[]): string {
  const mixedTransport = groups !== undefined && new Set(groups.map((g) => g.transport)).size > 1;
  const transport = mixedTransport ? 'mixed' : params.transport;
  if (params.protocol === 'ws') return `${transport}-${params.role}`;
  if (params.role === 'connect') return `mqtt-${transport}-connect`;
  const active = groups?.filter((g) => publishes(g.role) || receives(g.role)) ?? [];
  const mixedQos = new Set(active.map((g) => g.qos)).size > 1;
  return `mqtt-${transport}-${mixedQos ? 'qosmixed' : `qos${params.qos}`}`;
}

export function summarize(groups: readonly GroupSpec[], noDelay: boolean): PhaseParams {
  const first = groups[0];
  if (first === undefined) throw new Error('a phase without groups');
  const pubs = groups.filter((g) => publishes(g.role));
  const active = groups.filter((g) => publishes(g.role) || receives(g.role));
  const ws = groups.every((g) => g.protocol === 'ws');
  const sum = (list: readonly GroupSpec[]): number => list.reduce((a, g) => a + g.clients, 0);
  const open = pubs.filter((g) => g.rate !== null);
  const closed = pubs.find((g) => g.rate === null);
  const role: Role = ws ? (groups.some((g) => g.role === 'echo') ? 'echo' : 'broadcast') : pubs.length === 0 ? 'connect' : 'pubsub';
  return {
    protocol: ws ? 'ws' : 'mqtt',
    transport: first.transport,
    role,
    mqttVersion: groups.some((g) => g.mqttVersion === 5) ? 5 : 4,
    qos: ws ? null : active.length === 0 ? first.qos : (Math.min(...active.map((g) => g.qos)) as Qos),
    payloadBytes: (pubs[0] ?? first).payload.bytes,
    publishers: sum(pubs),
    subscribers: sum(groups.filter((g) => g.role === 'subscribe' || g.role === 'both')),
    connections: sum(groups.filter((g) => g.role === 'connect-only')),
    model: open.length > 0 ? 'open' : 'closed',
    rate: open.length > 0 ? open.reduce((a, g) => a + (g.rate ?? 0), 0) : null,
    inflight: open.length > 0 ? null : (closed?.inflight ?? null),
    topic: (pubs[0] ?? first).topic,
    noDelay,
  };
}

/** 16B, 1KiB, 4MiB; sizes that are not whole KiB or MiB in bytes. */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

/** Clients of a phase, all groups. */
export function phaseClients(spec: PhaseSpec): number {
  return spec.groups.reduce((a, g) => a + g.clients, 0);
}

export function renderTopic(template: string, vars: { client: string; n: number; worker: number; run: string; group?: string }): string {
  return template
    .replaceAll('{client}', vars.client)
    .replaceAll('{n}', String(vars.n))
    .replaceAll('{worker}', String(vars.worker))
    .replaceAll('{run}', vars.run)
    .replaceAll('{group}', vars.group ?? '');
}

/** The subscription filter for a publish template: {run} and {group} filled in, every other templated level a '+'. */
export function filterForTemplate(template: string, run: string, group = ''): string {
  return template
    .replaceAll('{run}', run)
    .replaceAll('{group}', group)
    .split('/')
    .map((level) => (level.includes('{') ? '+' : level))
    .join('/');
}

/**
 * The level (1 = 100%) of a ramp at `ms` after the load start: linear from the previous stage's
 * level (0 before the first), 1 once the stages are over (warm-up and steady run at 100%).
 */
export function levelAt(stages: readonly Stage[], ms: number): number {
  let from = 0;
  let t0 = 0;
  for (const st of stages) {
    if (ms < t0 + st.durationMs) return from + ((st.level - from) * (ms - t0)) / st.durationMs;
    from = st.level;
    t0 += st.durationMs;
  }
  return 1;
}

/** Clients ramp: when the i-th (0-based) of `count` clients joins, ms after the load start (first moment the level covers it). */
export function rampJoinMs(stages: readonly Stage[], i: number, count: number): number {
  if (!stages.some((s) => s.kind === 'clients')) return 0;
  const need = (i + 1) / count;
  let from = 0;
  let t0 = 0;
  for (const st of stages) {
    if (st.level >= need && st.level > from) {
      const into = need <= from ? 0 : ((need - from) / (st.level - from)) * st.durationMs;
      return Math.round(t0 + into);
    }
    from = st.level;
    t0 += st.durationMs;
  }
  // Not reached by the stages: joins when they end (warm-up runs at 100%).
  return t0;
}
