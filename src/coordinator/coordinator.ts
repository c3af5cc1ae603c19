/**
 * Runs the phases of a run over long-lived workers: plan, connect, start barrier,
 * per-second snapshots, stop, drain, final reports, merged phase result. Cancellation
 * arrives as an AbortSignal; failures travel up as values, never as process exits.
 */
import { authHint, type Credentials } from '../config/credentials.js';
import { DEFAULT_DRIVER, type Scenario } from '../config/model.js';
import type { FromWorker } from '../worker/protocol.js';
import type { IntervalSnapshot, Progress } from '../metrics/reports.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { mergePhase } from '../metrics/aggregate.js';
import { nowMicros } from '../metrics/clock.js';
import { mergeEncoded } from '../metrics/histogram.js';
import { processCpuSeconds, selfCpuSeconds } from '../metrics/proc-cpu.js';
import type { PhaseSpec } from '../plan/plan.js';
import { planWorkers } from '../plan/workers.js';
import type { PhaseResult, PhaseStatus, TargetUsage } from '../metrics/result.js';
import type { WorkerHandle } from './worker-pool.js';

/** The start barrier: publishing begins this long after every worker reported ready, microseconds. */
const START_DELAY_US = 50_000;
/** How often the drain asks workers for progress, milliseconds. */
const DRAIN_POLL_MS = 100;
/** QoS 0 has no acknowledgement: the drain ends after this long without a new delivery, milliseconds. */
const QOS0_QUIET_MS = 1000;
/** After an interrupt the drain is cut to this, milliseconds. */
const INTERRUPTED_DRAIN_MS = 1000;
/** After an incomplete drain, deliveries are still awaited this long and counted as after the drain, milliseconds. */
const LATE_WINDOW_MS = 500;
/** Worker replies other than connect and finish must come within this, milliseconds. */
const REPLY_TIMEOUT_MS = 10_000;

export interface TargetInfo {
  /** Where each group of the phase connects, by group index. */
  endpoints: TargetEndpoint[];
  /** The target(s) as the user would name them, for messages and the result. */
  url: string;
  /** The broker's process id (started by mqbench, or given with --target-pid), so its CPU can be measured. */
  pid: number | null;
  bundled: boolean;
  /** Source addresses connections are spread over (plan/sources.ts); empty: the OS picks. */
  sources: string[];
}

export interface PhaseRun {
  spec: PhaseSpec;
  config: Scenario;
  target: TargetInfo;
  workers: WorkerHandle[];
  signal: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Human-readable milestones (clients connected, publishing started). */
  onNote?: (line: string) => void;
  /** --abort-on-fail: called each second with the largest steady latencies so far; a reason stops the phase. */
  liveGate?: (steadyMax: IntervalSnapshot['steadyMax']) => string | null;
}

export async function runPhase(run: PhaseRun): Promise<PhaseResult> {
  const { spec, config, workers } = run;
  // The run's Ctrl-C, or a gate that can no longer pass (--abort-on-fail), stops the phase.
  const gate = new AbortController();
  const signal = AbortSignal.any([run.signal, gate.signal]);
  let gateReason: string | null = null;
  const plans = planWorkers(spec, workers.length, run.target.sources);
  const planned = plans.flatMap((p) => p.clients);
  // Deliveries, then messages sent, per publisher id (u32 each).
  const window = new SharedArrayBuffer(8 * (planned.reduce((a, c) => Math.max(a, c.publisherId), 0) + 1));
  const drops = new SharedArrayBuffer(8 * (planned.reduce((a, c) => Math.max(a, c.willId), 0) + 1));
  const clients = planned.filter((c) => c.joinAtMs === 0).length;
  // Pacing plus one connect timeout plus a margin for the subscriptions.
  const connectBudgetMs = planned.reduce((a, c) => Math.max(a, c.connectAtMs), 0) + config.connectTimeoutMs + 10_000;
  const keepaliveSeconds = spec.groups[0]?.keepaliveSeconds ?? 30;
  const snapshots: IntervalSnapshot[] = [];
  let status: PhaseStatus = 'completed';
  let error: string | undefined;
  let steadySeconds = 0;
  let drainSeconds = 0;
  let drainComplete = false;
  let cpuSeconds = 0;
  let targetCpu: number | null = null;

  const connectStartUs = nowMicros();
  const readies = await connectWorkers(run, plans, keepaliveSeconds, window, drops, connectBudgetMs);
  const connectSeconds = (nowMicros() - connectStartUs) / 1e6;
  const failures = readies === 'interrupted' ? [] : readies.flatMap((r) => r.failures);
  if (readies === 'interrupted') {
    // The workers are told to finish below, with the clients connected so far.
    status = 'interrupted';
    error = `interrupted while connecting clients, after ${connectSeconds.toFixed(1)}s`;
  } else if (failures.length > 0) {
    status = 'failed';
    error = connectFailureMessage(run.target.url, failures, clients, config.credentials);
  } else if (signal.aborted) {
    status = 'interrupted';
    error = 'interrupted before publishing started';
  } else {
    const startUs = nowMicros() + START_DELAY_US;
    const warmupStartUs = startUs + spec.rampMs * 1000;
    const steadyStartUs = warmupStartUs + spec.warmupMs * 1000;
    const endUs = steadyStartUs + spec.durationMs * 1000;
    for (const w of workers) w.post({ type: 'start', startUs, steadyStartUs });
    const late = planned.length - clients;
    run.onNote?.(`phase ${spec.name}: ${clients} client(s) connected in ${connectSeconds.toFixed(2)}s, load started${late > 0 ? ` (${late} more join during the load)` : ''}`);
    let t = 0;
    const tick = async (stage: Progress['stage'], stageStartUs: number, stageLength: number): Promise<void> => {
      t++;
      const snaps = await Promise.all(workers.map((w) => w.request({ type: 'tick', t }, 'snapshot', REPLY_TIMEOUT_MS)));
      const group = snaps.map((s) => s.snapshot);
      snapshots.push(...group);
      if (run.liveGate !== undefined && gateReason === null) {
        const most = (k: keyof IntervalSnapshot['steadyMax']): number => group.reduce((a, x) => Math.max(a, x.steadyMax[k]), 0);
        gateReason = run.liveGate({ e2e: most('e2e'), e2eUncorrected: most('e2eUncorrected'), ack: most('ack') });
        if (gateReason !== null) gate.abort();
      }
      if (run.onProgress !== undefined) {
        const sent = group.reduce((a, s) => a + s.sent, 0);
        const received = group.reduce((a, s) => a + s.received, 0);
        const h = mergeEncoded(group.map((s) => s.e2e));
        run.onProgress({
          phase: spec.name,
          stage,
          elapsed: Math.max(0, (nowMicros() - stageStartUs) / 1e6),
          length: stageLength,
          sentPerSecond: sent,
          receivedPerSecond: received,
          p99: h.totalCount === 0 ? 0 : h.getValueAtPercentile(99),
        });
      }
    };

    let cpuAtSteady: number | null = null;
    let targetCpuAtSteady: number | null = null;
    const markSteady = (): void => {
      cpuAtSteady = selfCpuSeconds();
      targetCpuAtSteady = run.target.pid === null ? null : processCpuSeconds(run.target.pid);
    };
    await sleepUntil(warmupStartUs, startUs, signal, () => tick('ramp', startUs, spec.rampMs / 1000));
    await sleepUntil(steadyStartUs, startUs, signal, () => tick('warmup', warmupStartUs, spec.warmupMs / 1000));
    if (!signal.aborted) markSteady();
    await sleepUntil(endUs, startUs, signal, () => tick('steady', steadyStartUs, spec.durationMs / 1000));
    const stopUs = nowMicros();
    for (const w of workers) w.post({ type: 'stop' });
    if (cpuAtSteady !== null) {
      cpuSeconds = selfCpuSeconds() - cpuAtSteady;
      const targetNow = run.target.pid === null ? null : processCpuSeconds(run.target.pid);
      targetCpu = targetNow === null || targetCpuAtSteady === null ? null : targetNow - targetCpuAtSteady;
      steadySeconds = (stopUs - steadyStartUs) / 1e6;
    }
    if (signal.aborted) {
      status = 'interrupted';
      error = gateReason !== null ? `stopped by --abort-on-fail after ${((stopUs - startUs) / 1e6).toFixed(1)}s of publishing: ${gateReason}` : `interrupted after ${((stopUs - startUs) / 1e6).toFixed(1)}s of publishing`;
    }

    const drainStartUs = nowMicros();
    drainComplete = await drain(run, signal.aborted ? Math.min(spec.drainMs, INTERRUPTED_DRAIN_MS) : spec.drainMs, () =>
      nowMicros() - startUs >= (t + 1) * 1e6 ? tick('drain', drainStartUs, spec.drainMs / 1000) : Promise.resolve(),
    );
    drainSeconds = (nowMicros() - drainStartUs) / 1e6;
    await tick('drain', drainStartUs, spec.drainMs / 1000);
  }

  // An incomplete drain at QoS 1/2: listen a little longer, so deliveries that come only after the drain are told apart from loss.
  const lateWindowMs = status === 'completed' && !drainComplete && spec.params.qos !== 0 ? LATE_WINDOW_MS : 0;
  const finals = await Promise.all(workers.map((w) => w.request({ type: 'finish', lateWindowMs }, 'final', 30_000 + lateWindowMs)));
  const target: TargetUsage = { kind: run.target.bundled ? 'bundled' : 'external', url: run.target.url, cpuSeconds: targetCpu, cpuMicrosPerMessage: null };
  const ctx = { status, steadySeconds, connectSeconds, drainSeconds, drainComplete, cpuSeconds, target };
  return mergePhase(spec, finals.map((f) => f.report), snapshots, error === undefined ? ctx : { ...ctx, error });
}

/**
 * Sends each worker its part of the phase and waits until every client connected (or failed),
 * or until the run is interrupted: a signal during the connect stage must not wait out the
 * connect timeout (20 s against a target that never answers CONNACK), so the wait is abandoned.
 */
async function connectWorkers(
  run: PhaseRun,
  plans: ReturnType<typeof planWorkers>,
  keepaliveSeconds: number,
  window: SharedArrayBuffer,
  drops: SharedArrayBuffer,
  budgetMs: number,
): Promise<Array<Extract<FromWorker, { type: 'ready' }>> | 'interrupted'> {
  const { spec, config } = run;
  try {
    return await Promise.all(
      run.workers.map((w, i) => {
        const plan = plans[i];
        if (plan === undefined) throw new Error(`no plan for worker ${i}`);
        return w.request(
          { type: 'phase', phase: spec, plan, endpoints: run.target.endpoints, client: { connectTimeoutMs: config.connectTimeoutMs, keepaliveSeconds, noDelay: config.noDelay, driver: config.driver ?? DEFAULT_DRIVER, ...config.credentials }, window, drops },
          'ready',
          budgetMs,
          run.signal,
        );
      }),
    );
  } catch (err) {
    if (run.signal.aborted && err === run.signal.reason) return 'interrupted';
    throw err;
  }
}

/**
 * Waits for in-flight messages: done when nothing is unacknowledged and every expected
 * delivery arrived; at QoS 0 also when deliveries stopped coming; at the latest after `graceMs`.
 */
async function drain(run: PhaseRun, graceMs: number, onPoll: () => Promise<void>): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  let lastUnique = -1;
  let quietSince = Date.now();
  for (;;) {
    const statuses = await Promise.all(run.workers.map((w) => w.request({ type: 'status' }, 'status', REPLY_TIMEOUT_MS)));
    const outstanding = statuses.reduce((a, s) => a + s.outstandingAcks, 0);
    const expected = statuses.reduce((a, s) => a + s.expected, 0);
    const unique = statuses.reduce((a, s) => a + s.unique, 0);
    if (outstanding === 0 && unique >= expected) return true;
    if (unique !== lastUnique) {
      lastUnique = unique;
      quietSince = Date.now();
    } else if (run.spec.params.qos === 0 && outstanding === 0 && Date.now() - quietSince >= QOS0_QUIET_MS) {
      return false;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    await onPoll();
  }
}

/**
 * Sleeps until `untilUs` (shared clock) or an abort, calling `onSecond` at every whole second
 * since `originUs` on the way.
 */
async function sleepUntil(untilUs: number, originUs: number, signal: AbortSignal, onSecond: () => Promise<void>): Promise<void> {
  for (;;) {
    if (signal.aborted) return;
    const now = nowMicros();
    if (now >= untilUs) return;
    const nextSecond = originUs + Math.max(1, Math.floor((now - originUs) / 1e6) + 1) * 1e6;
    const wakeAt = Math.min(untilUs, nextSecond);
    await abortableSleep((wakeAt - now) / 1000, signal);
    if (!signal.aborted && wakeAt === nextSecond) await onSecond();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function connectFailureMessage(url: string, failures: ReadonlyArray<{ kind: string; message: string }>, clients: number, credentials: Credentials | undefined): string {
  const byKind = new Map<string, number>();
  for (const f of failures) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([k, n]) => `${k}: ${n}`).join(', ');
  const first = failures[0]?.message ?? '';
  // A CONNACK refusing the credentials says "Not authorized" and nothing more: name the fix.
  const hint = authHint(failures.map((f) => f.message), credentials);
  return `${failures.length} of ${clients} client(s) could not connect to ${url} (${kinds}); first error: ${first}${hint === null ? '' : `; ${hint}`}`;
}
