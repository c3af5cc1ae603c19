/**
 * A whole run: target (named, or the bundled broker started here), reachability probe,
 * workers, phases one after another, result document. Always returns a document, also
 * when the run fails or is interrupted; the CLI writes it and picks the exit code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage } from '../drivers/errors.js';
import { planPhases, type PhaseSpec } from '../plan/plan.js';
import type { Scenario } from '../config/model.js';
import { closeDocument, newDocument } from './document.js';
import { liveBreach, phaseBreach } from '../gates/verdict.js';
import type { PhaseResult, ResultDocument, RunStatus } from '../metrics/result.js';
import type { Progress } from '../metrics/reports.js';
import type { LiveSecond } from '../metrics/live.js';
import { runPhase } from './coordinator.js';
import { Endpoints, firstUnreachable, startServers } from './servers.js';
import { phaseSecondsLeft, plannedSeconds } from './phase-clock.js';
import { spawnWorkers, type WorkerHandle } from './worker-pool.js';
import { derivedRunId, type ShardFlags } from '../config/shard-flags.js';
import { wallClockOffsetUs } from '../metrics/clock.js';
import type { ShardPhase } from '../metrics/shard-result.js';
import { phaseStarts, type ShardRun } from './shard-phase.js';

/** Why a run could not complete; maps to exit code 3. */
export type RunOutcome =
  | { kind: 'completed' }
  | { kind: 'interrupted' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'failed'; message: string }
  /** --abort-on-fail: a gate could no longer pass, the rest of the run was skipped (exit 1, not 3). */
  | { kind: 'gate'; message: string };

export interface RunHooks {
  /** Source addresses from preflight(); empty: the OS picks. */
  sources: string[];
  signal: AbortSignal;
  command: string[];
  onProgress?: (p: Progress) => void;
  /** Planned seconds after this run (later repeats), added to the progress line's time left. */
  laterSeconds?: number;
  onPhase?: (p: PhaseResult) => void;
  /** Human-readable notes (target started, phase failed); never on stdout with --json. */
  onNote?: (line: string) => void;
  /** An unsharded run's raw phase reports and snapshots (--hdr-log); a shard's go into its result instead. */
  onRaw?: (raw: ShardPhase) => void;
  /** Each second of each phase's load, with the run's id (--metrics-listen, --timeline). */
  onSecond?: (s: LiveSecond) => void;
}

/** After an interrupt, how long a worker may take to exit before it is terminated, milliseconds. */
const INTERRUPTED_SHUTDOWN_MS = 500;

/** The phases of one run, planned once under the run's id; the CLI checks them before any load and passes them to executeRun. */
export interface RunPlan {
  runId: string;
  phases: PhaseSpec[];
  /** --shard: which shard this process runs and when; null unsharded. */
  shard: ShardRun | null;
}

/**
 * The run id (in topics and client ids, so runs against one broker never mix: --run-id, derived
 * from --start-at for shards, else new) and the phases under it. A shard's plan has a digest of the
 * phases and the worker count (the {worker} topic variable depends on it), the same in every shard.
 */
export function planRun(config: Scenario, given: { runId?: string | null; shard?: ShardFlags | null } = {}): RunPlan {
  const flags = given.shard ?? null;
  const runId = given.runId ?? (flags?.startAt != null ? derivedRunId(flags.startAt, config.name, sha256) : randomBytes(3).toString('hex'));
  const phases = planPhases(config, runId);
  if (flags === null) return { runId, phases, shard: null };
  const digest = sha256(JSON.stringify({ phases, workers: config.workers }));
  return {
    runId,
    phases,
    shard: { spec: flags.shard, clockSync: flags.clockSync, wireEpochUs: wallClockOffsetUs(), startAtMs: flags.startAtMs, phaseGapMs: flags.phaseGapMs, digest },
  };
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * Runs the planned phases of `config`. The document returned has its status, phases and error;
 * its verdict is settled by the caller (gates/verdict.ts), once, after repeats and a baseline.
 */
export async function executeRun(config: Scenario, plan: RunPlan, hooks: RunHooks): Promise<{ doc: ResultDocument; outcome: RunOutcome }> {
  const { runId } = plan;
  const doc = newDocument(runId, config, hooks.command, new Date());
  const phases: PhaseResult[] = [];
  let outcome: RunOutcome = { kind: 'completed' };
  const servers: Array<{ stop(): Promise<Record<string, number>> }> = [];
  let workers: WorkerHandle[] = [];
  const raw: ShardPhase[] = [];

  try {
    const specs = plan.phases;
    const starts = plan.shard?.startAtMs == null ? null : phaseStarts(specs, plan.shard.startAtMs, plan.shard.phaseGapMs);
    const endpoints = new Endpoints(config, await startServers(config, specs, servers, hooks.onNote));
    const targets = specs.map((spec) => endpoints.forPhase(spec, hooks.sources));
    const unreachable = await firstUnreachable(targets.flatMap((t) => t.endpoints.map((e, i) => ({ e, url: t.urls[i] ?? t.url }))));
    if (unreachable !== null) {
      outcome = { kind: 'unreachable', message: unreachable };
    } else {
      const mostClients = Math.max(...specs.map((s) => s.groups.reduce((a, g) => a + g.clients, 0)));
      workers = spawnWorkers(Math.max(1, Math.min(config.workers, mostClients)));
      for (const [i, spec] of specs.entries()) {
        const target = targets[i];
        if (hooks.signal.aborted || target === undefined) break;
        hooks.onNote?.(`phase ${spec.name}: connecting clients`);
        const result = await runPhase({
          spec,
          config,
          target,
          workers,
          signal: hooks.signal,
          ...(hooks.onProgress ? { onProgress: runProgress(hooks.onProgress, specs, i, hooks.laterSeconds ?? 0) } : {}),
          ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
          ...(hooks.onSecond ? { onSecond: (s) => hooks.onSecond?.({ ...s, runId }) } : {}),
          ...(config.abortOnFail ? { liveGate: (max: Parameters<typeof liveBreach>[2]) => liveBreach(config.thresholds, spec, max) } : {}),
          ...(plan.shard === null ? {} : { shard: { run: plan.shard, startAtMs: starts?.[i] ?? null } }),
          ...(plan.shard !== null || hooks.onRaw !== undefined ? { onRaw: (r: ShardPhase) => (plan.shard === null ? hooks.onRaw?.(r) : raw.push(r)) } : {}),
        });
        phases.push(result);
        hooks.onPhase?.(result);
        if (result.status === 'failed') {
          outcome = { kind: 'failed', message: `${result.name}: ${result.error ?? 'failed'}` };
          break;
        }
        const stop = config.abortOnFail && !hooks.signal.aborted ? gateStop(config, result) : null;
        if (stop !== null) {
          const left = specs.length - i - 1;
          outcome = { kind: 'gate', message: `${stop}${left > 0 ? `; ${left} later phase(s) not run` : ''}` };
          hooks.onNote?.(`mqbench: ${outcome.message}`);
          break;
        }
      }
      if (outcome.kind === 'completed' && hooks.signal.aborted) outcome = { kind: 'interrupted' };
    }
  } catch (err) {
    outcome = hooks.signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', message: errorMessage(err) };
  } finally {
    await stopAll(workers, servers, hooks.signal.aborted, doc);
  }
  const { status, error } = endOf(outcome);
  const closed = closeDocument(doc, status, error, phases, new Date());
  if (plan.shard !== null) closed.shard = shardSection(plan.shard, raw, config, status);
  return { doc: closed, outcome };
}

/** A shard's own `shard` section: which shard of which plan, with its raw phase reports for `mqbench merge`. */
function shardSection(shard: ShardRun, raw: ShardPhase[], config: Scenario, status: RunStatus): NonNullable<ResultDocument['shard']> {
  return {
    count: shard.spec.count,
    indexes: [shard.spec.index],
    digest: shard.digest,
    clockSync: shard.clockSync,
    startAt: shard.startAtMs === null ? null : new Date(shard.startAtMs).toISOString(),
    hosts: [{ shard: shard.spec.index, hostname: hostname(), workers: config.workers, status }],
    phases: raw,
    crossShardPhases: raw.filter((p) => p.crossShard).map((p) => p.name),
  };
}

/** A phase's progress with its place in the run and the run's planned seconds left (this phase's, the later phases', `later`). */
function runProgress(onProgress: (p: Progress) => void, specs: readonly PhaseSpec[], i: number, later: number): (p: Progress) => void {
  const after = specs.slice(i + 1).reduce((a, s) => a + plannedSeconds(s), later);
  const spec = specs[i] as PhaseSpec;
  return (p) => onProgress({ ...p, index: i + 1, count: specs.length, leftSeconds: phaseSecondsLeft(spec, p.stage, p.elapsed, p.length) + after });
}

/**
 * The end of a run or a search: the workers shut down and the bundled servers stopped; the
 * client errors the servers saw, by message, go on `doc` (targetErrors). After an interrupt the
 * phase's figures are in; a worker still holding connection attempts the interrupt abandoned (a
 * target that never answers CONNACK) is terminated soon instead of at 3 s.
 */
export async function stopAll(workers: readonly WorkerHandle[], servers: ReadonlyArray<{ stop(): Promise<Record<string, number>> }>, interrupted: boolean, doc: ResultDocument): Promise<void> {
  await Promise.all(workers.map((w) => (interrupted ? w.shutdown(INTERRUPTED_SHUTDOWN_MS) : w.shutdown())));
  const errors: Record<string, number> = {};
  for (const s of servers) Object.assign(errors, await s.stop());
  if (Object.keys(errors).length > 0) doc.targetErrors = errors;
}

/** The document's status and error for how a run or a search ended. */
export function endOf(outcome: RunOutcome): { status: RunStatus; error: string | undefined } {
  if (outcome.kind === 'completed') return { status: 'completed', error: undefined };
  if (outcome.kind === 'interrupted') return { status: 'interrupted', error: 'interrupted by signal' };
  return { status: 'failed', error: outcome.message };
}

/**
 * --abort-on-fail after a phase: why the run stops, or null. A phase interrupted without Ctrl-C
 * was stopped by the live gate, and its error says so; else its first failed gate.
 */
function gateStop(config: Scenario, result: PhaseResult): string | null {
  if (result.status === 'interrupted') return result.error ?? 'stopped by --abort-on-fail';
  const breach = phaseBreach(config.thresholds, result);
  return breach === null ? null : `stopped by --abort-on-fail: ${breach}`;
}
