/**
 * Runs the phases of a run over long-lived workers: plan, connect, start barrier, the load
 * through its stages (phase-clock.ts) with a snapshot each second (snapshot-collector.ts) and
 * the CPU of the steady window (cpu-meter.ts), stop, drain (drain.ts), final reports, merged
 * phase result. Cancellation arrives as an AbortSignal; why a phase stopped is a value
 * (stop-reason.ts), and failures travel up as values, never as process exits.
 */
import { authHint, type Credentials } from '../config/credentials.js';
import { DEFAULT_DRIVER, type Scenario } from '../config/model.js';
import type { FromWorker } from '../worker/protocol.js';
import type { Progress } from '../metrics/reports.js';
import { secondsOf, type PhaseSecond } from '../metrics/live.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { mergePhase, type PhaseContext } from '../metrics/aggregate.js';
import type { ShardPhase } from '../metrics/shard-result.js';
import { crossesShards, publisherCount, shardWorkers } from '../plan/shard.js';
import { localSpec, localView, shardPhase, waitForStart, type ShardRun } from './shard-phase.js';
import { nowMicros } from '../metrics/clock.js';
import type { PhaseSpec } from '../plan/plan.js';
import { planWorkers } from '../plan/workers.js';
import type { PhaseResult, TargetUsage } from '../metrics/result.js';
import { CpuMeter } from './cpu-meter.js';
import { drain } from './drain.js';
import { phaseClock, runStages, START_DELAY_US } from './phase-clock.js';
import { SnapshotCollector, type LiveGate } from './snapshot-collector.js';
import { stopOutcome, type StopReason } from './stop-reason.js';
import type { WorkerHandle } from './worker-pool.js';

/** After an interrupt the drain is cut to this, milliseconds. */
const INTERRUPTED_DRAIN_MS = 1000;
/** After an incomplete drain, deliveries are still awaited this long and counted as after the drain, milliseconds. */
const LATE_WINDOW_MS = 500;

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
  liveGate?: LiveGate;
  /** --shard: this process's shard, and when (wall clock, ms) this phase's load begins under --start-at (null: when ready). */
  shard?: { run: ShardRun; startAtMs: number | null };
  /** Receives the phase's raw reports and snapshots (a shard's result keeps them for `merge`; --hdr-log writes from them). */
  onRaw?: (raw: ShardPhase) => void;
  /** Each second of the load, once every worker's snapshot is in. */
  onSecond?: (s: PhaseSecond) => void;
}

export async function runPhase(run: PhaseRun): Promise<PhaseResult> {
  const { spec, config, workers } = run;
  const collector = new SnapshotCollector(workers, spec.name, run.liveGate, run.onProgress, run.onSecond && secondsOf(spec, run.onSecond));
  // The run's Ctrl-C, or a gate that can no longer pass (--abort-on-fail), stops the phase.
  const signal = AbortSignal.any([run.signal, collector.gate.signal]);
  const shard = run.shard ?? null;
  const plans = shard === null ? planWorkers(spec, workers.length, run.target.sources) : shardWorkers(spec, workers.length, run.target.sources, shard.run.spec, shard.run.clockSync, shard.run.wireEpochUs);
  const crossShard = shard !== null && crossesShards(spec, shard.run.spec.count);
  const planned = plans.flatMap((p) => p.clients);
  // Deliveries, then messages sent, per publisher id (u32 each).
  // A shard's receivers also get the other shards' publishers, whose ids run up to the whole phase's count.
  const window = new SharedArrayBuffer(8 * (planned.reduce((a, c) => Math.max(a, c.publisherId), shard === null ? 0 : publisherCount(spec)) + 1));
  const drops = new SharedArrayBuffer(8 * (planned.reduce((a, c) => Math.max(a, c.willId), 0) + 1));
  const clients = planned.filter((c) => c.joinAtMs === 0).length;
  // Pacing plus one connect timeout plus a margin for the subscriptions.
  const connectBudgetMs = planned.reduce((a, c) => Math.max(a, c.connectAtMs), 0) + config.connectTimeoutMs + 10_000;
  const keepaliveSeconds = spec.groups[0]?.keepaliveSeconds ?? 30;

  const connectStartUs = nowMicros();
  const readies = await connectWorkers(run, plans, keepaliveSeconds, window, drops, connectBudgetMs);
  const connectSeconds = (nowMicros() - connectStartUs) / 1e6;
  // The workers are told to finish below, with the clients connected so far.
  const early = connectStop(run, readies, clients, connectSeconds, signal);
  const load = early === null ? await runLoad(run, collector, signal, clients, planned.length - clients, connectSeconds, crossShard) : { ...NO_LOAD, stop: early };
  const { status, error } = stopOutcome(load.stop);

  // An incomplete drain at QoS 1/2: listen a little longer, so deliveries that come only after the drain are told apart from loss.
  const lateWindowMs = status === 'completed' && !load.drainComplete && spec.params.qos !== 0 ? LATE_WINDOW_MS : 0;
  const finals = await Promise.all(workers.map((w) => w.request({ type: 'finish', lateWindowMs }, 'final', 30_000 + lateWindowMs)));
  const target: TargetUsage = { kind: run.target.bundled ? 'bundled' : 'external', url: run.target.url, ...(spec.broker !== null ? { broker: spec.broker } : {}), cpuSeconds: load.targetCpu, cpuMicrosPerMessage: null };
  const { steadySeconds, drainSeconds, drainComplete, cpuSeconds } = load;
  const base = { status, steadySeconds, connectSeconds, drainSeconds, drainComplete, cpuSeconds, target };
  const ctx: PhaseContext = error === undefined ? base : { ...base, error };
  const reports = finals.map((f) => f.report);
  const startAtMs = shard?.startAtMs ?? null;
  run.onRaw?.(shardPhase(shard?.run.spec.index ?? 1, spec, reports, collector.snapshots, ctx, load.loadStartEpochMs, startAtMs === null || load.loadStartEpochMs === null ? null : load.loadStartEpochMs - startAtMs, crossShard));
  if (shard === null) return mergePhase(spec, reports, collector.snapshots, ctx);
  return mergePhase(localSpec(spec, planned), localView(reports, planned), collector.snapshots, ctx);
}

/** What the load stage of a phase measured, and why it stopped. */
interface LoadOutcome {
  stop: StopReason;
  steadySeconds: number;
  drainSeconds: number;
  drainComplete: boolean;
  cpuSeconds: number;
  targetCpu: number | null;
  /** When the load began, wall clock, ms since the epoch (null: it never began). */
  loadStartEpochMs: number | null;
}

/** A phase that never started its load. */
const NO_LOAD: Omit<LoadOutcome, 'stop'> = { steadySeconds: 0, drainSeconds: 0, drainComplete: false, cpuSeconds: 0, targetCpu: null, loadStartEpochMs: null };

/** Why the phase stops before its load starts; null: it starts. */
function connectStop(
  run: PhaseRun,
  readies: Awaited<ReturnType<typeof connectWorkers>>,
  clients: number,
  connectSeconds: number,
  signal: AbortSignal,
): StopReason | null {
  if (readies === 'interrupted') return { kind: 'interrupted-connecting', connectSeconds };
  const failures = readies.flatMap((r) => r.failures);
  if (failures.length > 0) return { kind: 'connect-failed', message: connectFailureMessage(run.target.url, failures, clients, run.config.credentials) };
  if (signal.aborted) return { kind: 'interrupted-before-start' };
  return null;
}

/**
 * The load: start barrier, ramp, warm-up and steady window (a snapshot each second, the CPU
 * measured over the steady window), stop, then the drain.
 */
async function runLoad(run: PhaseRun, collector: SnapshotCollector, signal: AbortSignal, clients: number, late: number, connectSeconds: number, crossShard: boolean): Promise<LoadOutcome> {
  const { spec, workers } = run;
  const startAtMs = run.shard?.startAtMs ?? null;
  if (startAtMs !== null) {
    const { late: tooLate } = await waitForStart(startAtMs, START_DELAY_US / 1000, signal);
    if (tooLate !== null) return { ...NO_LOAD, stop: { kind: 'late-start', message: tooLate } };
  }
  const clock = phaseClock(spec, nowMicros());
  const loadStartEpochMs = Date.now() + (clock.startUs - nowMicros()) / 1000;
  for (const w of workers) w.post({ type: 'start', startUs: clock.startUs, steadyStartUs: clock.steadyStartUs });
  run.onNote?.(`phase ${spec.name}: ${clients} client(s) connected in ${connectSeconds.toFixed(2)}s, load started${late > 0 ? ` (${late} more join during the load)` : ''}`);
  const cpu = new CpuMeter(run.target.pid);
  const stopUs = await runStages(clock, spec, signal, (stage, from, seconds) => collector.tick(stage, from, seconds), () => cpu.start());
  for (const w of workers) w.post({ type: 'stop' });
  const used = cpu.stop();
  const publishingSeconds = (stopUs - clock.startUs) / 1e6;
  const gateReason = collector.gateReason;
  const stop: StopReason = !signal.aborted ? { kind: 'completed' } : gateReason !== null ? { kind: 'gate', publishingSeconds, reason: gateReason } : { kind: 'interrupted', publishingSeconds };

  const drainStartUs = nowMicros();
  const drainLength = spec.drainMs / 1000;
  const drainComplete = await drain(
    workers,
    spec.params.qos,
    signal.aborted ? Math.min(spec.drainMs, INTERRUPTED_DRAIN_MS) : spec.drainMs,
    () => (nowMicros() - clock.startUs >= (collector.t + 1) * 1e6 ? collector.tick('drain', drainStartUs, drainLength) : Promise.resolve()),
    crossShard,
  );
  const drainSeconds = (nowMicros() - drainStartUs) / 1e6;
  await collector.tick('drain', drainStartUs, drainLength);
  return {
    stop,
    steadySeconds: used === null ? 0 : (stopUs - clock.steadyStartUs) / 1e6,
    drainSeconds,
    drainComplete,
    cpuSeconds: used?.cpuSeconds ?? 0,
    targetCpu: used?.targetCpu ?? null,
    loadStartEpochMs: Math.round(loadStartEpochMs),
  };
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

function connectFailureMessage(url: string, failures: ReadonlyArray<{ kind: string; message: string }>, clients: number, credentials: Credentials | undefined): string {
  const byKind = new Map<string, number>();
  for (const f of failures) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([k, n]) => `${k}: ${n}`).join(', ');
  const first = failures[0]?.message ?? '';
  // A CONNACK refusing the credentials says "Not authorized" and nothing more: name the fix.
  const hint = authHint(failures.map((f) => f.message), credentials);
  return `${failures.length} of ${clients} client(s) could not connect to ${url} (${kinds}); first error: ${first}${hint === null ? '' : `; ${hint}`}`;
}
