/**
 * Pure merge of the workers' reports of one phase into its result: counters added,
 * histograms added exactly from their encodings, delivery settled from sequence numbers,
 * and the generator judged for saturation.
 */
import type { IntervalSnapshot, WorkerHealth, WorkerPhaseReport } from '../coordinator/protocol.js';
import type { PhaseResult, PhaseStatus, TargetUsage, TimelinePoint } from '../result/schema.js';
import type { PhaseSpec } from '../plan/plan.js';
import { deliveryTotals } from './delivery.js';
import { mergeEncoded, summarize } from './histogram.js';

/** A worker busier than this share of wall time (percent) was the limit. */
export const SATURATED_CPU_PERCENT = 90;
/** Event-loop delay p99 above this (microseconds) means timestamps were taken late. */
export const SATURATED_LOOP_DELAY_US = 50_000;
/** Open model: sends later than this at p99 (microseconds) mean the schedule was not kept. */
export const SATURATED_SEND_LAG_US = 10_000;
/** Open model: fewer sends than this share of the schedule means the schedule was not kept. */
export const MIN_RATE_SHARE = 0.95;

export interface PhaseContext {
  status: PhaseStatus;
  error?: string;
  steadySeconds: number;
  /** From sending the plans until every worker had connected (and subscribed) its clients. */
  connectSeconds: number;
  drainSeconds: number;
  /** Every acknowledgement and every expected delivery arrived before the grace period ended. */
  drainComplete: boolean;
  cpuSeconds: number;
  target: TargetUsage;
}

export function mergePhase(spec: PhaseSpec, reports: ReadonlyArray<WorkerPhaseReport>, snapshots: ReadonlyArray<IntervalSnapshot>, ctx: PhaseContext): PhaseResult {
  const sum = (f: (r: WorkerPhaseReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const delivery = deliveryTotals(
    reports.flatMap((r) => r.sent),
    reports.flatMap((r) => r.delivery),
  );
  const hist = (k: keyof WorkerPhaseReport['histograms']) => summarize(mergeEncoded(reports.map((r) => r.histograms[k])));
  const secs = ctx.steadySeconds > 0 ? ctx.steadySeconds : Number.NaN;
  const perSec = (n: number): number => (Number.isFinite(secs) ? Math.round((n / secs) * 10) / 10 : 0);
  const steadyReceived = sum((r) => r.steady.received);
  const steadySent = sum((r) => r.steady.sent);
  const workers = reports.map((r) => r.health).sort((a, b) => a.workerIndex - b.workerIndex);
  const reasons = saturationReasons(spec, workers, steadySent, ctx.steadySeconds);
  const perMessage = (cpuSeconds: number | null): number | null =>
    cpuSeconds === null || steadyReceived === 0 ? null : Math.round((cpuSeconds * 1e6 * 100) / steadyReceived) / 100;

  const result: PhaseResult = {
    name: spec.name,
    status: ctx.status,
    params: { ...spec.params, warmupSeconds: spec.warmupMs / 1000, drainSeconds: spec.drainMs / 1000 },
    durationSeconds: round3(ctx.steadySeconds),
    connectSeconds: round3(ctx.connectSeconds),
    drain: { seconds: round3(ctx.drainSeconds), complete: ctx.drainComplete },
    counters: {
      sent: sum((r) => r.total.sent),
      acked: sum((r) => r.total.acked),
      expected: delivery.expected,
      received: delivery.received,
      lost: delivery.lost,
      duplicated: delivery.duplicated,
      outOfOrder: delivery.outOfOrder,
      connects: sum((r) => r.connects),
      connectFailures: sum((r) => r.connectFailures),
      reconnects: sum((r) => r.reconnects),
      disconnects: sum((r) => r.disconnects),
      errors,
    },
    rates: {
      sentPerSecond: perSec(steadySent),
      receivedPerSecond: perSec(steadyReceived),
      bytesSentPerSecond: perSec(sum((r) => r.steady.bytesSent)),
      bytesReceivedPerSecond: perSec(sum((r) => r.steady.bytesReceived)),
    },
    latency: {
      e2e: hist('e2e'),
      e2eUncorrected: hist('e2eUncorrected'),
      ack: hist('ack'),
      connect: hist('connect'),
      subscribe: hist('subscribe'),
      connectTcp: hist('connectTcp'),
      connectTls: hist('connectTls'),
      connectWs: hist('connectWs'),
    },
    timeline: mergeTimeline(snapshots, spec.warmupMs / 1000),
    generator: {
      saturated: reasons.length > 0,
      reasons,
      cpuSeconds: round3(ctx.cpuSeconds),
      cpuMicrosPerMessage: perMessage(ctx.cpuSeconds),
      workers,
    },
    target: { ...ctx.target, cpuMicrosPerMessage: perMessage(ctx.target.cpuSeconds) },
    deliveryFailures: deliveryFailures(spec.params.qos, delivery.lost, delivery.duplicated),
  };
  if (ctx.error !== undefined) result.error = ctx.error;
  return result;
}

/** QoS 0 loss and QoS 1 duplicates are reported; QoS 1/2 loss and QoS 2 duplicates fail. */
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
    if (w.cpuPercent >= SATURATED_CPU_PERCENT) reasons.push(`worker ${w.workerIndex} was busy ${w.cpuPercent}% of the time (limit ${SATURATED_CPU_PERCENT}%)`);
    if (w.eventLoopDelayP99 >= SATURATED_LOOP_DELAY_US) reasons.push(`worker ${w.workerIndex} event-loop delay p99 ${(w.eventLoopDelayP99 / 1000).toFixed(1)}ms (limit ${SATURATED_LOOP_DELAY_US / 1000}ms)`);
    if (spec.params.model === 'open' && w.sendLagP99 >= SATURATED_SEND_LAG_US) reasons.push(`worker ${w.workerIndex} sent late: p99 ${(w.sendLagP99 / 1000).toFixed(1)}ms behind schedule`);
  }
  if (spec.params.model === 'open' && spec.params.rate !== null && steadySeconds > 0) {
    const achieved = steadySent / steadySeconds;
    if (achieved < spec.params.rate * MIN_RATE_SHARE) reasons.push(`sent ${Math.round(achieved)}/s of the ${spec.params.rate}/s asked`);
  }
  return reasons;
}

export function mergeTimeline(snapshots: ReadonlyArray<IntervalSnapshot>, warmupSeconds: number): TimelinePoint[] {
  const byT = new Map<number, IntervalSnapshot[]>();
  for (const s of snapshots) byT.set(s.t, [...(byT.get(s.t) ?? []), s]);
  return [...byT.keys()]
    .sort((a, b) => a - b)
    .map((t) => {
      const group = byT.get(t) ?? [];
      const h = mergeEncoded(group.map((s) => s.e2e));
      const add = (f: (s: IntervalSnapshot) => number): number => group.reduce((a, s) => a + f(s), 0);
      return {
        t,
        warmup: t <= warmupSeconds,
        sent: add((s) => s.sent),
        received: add((s) => s.received),
        bytesSent: add((s) => s.bytesSent),
        bytesReceived: add((s) => s.bytesReceived),
        p50: h.totalCount === 0 ? 0 : h.getValueAtPercentile(50),
        p99: h.totalCount === 0 ? 0 : h.getValueAtPercentile(99),
        connections: add((s) => s.connections),
      };
    });
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
