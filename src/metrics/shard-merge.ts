/**
 * `mqbench merge`: the results of the N shards of one run into the result one machine running
 * every shard's workers would have made. Each shard's result keeps its raw phase reports (the
 * workers' final reports and per-second snapshots, shard-result.ts); they are put side by side
 * as the workers of one coordinator and merged by the same mergePhase, so histograms add exactly,
 * counters sum, delivery is settled over every publisher and receiver of the whole plan, and
 * timelines are aligned by wall-clock second. Pure: gates and reports are the caller's.
 */
import { mergePhase, type PhaseContext } from './aggregate.js';
import { sumRecords } from './counters.js';
import { mergeEncoded, encode } from './histogram.js';
import type { HdrLogInterval } from './hdr-log.js';
import { hdrLogTag } from './hdr-log.js';
import type { IntervalSnapshot, WorkerPhaseReport } from './reports.js';
import type { PhaseResult, PhaseStatus, ResultDocument, RunStatus } from './result.js';
import type { ShardPhase, ShardSection } from './shard-result.js';

export interface ShardInput {
  file: string;
  doc: ResultDocument;
}

const RUN_RANK: Record<RunStatus, number> = { completed: 0, interrupted: 1, failed: 2 };
const PHASE_RANK: Record<PhaseStatus, number> = { completed: 0, skipped: 1, degraded: 2, interrupted: 3, failed: 4 };

/**
 * Why `inputs` are not the shards of one run, each naming the files and the fix; [] when they
 * are: every one has a shard section, one run id, one plan digest, one shard count, and together
 * they hold every shard exactly once.
 */
export function shardProblems(inputs: readonly ShardInput[]): string[] {
  const problems: string[] = [];
  const sharded = inputs.filter((i): i is ShardInput & { doc: { shard: ShardSection } } => i.doc.shard !== undefined);
  for (const i of inputs) if (i.doc.shard === undefined) problems.push(`${i.file} is not a shard's result (it has no shard section): merge the results of runs started with --shard i/N`);
  const first = sharded[0];
  if (first === undefined) return problems;
  for (const i of sharded.slice(1)) {
    if (i.doc.runId !== first.doc.runId) problems.push(`${i.file} is from run ${i.doc.runId}, ${first.file} from run ${first.doc.runId}: merge the shards of one run (same --run-id or --start-at)`);
    else if (i.doc.shard.digest !== first.doc.shard.digest) problems.push(`${i.file} planned other phases than ${first.file} (plan digest differs): every shard must run the same scenario with the same flags and --workers`);
    if (i.doc.shard.count !== first.doc.shard.count) problems.push(`${i.file} is a shard of ${i.doc.shard.count}, ${first.file} of ${first.doc.shard.count}: give every shard the same N`);
    if (i.doc.shard.clockSync !== first.doc.shard.clockSync) problems.push(`${i.file} ran ${i.doc.shard.clockSync ? 'with' : 'without'} --clock-sync, ${first.file} ${first.doc.shard.clockSync ? 'with' : 'without'}: give every shard the same`);
  }
  if (problems.length > 0) return problems;
  const where = new Map<number, string[]>();
  for (const i of sharded) for (const k of i.doc.shard.indexes) where.set(k, [...(where.get(k) ?? []), i.file]);
  for (const [k, files] of [...where].sort((a, b) => a[0] - b[0])) if (files.length > 1) problems.push(`shard ${k}/${first.doc.shard.count} is in more than one input: ${files.join(', ')}; give each shard once`);
  const missing = Array.from({ length: first.doc.shard.count }, (_, k) => k + 1).filter((k) => !where.has(k));
  if (missing.length > 0) problems.push(`shard(s) ${missing.join(', ')} of ${first.doc.shard.count} missing: give the result of every shard of run ${first.doc.runId}`);
  return problems;
}

/** The merged result; `inputs` must have passed shardProblems. Its verdict is not settled (gates/verdict.ts does it). */
export function mergeShards(inputs: readonly ShardInput[], command: string[]): ResultDocument {
  const docs = [...inputs].map((i) => i.doc).sort((a, b) => Math.min(...(a.shard?.indexes ?? [0])) - Math.min(...(b.shard?.indexes ?? [0])));
  const head = docs[0];
  if (head?.shard === undefined) throw new Error('mergeShards: no shard results');
  const raw = docs.flatMap((d) => d.shard?.phases ?? []).sort((a, b) => a.shard - b.shard);
  const indexes = docs.flatMap((d) => d.shard?.indexes ?? []).sort((a, b) => a - b);
  const names = [...new Set(raw.map((p) => p.name))];
  const worst = docs.reduce((w, d) => (RUN_RANK[d.status] > RUN_RANK[w.status] ? d : w), head);
  const out: ResultDocument = {
    schemaVersion: head.schemaVersion,
    tool: head.tool,
    env: head.env,
    runId: head.runId,
    status: worst.status,
    startedAt: docs.map((d) => d.startedAt).sort()[0] ?? head.startedAt,
    endedAt: docs.map((d) => d.endedAt).sort().at(-1) ?? head.endedAt,
    command,
    scenario: head.scenario,
    sockets: { ...head.sockets, workers: docs.reduce((a, d) => a + d.sockets.workers, 0) },
    phases: names.map((n) => mergeShardPhase(raw.filter((p) => p.name === n), indexes)),
    verdict: { passed: false, failures: [] },
    shard: {
      count: head.shard.count,
      indexes,
      digest: head.shard.digest,
      clockSync: head.shard.clockSync,
      startAt: head.shard.startAt,
      hosts: docs.flatMap((d) => d.shard?.hosts ?? []).sort((a, b) => a.shard - b.shard),
      phases: raw,
      crossShardPhases: [],
    },
  };
  if (worst.status !== 'completed' && worst.error !== undefined) out.error = `shard ${worst.shard?.indexes.join('+') ?? '?'}: ${worst.error}`;
  const targetErrors = sumRecords(docs.map((d) => d.targetErrors));
  if (targetErrors !== undefined) out.targetErrors = targetErrors;
  return out;
}

/**
 * One phase over the shards that ran it, as one coordinator would have merged their workers:
 * worker indexes numbered on over the shards (each worker's health says its shard), snapshots
 * moved to the second of the earliest load start, and a shard that never ran the phase named.
 */
function mergeShardPhase(parts: readonly ShardPhase[], indexes: readonly number[]): PhaseResult {
  const head = parts[0];
  if (head === undefined) throw new Error('mergeShards: a phase with no shard');
  const starts = parts.map((p) => p.loadStartEpochMs).filter((t): t is number => t !== null);
  const origin = starts.length === 0 ? 0 : Math.min(...starts);
  const reports: WorkerPhaseReport[] = [];
  const snapshots: IntervalSnapshot[] = [];
  for (const p of parts) {
    const offset = reports.length;
    const shiftSeconds = p.loadStartEpochMs === null ? 0 : Math.round((p.loadStartEpochMs - origin) / 1000);
    for (const r of p.reports) reports.push({ ...r, workerIndex: offset + r.workerIndex, health: { ...r.health, workerIndex: offset + r.health.workerIndex, shard: p.shard } });
    for (const s of p.snapshots) snapshots.push({ ...s, workerIndex: offset + s.workerIndex, t: s.t + shiftSeconds });
  }
  const ran = new Set(parts.map((p) => p.shard));
  const absent = indexes.filter((k) => !ran.has(k));
  return mergePhase(head.spec, reports, snapshots, mergeContexts(parts, absent));
}

/** The shards' phase contexts as one: the worst status, the longest windows, CPU added, the target's CPU once. */
function mergeContexts(parts: readonly ShardPhase[], absent: readonly number[]): PhaseContext {
  const ctxs = parts.map((p) => p.ctx);
  const worst = parts.reduce((w, p) => (PHASE_RANK[p.ctx.status] > PHASE_RANK[w.ctx.status] ? p : w));
  const errors = parts.filter((p) => p.ctx.error !== undefined).map((p) => `shard ${p.shard}: ${p.ctx.error ?? ''}`);
  if (absent.length > 0) errors.push(`shard(s) ${absent.join(', ')} did not run this phase: its figures are not the whole plan's`);
  const measured = ctxs.map((c) => c.target.cpuSeconds).filter((v): v is number => v !== null);
  const ctx: PhaseContext = {
    status: absent.length > 0 ? 'failed' : worst.ctx.status,
    steadySeconds: Math.max(...ctxs.map((c) => c.steadySeconds)),
    connectSeconds: Math.max(...ctxs.map((c) => c.connectSeconds)),
    drainSeconds: Math.max(...ctxs.map((c) => c.drainSeconds)),
    drainComplete: ctxs.every((c) => c.drainComplete),
    cpuSeconds: ctxs.reduce((a, c) => a + c.cpuSeconds, 0),
    // Every shard measures the same broker over the same window (when it can see its pid): once, the largest.
    target: { ...worst.ctx.target, cpuSeconds: measured.length === 0 ? null : Math.max(...measured) },
  };
  if (errors.length > 0) ctx.error = errors.join('; ');
  return ctx;
}

/**
 * --hdr-log: one interval per phase and wall-clock second of end-to-end latency (the workers'
 * per-second histograms added; a shard's seconds land on the merged second by their wall time).
 */
export function hdrIntervals(raw: readonly ShardPhase[]): HdrLogInterval[] {
  const byKey = new Map<string, { tag: string; startEpochMs: number; encoded: string[] }>();
  for (const p of raw) {
    if (p.loadStartEpochMs === null) continue;
    const tag = hdrLogTag(p.name, 'e2e');
    for (const s of p.snapshots) {
      if (s.e2e === '') continue;
      const startEpochMs = p.loadStartEpochMs + (s.t - 1) * 1000;
      const key = `${tag}\u0000${Math.floor(startEpochMs / 1000)}`;
      const entry = byKey.get(key) ?? { tag, startEpochMs, encoded: [] };
      entry.startEpochMs = Math.min(entry.startEpochMs, startEpochMs);
      entry.encoded.push(s.e2e);
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].map((e) => {
    const h = mergeEncoded(e.encoded);
    const encoded = encode(h);
    h.destroy();
    return { tag: e.tag, startEpochMs: e.startEpochMs, lengthMs: 1000, encoded };
  });
}
