/**
 * The flags of `mqbench capacity` on top of the run flags: the dimension searched, its range and
 * steps, the precision, confirmations and the SLO. The workload itself (target, transport, QoS,
 * payload, clients, scenario file) is read by the run command's flag layer (run-config.ts,
 * scenario-run.ts), so `capacity` and `run` refuse a bad flag with the same words. Every problem
 * is an issue; all are reported at once.
 */
import { DIMENSIONS, type Dimension, type Precision, type SearchSettings, type Step } from '../plan/capacity-search.js';
import { dimensionProblem, scenarioAtLevel } from '../plan/capacity-level.js';
import { planPhases } from '../plan/plan.js';
import { DEFAULT_MIN_DELIVERY } from '../gates/capacity-conditions.js';
import type { Threshold } from '../config/model.js';
import { unmatchedThresholds } from '../gates/threshold.js';
import { publishes, type Scenario } from '../config/model.js';
import type { AddIssue } from '../config/endpoints.js';
import type { ConfigIssue } from '../config/issue.js';
import type { LiveOutputFlags } from '../config/live-outputs.js';
import { flagThresholds } from '../config/read-flags.js';
import { buildRunConfig } from '../config/run-config.js';
import type { RawRunFlags } from '../config/run-flags.js';
import { buildScenarioRun } from '../config/scenario-run.js';
import { parseRate, type Parsed } from '../config/units.js';
import { MAX_RATE_PER_CLIENT, oneOf, readers, rules } from '../config/value-rules.js';
import type { CapacityPlan } from '../coordinator/capacity.js';

export interface RawCapacityFlags {
  dimension?: unknown;
  from?: unknown;
  to?: unknown;
  step?: unknown;
  precision?: unknown;
  slo?: unknown;
  minDelivery?: unknown;
  stepDuration?: unknown;
  confirm?: unknown;
}

export interface CapacityFlags {
  dimension: Dimension;
  search: SearchSettings;
  slo: Threshold[];
  minDelivery: number;
  /** As given, for the result. */
  shown: { step: string; precision: string };
}

/** Defaults per dimension: from, to (the upper bound) and the first steps. */
export const CAPACITY_DEFAULTS: Record<Dimension, { from: number; to: number; step: string }> = {
  rate: { from: 1000, to: 1_000_000, step: 'x2' },
  connections: { from: 1000, to: 100_000, step: 'x2' },
  publishers: { from: 1, to: 10_000, step: 'x2' },
  subscribers: { from: 1, to: 10_000, step: 'x2' },
};
export const DEFAULT_PRECISION = '5%';
export const DEFAULT_CONFIRM = 1;
export const MAX_CONFIRM = 10;
/** The default steady window of one level: as `run`'s --duration. */
export const DEFAULT_STEP_DURATION = '10s';

/** Run flags that make no sense for a search, and what to use instead. */
const RUN_ONLY: ReadonlyArray<{ key: keyof RawRunFlags; flag: string; instead: string }> = [
  { key: 'threshold', flag: '--threshold', instead: 'give the SLO with --slo (same grammar)' },
  { key: 'abortOnFail', flag: '--abort-on-fail', instead: 'a level that fails is how the search finds the knee' },
  { key: 'baseline', flag: '--baseline', instead: 'compare capacity results with mqbench compare' },
  { key: 'maxRegression', flag: '--max-regression', instead: 'it applies with --baseline, which capacity does not take' },
  { key: 'latencyFloor', flag: '--latency-floor', instead: 'it applies with --baseline, which capacity does not take' },
  { key: 'repeat', flag: '--repeat', instead: 'use --confirm N to repeat the best level' },
  { key: 'shard', flag: '--shard', instead: 'a search decides each level from the last one, on one machine; shard a run at a fixed level instead (mqbench run --shard i/N)' },
  { key: 'shards', flag: '--shards', instead: 'a search runs on one machine; shard a run (mqbench run --shards N)' },
  { key: 'startAt', flag: '--start-at', instead: 'it applies with --shard, which capacity does not take' },
  { key: 'phaseGap', flag: '--phase-gap', instead: 'it applies with --start-at, which capacity does not take' },
  { key: 'clockSync', flag: '--clock-sync', instead: 'it applies with --shard, which capacity does not take' },
  { key: 'hdrLog', flag: '--hdr-log', instead: 'HdrHistogram logs are written by mqbench run' },
];

/** The run flag each dimension sets at every level: giving it too is a contradiction. */
const OWNED: Record<Dimension, ReadonlyArray<{ key: keyof RawRunFlags; flag: string }>> = {
  rate: [
    { key: 'rate', flag: '--rate' },
    { key: 'inflight', flag: '--inflight' },
  ],
  connections: [{ key: 'connections', flag: '--connections' }],
  publishers: [{ key: 'publishers', flag: '--publishers' }],
  subscribers: [{ key: 'subscribers', flag: '--subscribers' }],
};

const given = (v: unknown): boolean => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

/** A level: messages/s ('5k/s', '3000') for rate, a whole number otherwise. */
function levelParser(dim: Dimension): (v: string | number) => Parsed<number> {
  if (dim === 'rate') return parseRate;
  return (v) => {
    const n = Number(v);
    return /^\s*\d+\s*$/.test(String(v)) && n >= 1 ? { ok: true, value: n } : { ok: false, error: `'${String(v)}' must be a whole number of ${dim}, 1 or more` };
  };
}

/** 'x2' (each step doubles), '+500' or '500' (linear); levels for rate may carry /s. */
export function parseStep(text: string, dim: Dimension): Parsed<Step> {
  const t = text.trim();
  const factor = /^[x*×]\s*(\d+(?:\.\d+)?)$/i.exec(t)?.[1];
  if (factor !== undefined) {
    const by = Number(factor);
    return by > 1 ? { ok: true, value: { kind: 'factor', by } } : { ok: false, error: `'${text}': a factor must be above 1, e.g. x2` };
  }
  const linear = levelParser(dim)(t.replace(/^\+\s*/, ''));
  if (!linear.ok) return { ok: false, error: `'${text}' is not a step; use x2 (each level doubles) or a number to add, e.g. ${dim === 'rate' ? '+500 or 500/s' : '+10'}` };
  return { ok: true, value: { kind: 'linear', by: linear.value } };
}

/** '5%' (of the lower end of the bracket) or an absolute amount in the dimension's unit. */
export function parsePrecision(text: string, dim: Dimension): Parsed<Precision> {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text)?.[1];
  if (pct !== undefined) {
    const fraction = Number(pct) / 100;
    return fraction > 0 && fraction < 1 ? { ok: true, value: { kind: 'relative', fraction } } : { ok: false, error: `'${text}' must be above 0% and below 100%, e.g. 5%` };
  }
  const abs = levelParser(dim)(text);
  if (!abs.ok) return { ok: false, error: `'${text}' is not a precision; use a percentage of the level (5%) or an amount (${dim === 'rate' ? '100/s' : '10'})` };
  return { ok: true, value: { kind: 'absolute', by: abs.value } };
}

/** '95%' or a fraction '0.95', above 0 and at most 100%. */
export function parseShare(text: string): Parsed<number> {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t)?.[1];
  const v = pct !== undefined ? Number(pct) / 100 : /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (pct === undefined && v > 1) return { ok: false, error: `'${text}' is ambiguous: a bare number is a fraction (0.95 = 95%); write ${v}% if you mean percent` };
  return v > 0 && v <= 1 ? { ok: true, value: v } : { ok: false, error: `'${text}' is not a share; use a percentage above 0 and at most 100%, e.g. 95%, or a fraction such as 0.95` };
}

/** Run flags capacity refuses, whatever the dimension; and the ones the dimension sets itself. */
export function refusedRunFlags(run: RawRunFlags, dim: Dimension, withFile: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const r of RUN_ONLY) if (given(run[r.key])) issues.push({ where: r.flag, message: `not a capacity flag: ${r.instead}` });
  // With a file, client flags are refused by the file's own rule (scenario-run.ts) already.
  for (const o of withFile ? [] : OWNED[dim]) {
    if (given(run[o.key])) issues.push({ where: o.flag, message: `the search sets this at every level (--dimension ${dim}); give the range with --from and --to` });
  }
  return issues;
}

export function readCapacityFlags(raw: RawCapacityFlags): { flags: CapacityFlags } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const add: AddIssue = (where, message) => {
    issues.push({ where, message });
  };
  const { int, unit } = readers(add);
  const dimension = oneOf('--dimension', raw.dimension, DIMENSIONS, 'rate', add);
  const d = CAPACITY_DEFAULTS[dimension];
  const level = levelParser(dimension);
  const from = unit('--from', raw.from, d.from, level, d.from);
  const to = unit('--to', raw.to, d.to, level, d.to);
  if (from > to) add('--from/--to', `--from ${from} is above --to ${to}; the search runs from --from up to --to`);
  const stepText = raw.step === undefined ? d.step : String(raw.step);
  const step = unit('--step', stepText, stepText, (v) => parseStep(String(v), dimension), { kind: 'factor', by: 2 } as Step);
  const precisionText = raw.precision === undefined ? DEFAULT_PRECISION : String(raw.precision);
  const precision = unit('--precision', precisionText, precisionText, (v) => parsePrecision(String(v), dimension), { kind: 'relative', fraction: 0.05 } as Precision);
  const confirm = int('--confirm', raw.confirm, DEFAULT_CONFIRM, 0, MAX_CONFIRM);
  const minDelivery = raw.minDelivery === undefined ? DEFAULT_MIN_DELIVERY : unit('--min-delivery', String(raw.minDelivery), '', (v) => parseShare(String(v)), DEFAULT_MIN_DELIVERY);
  const slo = flagThresholds(raw.slo, add, '--slo');
  if (issues.length > 0) return { issues };
  return { flags: { dimension, search: { from, to, step, precision, confirm }, slo, minDelivery, shown: { step: stepText, precision: precisionText } } };
}


/**
 * Everything `mqbench capacity [scenario]` was given, validated at once: the workload by the run
 * command's flag layer (a file with flags on top, or flags alone; one QoS level by default, QoS 1),
 * the search flags, the SLO (--slo and the file's slo:), and the checks that need both (one phase,
 * a dimension the scenario has, SLO scopes that select the phase, the rate per client at --to).
 */
export function resolveCapacity(file: string | undefined, run: RawRunFlags, cap: RawCapacityFlags, interactive: boolean): { plan: CapacityPlan; notes: string[]; live: LiveOutputFlags } | { issues: ConfigIssue[] } {
  const read = readCapacityFlags(cap);
  const dim = 'flags' in read ? read.flags.dimension : DIMENSIONS.includes(cap.dimension as Dimension) ? (cap.dimension as Dimension) : 'rate';
  const issues: ConfigIssue[] = [...('issues' in read ? read.issues : []), ...refusedRunFlags(run, dim, file !== undefined)];
  if (cap.stepDuration !== undefined && run.duration !== undefined) issues.push({ where: '--duration', message: 'a capacity level\'s steady window is --step-duration; drop --duration' });
  const flags: RawRunFlags = { ...run, duration: cap.stepDuration ?? run.duration ?? (file === undefined ? DEFAULT_STEP_DURATION : undefined), threshold: undefined, abortOnFail: undefined };
  if (file === undefined) {
    if (flags.qos === undefined) flags.qos = '1';
    // The dimension's own flag starts at --from, so the flag layer checks the workload as the first level runs it.
    const from = 'flags' in read ? String(read.flags.search.from) : undefined;
    if (from !== undefined) flags[OWNED[dim][0]?.key ?? 'rate'] = from;
  }
  const built = file !== undefined && file !== '' ? buildScenarioRun(file, flags, interactive) : buildRunConfig(flags, interactive);
  // --step-duration reaches the flag layer as --duration: a problem with it names the flag given.
  if ('issues' in built) issues.push(...built.issues.map((i) => (i.where === '--duration' && cap.stepDuration !== undefined ? { ...i, where: '--step-duration' } : i)));
  else issues.push(...shapeIssues(built.config, dim));
  if ('issues' in built || 'issues' in read || issues.length > 0) return { issues };
  // A file's thresholds: are the gates of `run`; a search is judged by slo: and --slo alone, and says so.
  const unused = built.config.thresholds.filter((t) => t.source === 'scenario').map((t) => t.expression);
  const notes = unused.length === 0 ? [] : [`${file}: its thresholds: (${unused.join('; ')}) gate \`mqbench run\`; a capacity search is judged by slo: and --slo only (move them under slo: to search with them)`];
  const base: Scenario = { ...built.config, thresholds: [], abortOnFail: false };
  const slo = [...(base.slo ?? []), ...read.flags.slo];
  // The default upper bound of a rate search stays within what the publishers may be asked to send.
  if (dim === 'rate' && cap.to === undefined) read.flags.search.to = Math.max(read.flags.search.from, Math.min(read.flags.search.to, publishingClients(base) * MAX_RATE_PER_CLIENT));
  issues.push(...planIssues(base, read.flags, slo));
  if (issues.length > 0) return { issues };
  const f = read.flags;
  return {
    notes,
    live: built.run.live,
    plan: {
      scenario: base,
      dimension: f.dimension,
      search: f.search,
      conditions: { slo, minDelivery: f.minDelivery },
      settings: {
        from: f.search.from,
        to: f.search.to,
        step: f.shown.step,
        precision: f.shown.precision,
        confirm: f.search.confirm,
        minDelivery: f.minDelivery,
        warmupSeconds: base.load.warmupMs / 1000,
        stepSeconds: base.load.durationMs / 1000,
        slo: slo.map((t) => t.expression),
      },
    },
  };
}

function publishingClients(s: Scenario): number {
  return s.groups.filter((g) => publishes(g.role)).reduce((a, g) => a + g.clients, 0);
}

/** Checks of the workload's shape: one phase per level, and a group the dimension can scale. */
function shapeIssues(base: Scenario, dim: Dimension): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const problem = dimensionProblem(base, dim);
  if (problem !== null) issues.push({ where: '--dimension', message: problem });
  if (base.cells.length !== 1) {
    issues.push({ where: base.file === null ? '--qos' : `${base.file}: matrix`, message: `a capacity search measures one phase per level; this describes ${base.cells.length} (${base.file === null ? 'give one QoS level, e.g. --qos 1' : 'drop the matrix or narrow it with --qos, --transport, --payload'})` });
  }
  return issues;
}

/** Checks that need the resolved scenario and the search together (the shape is known to be good). */
function planIssues(base: Scenario, f: CapacityFlags, slo: readonly Threshold[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const planned = planPhases(scenarioAtLevel(base, f.dimension, f.search.from), 'check');
  issues.push(...unmatchedThresholds(slo, planned).map((u) => ({ where: u.where.replace('--threshold', '--slo').replace(/^thresholds/, `${base.file ?? ''}: slo`), message: u.message })));
  const top = scenarioAtLevel(base, f.dimension, f.search.to);
  for (const g of top.groups) {
    const fast = g.rate === null ? null : rules.ratePerClient(g.rate, g.clients, 'publisher(s)');
    if (fast !== null) issues.push({ where: '--to', message: `at --to ${f.search.to}, group ${g.name}: ${fast}` });
  }
  return issues;
}
