/**
 * Pure merge of the workers' reports of one phase into its result: counters added,
 * histograms added exactly from their encodings, delivery settled from sequence numbers,
 * and the generator judged for saturation.
 */
import type { IntervalSnapshot, WorkerHealth, WorkerPhaseReport } from './reports.js';
import type { GroupResult, PhaseOutage, PhaseResult, PhaseStatus, TimelinePoint } from './result.js';
import type { PhaseContext } from './status.js';
import type { PhaseSpec } from '../plan/plan.js';
import { publishes, receives, type GroupSpec } from '../config/model.js';
import { deliveryTotals, lossBreakdown, type DeliveryTotals } from './delivery.js';
import { mergeEncoded, summarize } from './histogram.js';
import { mergeWire } from './wire.js';
import { CONNECTION_COUNTS, DELIVERY_COUNTS, PHASE_CONNECTION_COUNTS, PUBLISH_COUNTS, sumCounters, sumRecords } from './counters.js';

/** A worker busier than this share of wall time (percent) was the limit. */
export const SATURATED_CPU_PERCENT = 90;
/** Event-loop delay p99 above this (microseconds) means timestamps were taken late. */
export const SATURATED_LOOP_DELAY_US = 50_000;
/** Open model: sends later than this at p99 (microseconds) mean the schedule was not kept. */
export const SATURATED_SEND_LAG_US = 10_000;
/** Open model: fewer sends than this share of the schedule means the schedule was not kept. */
export const MIN_RATE_SHARE = 0.95;
/** A phase whose clients were without a connection for more than this share of the steady window is 'degraded'. */
export const DEGRADED_OUTAGE_SHARE = 0.1;

export type { PhaseContext } from './status.js';

export function mergePhase(spec: PhaseSpec, reports: ReadonlyArray<WorkerPhaseReport>, snapshots: ReadonlyArray<IntervalSnapshot>, ctx: PhaseContext): PhaseResult {
  const sum = (f: (r: WorkerPhaseReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const secs = ctx.steadySeconds > 0 ? ctx.steadySeconds : Number.NaN;
  const perSec = (n: number): number => (Number.isFinite(secs) ? Math.round((n / secs) * 10) / 10 : 0);
  const steadyReceived = sum((r) => r.steady.received);
  const steadySent = sum((r) => r.steady.sent);
  const workers = reports.map((r) => r.health).sort((a, b) => a.workerIndex - b.workerIndex);
  // Messages never sent for want of a connection are the target's doing, not a schedule the generator missed.
  const reasons = saturationReasons(spec, workers, steadySent + sum((r) => r.outage.steadyUnsent), ctx.steadySeconds);
  const outage = outageOf(reports, ctx.steadySeconds);
  const degraded = outage.share > DEGRADED_OUTAGE_SHARE;
  const status: PhaseStatus = ctx.status === 'completed' && degraded ? 'degraded' : ctx.status;
  const perMessage = (cpuSeconds: number | null): number | null =>
    cpuSeconds === null || steadyReceived === 0 ? null : Math.round((cpuSeconds * 1e6 * 100) / steadyReceived) / 100;

  const groups = mergeGroups(spec, reports);
  const failures = groups.length === 1 || groups.filter((g) => receives(g.role)).length <= 1
    ? groupFailures(spec.groups, groups, reports, '')
    : groupFailures(spec.groups, groups, reports, 'group ');
  const late = ctx.status === 'completed' ? joinFailure(reports) : null;
  if (late !== null) failures.push(late);
  if (degraded) failures.push(outageFailure(outage));

  const result: PhaseResult = {
    name: spec.name,
    status,
    cell: { ...spec.cell },
    params: { ...spec.params, rampSeconds: spec.rampMs / 1000, warmupSeconds: spec.warmupMs / 1000, drainSeconds: spec.drainMs / 1000 },
    durationSeconds: round3(ctx.steadySeconds),
    connectSeconds: round3(ctx.connectSeconds),
    drain: { seconds: round3(ctx.drainSeconds), complete: ctx.drainComplete },
    counters: phaseCounters(spec, reports),
    rates: {
      sentPerSecond: perSec(steadySent),
      receivedPerSecond: perSec(steadyReceived),
      bytesSentPerSecond: perSec(sum((r) => r.steady.bytesSent)),
      bytesReceivedPerSecond: perSec(sum((r) => r.steady.bytesReceived)),
    },
    latency: phaseLatency(reports),
    outage,
    timeline: mergeTimeline(snapshots, spec.rampMs / 1000, spec.warmupMs / 1000, spec.durationMs / 1000),
    generator: {
      saturated: reasons.length > 0,
      reasons,
      cpuSeconds: round3(ctx.cpuSeconds),
      cpuMicrosPerMessage: perMessage(ctx.cpuSeconds),
      workers,
    },
    target: { ...ctx.target, cpuMicrosPerMessage: perMessage(ctx.target.cpuSeconds) },
    groups,
    deliveryFailures: failures,
  };
  if (ctx.error !== undefined) result.error = ctx.error;
  const wire = mergeWire(reports.map((r) => r.wire), steadyReceived);
  if (wire !== null) result.wire = wire;
  return result;
}

/** The phase's counters: the workers' counts added, delivery and loss settled from every worker's sequence numbers. */
function phaseCounters(spec: PhaseSpec, reports: ReadonlyArray<WorkerPhaseReport>): PhaseResult['counters'] {
  const allSent = reports.flatMap((r) => r.sent);
  const allSeen = reports.flatMap((r) => r.delivery);
  // Receiving groups with a shared subscription: their members split one stream.
  const shared = new Set(spec.groups.flatMap((g, i) => (g.filters.some((f) => f.startsWith('$share/')) ? [i] : [])));
  const loss = lossBreakdown(allSent, allSeen, shared);
  return {
    ...sumCounters(reports.map((r) => r.total), PUBLISH_COUNTS),
    ...sumCounters([deliveryTotals(allSent, allSeen)], DELIVERY_COUNTS),
    ...sumCounters(reports, PHASE_CONNECTION_COUNTS),
    lostNotAcknowledged: loss.notAcknowledged,
    lostAcknowledged: loss.acknowledgedNotDelivered,
    deliveredAfterDrain: reports.reduce((a, r) => a + r.afterDrain, 0),
    errors: sumRecords(reports.map((r) => r.errors)) ?? {},
  };
}

function phaseLatency(reports: ReadonlyArray<WorkerPhaseReport>): PhaseResult['latency'] {
  const hist = (k: keyof WorkerPhaseReport['histograms']) => summarize(mergeEncoded(reports.map((r) => r.histograms[k])));
  return {
    e2e: hist('e2e'),
    e2eUncorrected: hist('e2eUncorrected'),
    ack: hist('ack'),
    connect: hist('connect'),
    subscribe: hist('subscribe'),
    connectTcp: hist('connectTcp'),
    connectTls: hist('connectTls'),
    connectWs: hist('connectWs'),
    outage: hist('outage'),
  };
}

/** Clients that joined during the load and could not connect, with the first reason given; null when none. */
function joinFailure(reports: ReadonlyArray<WorkerPhaseReport>): string | null {
  const n = reports.reduce((a, r) => a + r.joinFailures, 0);
  if (n === 0) return null;
  const first = reports.flatMap((r) => r.joinErrors ?? [])[0];
  return `${n} client(s) that joined during the load could not connect${first === undefined ? '' : `; first error: ${first.message}`}`;
}

/** Pure: the share of the steady window the phase's clients spent without a connection. */
export function outageOf(reports: ReadonlyArray<WorkerPhaseReport>, steadySeconds: number): PhaseOutage {
  const clients = reports.reduce((a, r) => a + r.outage.clients, 0);
  const downUs = reports.reduce((a, r) => a + r.outage.steadyDownUs, 0);
  const share = clients === 0 || steadySeconds <= 0 ? 0 : Math.min(1, downUs / (clients * steadySeconds * 1e6));
  return {
    share: Math.round(share * 10_000) / 10_000,
    limit: DEGRADED_OUTAGE_SHARE,
    downAtEnd: reports.reduce((a, r) => a + r.outage.downAtEnd, 0),
    unsent: reports.reduce((a, r) => a + r.outage.unsent, 0),
  };
}

export function outageFailure(o: PhaseOutage): string {
  const end = o.downAtEnd > 0 ? `; ${o.downAtEnd} client(s) still without a connection at the end` : '';
  return `degraded: the target was unreachable for ${(o.share * 100).toFixed(1)}% of the steady window (clients without a connection; limit ${Math.round(o.limit * 100)}%)${end}: the figures describe an outage, not the target's capacity`;
}

/** QoS 1/2 loss and QoS 2 duplicates fail a phase; plain WebSocket (qos null) is reliable like TCP, so both fail it. */
export function deliveryFailures(qos: 0 | 1 | 2 | null, lost: number, duplicated: number): string[] {
  const out: string[] = [];
  const what = qos === null ? 'WebSocket' : `QoS ${qos}`;
  if ((qos === null || qos > 0) && lost > 0) out.push(`${lost} ${what} message(s) lost`);
  if ((qos === null || qos === 2) && duplicated > 0) out.push(`${duplicated} ${what} message(s) delivered more than once`);
  return out;
}

export function saturationReasons(spec: PhaseSpec, workers: ReadonlyArray<WorkerHealth>, steadySent: number, steadySeconds: number): string[] {
  const reasons: string[] = [];
  for (const w of workers) {
    const who = w.shard === undefined ? `worker ${w.workerIndex}` : `shard ${w.shard} worker ${w.workerIndex}`;
    if (w.cpuPercent >= SATURATED_CPU_PERCENT) reasons.push(`${who} was busy ${w.cpuPercent}% of the time (limit ${SATURATED_CPU_PERCENT}%)`);
    if (w.eventLoopDelayP99 >= SATURATED_LOOP_DELAY_US) reasons.push(`${who} event-loop delay p99 ${(w.eventLoopDelayP99 / 1000).toFixed(1)}ms (limit ${SATURATED_LOOP_DELAY_US / 1000}ms)`);
    if (spec.params.model === 'open' && w.sendLagP99 >= SATURATED_SEND_LAG_US) reasons.push(`${who} sent late: p99 ${(w.sendLagP99 / 1000).toFixed(1)}ms behind schedule`);
  }
  if (spec.params.model === 'open' && spec.params.rate !== null && steadySeconds > 0) {
    const achieved = steadySent / steadySeconds;
    if (achieved < spec.params.rate * MIN_RATE_SHARE) reasons.push(`sent ${Math.round(achieved)}/s of the ${spec.params.rate}/s asked`);
  }
  return reasons;
}

/** Points by second since the load start; each says which part of the phase it belongs to. */
export function mergeTimeline(snapshots: ReadonlyArray<IntervalSnapshot>, rampSeconds: number, warmupSeconds: number, steadySeconds: number): TimelinePoint[] {
  const byT = new Map<number, IntervalSnapshot[]>();
  for (const s of snapshots) byT.set(s.t, [...(byT.get(s.t) ?? []), s]);
  return [...byT.keys()]
    .sort((a, b) => a - b)
    .map((t) => {
      const group = byT.get(t) ?? [];
      const h = mergeEncoded(group.map((s) => s.e2e));
      const n = sumCounters(group, ['sent', 'received', 'bytesSent', 'bytesReceived', 'connections', 'down']);
      const stage: TimelinePoint['stage'] = t <= rampSeconds ? 'ramp' : t <= rampSeconds + warmupSeconds ? 'warmup' : t <= rampSeconds + warmupSeconds + steadySeconds ? 'steady' : 'drain';
      return {
        t,
        stage,
        warmup: stage === 'ramp' || stage === 'warmup',
        sent: n.sent,
        received: n.received,
        bytesSent: n.bytesSent,
        bytesReceived: n.bytesReceived,
        p50: h.totalCount === 0 ? 0 : h.getValueAtPercentile(50),
        p99: h.totalCount === 0 ? 0 : h.getValueAtPercentile(99),
        connections: n.connections,
        down: n.down,
      };
    });
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Per-group figures: each group's connections, what it sent, and what its clients received of what was expected of them. */
export function mergeGroups(spec: PhaseSpec, reports: ReadonlyArray<WorkerPhaseReport>): GroupResult[] {
  const sent = reports.flatMap((r) => r.sent);
  const seen = reports.flatMap((r) => r.delivery);
  const dropped = reports.flatMap((r) => r.willsDropped);
  return spec.groups.map((g, i) => {
    const parts = reports.map((r) => r.groups[i]).filter((x) => x !== undefined);
    const n = sumCounters(parts, ['retained', 'willsReceived', 'sessionsResumed', 'backlog']);
    const d: DeliveryTotals = deliveryTotals(sent, seen, i);
    const receiving = parts.filter((x) => x.receivingClients > 0);
    return {
      name: g.name,
      role: g.role,
      protocol: g.protocol,
      transport: g.transport,
      mqttVersion: g.mqttVersion,
      qos: g.protocol === 'ws' ? null : g.qos,
      clients: g.clients,
      ...sumCounters(parts, CONNECTION_COUNTS),
      ...sumCounters(parts, PUBLISH_COUNTS),
      ...sumCounters([d], DELIVERY_COUNTS),
      receivedPerClient: {
        min: receiving.length === 0 ? 0 : Math.min(...receiving.map((x) => x.minPerClient)),
        max: receiving.length === 0 ? 0 : Math.max(...receiving.map((x) => x.maxPerClient)),
      },
      retained: n.retained,
      wills: { expected: dropped.reduce((a, w) => a + (w.byGroup[i] ?? 0), 0), received: n.willsReceived },
      sessionsResumed: n.sessionsResumed,
      backlog: { messages: n.backlog, drainMs: Math.round(Math.max(0, ...parts.map((x) => x.backlogDrainUs)) / 100) / 10 },
      latency: {
        e2e: summarize(mergeEncoded(parts.map((x) => x.e2e))),
        connect: summarize(mergeEncoded(parts.map((x) => x.connect))),
        will: summarize(mergeEncoded(parts.map((x) => x.will))),
      },
    };
  });
}

/**
 * Delivery failures per receiving group, judged per publishing group that feeds it, at the QoS
 * the messages travelled (the lower of the two groups'): QoS 1/2 and WebSocket loss, QoS 2 and
 * WebSocket duplicates; and wills that never came where both the will and the subscription are QoS 1/2.
 */
function groupFailures(specs: readonly GroupSpec[], groups: readonly GroupResult[], reports: ReadonlyArray<WorkerPhaseReport>, prefix: string): string[] {
  const sent = reports.flatMap((r) => r.sent);
  const seen = reports.flatMap((r) => r.delivery);
  const groupOf = new Map(sent.map((p) => [p.publisher, p.group]));
  const out: string[] = [];
  specs.forEach((g, i) => {
    const r = groups[i];
    if (r === undefined) return;
    const name = prefix === '' ? '' : `${prefix}${g.name}: `;
    const byQos = new Map<0 | 1 | 2 | null, { lost: number; duplicated: number }>();
    specs.forEach((pg, j) => {
      if (!publishes(pg.role) || !receives(g.role)) return;
      const fromJ = sent.filter((p) => p.group === j);
      const d = deliveryTotals(fromJ, seen.filter((x) => x.group === i && groupOf.get(x.publisher) === j), i);
      if (d.expected === 0 && d.received === 0) return;
      const qos = g.protocol === 'ws' || pg.protocol === 'ws' ? null : (Math.min(g.qos, pg.qos) as 0 | 1 | 2);
      const acc = byQos.get(qos) ?? { lost: 0, duplicated: 0 };
      acc.lost += d.lost;
      acc.duplicated += d.duplicated;
      byQos.set(qos, acc);
    });
    for (const [qos, acc] of byQos) for (const f of deliveryFailures(qos, acc.lost, acc.duplicated)) out.push(name + f);
    const willQos = Math.min(g.qos, ...specs.filter((s) => s.will !== null).map((s) => s.will?.qos ?? 0));
    const missing = r.wills.expected - r.wills.received;
    if (missing > 0 && willQos > 0) out.push(`${name}${missing} will(s) of dropped clients never arrived`);
  });
  return out;
}
