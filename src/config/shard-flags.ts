/**
 * The flags of a run split over processes or machines: --shard i/N (or MQBENCH_SHARD, or
 * --shards N with the JOB_COMPLETION_INDEX a Kubernetes Indexed Job sets), --start-at (the
 * common start), --phase-gap, --run-id (topics and client ids must be the same in every shard),
 * --clock-sync. Pure: the environment is passed in.
 */
import type { AddIssue } from './endpoints.js';
import { given, type RawRunFlags } from './run-flags.js';
import { parseDuration } from './units.js';

export interface ShardSpec {
  /** 1-based: this process is shard `index` of `count`. */
  index: number;
  count: number;
}

export type ShardParse = { ok: true; value: ShardSpec } | { ok: false; error: string };

/** 'i/N' with 1 <= i <= N. */
export function parseShard(text: string): ShardParse {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    return { ok: false, error: `"${text}" is not a shard: give i/N with 1 <= i <= N, e.g. --shard 2/3 for the second of three processes` };
  }
  return { ok: true, value: { index, count } };
}

/**
 * A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (0 to completions - 1) in each pod; with
 * --shards N it names the pod's shard.
 */
export function shardFromIndex(completionIndex: string, count: number): ShardParse {
  const k = /^\d+$/.test(completionIndex.trim()) ? Number(completionIndex.trim()) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) return { ok: false, error: `--shards ${count}: give the number of shards, a whole number of at least 1` };
  if (!Number.isSafeInteger(k) || k >= count) {
    return { ok: false, error: `JOB_COMPLETION_INDEX "${completionIndex}" is not a shard of --shards ${count}: it must be 0 to ${count - 1} (the Job's completions must equal --shards)` };
  }
  return { ok: true, value: { index: k + 1, count } };
}

/** How this process takes part in a sharded run; null when it is not sharded. */
export interface ShardFlags {
  shard: ShardSpec;
  /** --start-at as given, and in ms since the epoch; null: each phase starts when its clients are connected. */
  startAt: string | null;
  startAtMs: number | null;
  phaseGapMs: number;
  clockSync: boolean;
  /** Where the shard came from: --shard (or MQBENCH_SHARD), or --shards with a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. */
  source: 'flag' | 'indexed-job';
}

export const DEFAULT_PHASE_GAP = '5s';
/** A --start-at further in the past than this cannot be met (the first phase would fail as late). */
const PAST_LIMIT_MS = 2000;
const RUN_ID = /^[A-Za-z0-9_-]{1,24}$/;

/**
 * A Kubernetes Indexed Job's shard, folded into the flags before they are read: with --shards N
 * (or MQBENCH_SHARDS), JOB_COMPLETION_INDEX names the pod's shard. (MQBENCH_SHARD is read like
 * every MQBENCH_ variable, config/env-flags.ts.)
 */
export function withShardEnvironment(raw: RawRunFlags, env: Readonly<Record<string, string | undefined>>): { flags: RawRunFlags; issues: Array<{ where: string; message: string }> } {
  if (given(raw.shard)) return { flags: raw, issues: [] };
  const index = env.JOB_COMPLETION_INDEX;
  if (!given(raw.shards) || index === undefined || index === '') return { flags: raw, issues: [] };
  const parsed = shardFromIndex(index, Number(String(raw.shards)));
  if (!parsed.ok) return { flags: raw, issues: [{ where: '--shards', message: parsed.error }] };
  return { flags: { ...raw, shard: `${parsed.value.index}/${parsed.value.count}` }, issues: [] };
}

/** The shard flags read, every problem added; null when the run is not sharded. */
export function readShardFlags(raw: RawRunFlags, add: AddIssue, nowMs = Date.now()): ShardFlags | null {
  const shard = shardOf(raw, add);
  const others: Array<[string, unknown]> = [
    ['--start-at', raw.startAt],
    ['--phase-gap', raw.phaseGap],
    ['--clock-sync', raw.clockSync === true ? true : undefined],
  ];
  if (shard === null) {
    for (const [flag, v] of others) if (given(v)) add(flag, 'only applies to a sharded run: give --shard i/N (or --shards N in a Kubernetes Indexed Job)');
    return null;
  }
  const startAt = given(raw.startAt) ? String(raw.startAt) : null;
  let startAtMs: number | null = null;
  if (startAt !== null) {
    const ms = /(Z|[+-]\d\d:?\d\d)$/i.test(startAt.trim()) ? Date.parse(startAt) : NaN;
    if (!Number.isFinite(ms)) add('--start-at', `"${startAt}" is not a time with its zone: give ISO 8601 such as 2026-12-01T18:00:00Z (every shard must read the same instant), e.g. $(date -u -d '+30 sec' +%FT%TZ)`);
    else if (ms < nowMs - PAST_LIMIT_MS) add('--start-at', `${startAt} is already ${((nowMs - ms) / 1000).toFixed(0)}s past: give a time far enough ahead for every shard to start and connect`);
    else startAtMs = ms;
  }
  const gap = parseDuration(given(raw.phaseGap) ? String(raw.phaseGap) : DEFAULT_PHASE_GAP);
  if (!gap.ok) add('--phase-gap', gap.error);
  if (!given(raw.runId) && startAt === null) {
    add('--shard', 'the shards of one run need the same run id (it is in every topic and client id): give --run-id ID, or --start-at, from which one is derived');
  }
  return { shard, startAt, startAtMs, phaseGapMs: gap.ok ? gap.value : 0, clockSync: raw.clockSync === true, source: given(raw.shards) ? 'indexed-job' : 'flag' };
}

/** --run-id as given (checked), or null. */
export function readRunId(raw: RawRunFlags, add: AddIssue): string | null {
  if (!given(raw.runId)) return null;
  const runId = String(raw.runId);
  if (RUN_ID.test(runId)) return runId;
  add('--run-id', `"${runId}" cannot be used in topics and client ids: 1 to 24 letters, digits, '-' or '_'`);
  return null;
}

/** --shard i/N; with --shards N beside it (a Kubernetes Indexed Job's, folded in), the two must agree. */
function shardOf(raw: RawRunFlags, add: AddIssue): ShardSpec | null {
  if (!given(raw.shard)) {
    if (given(raw.shards)) add('--shards', 'takes the shard from JOB_COMPLETION_INDEX, which a Kubernetes Indexed Job sets in each pod; outside one, give --shard i/N');
    return null;
  }
  const parsed = parseShard(String(raw.shard));
  if (!parsed.ok) {
    add('--shard', parsed.error);
    return null;
  }
  if (given(raw.shards) && Number(String(raw.shards)) !== parsed.value.count) add('--shards', `--shards ${String(raw.shards)} contradicts --shard ${String(raw.shard)}; give one of them`);
  return parsed.value;
}

/** The run id every shard derives from the same --start-at and scenario name. */
export function derivedRunId(startAt: string, scenarioName: string, hash: (s: string) => string): string {
  return hash(`${new Date(Date.parse(startAt)).toISOString()}\u0000${scenarioName}`).slice(0, 6);
}
