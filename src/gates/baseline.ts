/**
 * Base versus head: the comparison engine of `mqbench compare` and `run --baseline`.
 * Pure: two result documents in, a Comparison (schema.ts) out.
 *
 * The rule, per phase (matched by name) and metric:
 *  1. missing     one side has no value.
 *  2. unchanged   the change in the worse direction is within the tolerance (--max-regression),
 *                 or, for latencies, the two differ by less than the latency floor (default
 *                 250us: on a loaded machine timer and scheduler jitter moves sub-millisecond
 *                 percentiles by that much between identical runs; a relative tolerance alone
 *                 would call 200us -> 300us a 50% regression). Metrics that say nothing about
 *                 better or worse (sent, received counts) are never judged.
 *  3. counts of lost, duplicated, out-of-order messages, errors, failed connections: exact, no
 *     noise to test. Worse beyond the tolerance, or any rise from 0, is a regression.
 *  4. otherwise samples of the metric from both sides: the steady window's per-second values
 *     (received/sent per second, per-second e2e p50/p99), pooled over every repeat; for figures
 *     with no per-second value (p99.9, CPU or bytes per message) the per-repeat figures when both
 *     ran with --repeat 3 or more. A regression is worse beyond the tolerance, and beyond the
 *     run-to-run spread: with per-second samples a two-sided Mann–Whitney U test p < 0.05 (the
 *     samples moving the same way) AND head beyond the base's spread between runs (every head
 *     repeat worse than every base repeat; without repeats, head's figure worse than the base's
 *     worst second), because seconds of one run see only the noise inside a run; with per-repeat
 *     samples, every head repeat worse than every base repeat. Better the same way: improved.
 *     Beyond the tolerance without that evidence, or with no samples: within noise.
 */
import { COMPARED_METRICS, metricDef, type MetricDef } from '../metrics/names.js';
import type { Comparison, ComparisonRow, ComparisonVerdict, PhaseResult, ResultDocument } from '../metrics/result.js';
import { mannWhitneyU, median } from './stats.js';
import { formatMetric, formatP, formatPercent } from '../metrics/format.js';

export interface CompareOptions {
  /** Tolerance, a fraction of the base value (0.1 for 10%). */
  maxRegression: number;
  /** Latency differences below this many microseconds are noise; default 250, 0 disables. */
  latencyFloorUs?: number;
  /** Metric names (metrics/names.ts); default COMPARED_METRICS. */
  metrics?: readonly string[];
  baseFile: string;
  headFile: string;
}

export const DEFAULT_LATENCY_FLOOR_US = 250;
/** Significance level of the Mann–Whitney test. */
export const ALPHA = 0.05;
/** Repeats per side needed before per-repeat figures are the samples. */
export const MIN_REPEATS = 3;
/** Fewer samples than this on a side: no test (p would be meaningless). */
export const MIN_SAMPLES = 2;

const EXACT_COUNTS = new Set(['lost', 'duplicated', 'outOfOrder', 'errors', 'connectFailures', 'reconnects', 'disconnects']);

/** Metrics with a per-second value in the timeline, and how to read it from a steady point. */
export const PER_SECOND: Record<string, (p: PhaseResult['timeline'][number]) => number | null> = {
  'received.rate': (t) => t.received,
  'sent.rate': (t) => t.sent,
  // A second with no delivery has no latency (the timeline writes 0): not a sample.
  'e2e.p50': (t) => (t.received > 0 ? t.p50 : null),
  'e2e.p99': (t) => (t.received > 0 ? t.p99 : null),
};

export function isExactCount(def: MetricDef): boolean {
  return EXACT_COUNTS.has(def.name) || def.name.startsWith('errors.') || def.unit === 'bool';
}

export function compareDocuments(base: ResultDocument, head: ResultDocument, opts: CompareOptions): Comparison {
  const floor = opts.latencyFloorUs ?? DEFAULT_LATENCY_FLOOR_US;
  const names = opts.metrics ?? COMPARED_METRICS;
  const defs = new Map<string, MetricDef>();
  for (const n of names) {
    const d = metricDef(n);
    if (d === null) throw new RangeError(`unknown metric '${n}'`);
    if (!defs.has(d.name)) defs.set(d.name, d);
  }
  const headByName = new Map(head.phases.map((p) => [p.name, p]));
  const baseNames = new Set(base.phases.map((p) => p.name));
  const rows: ComparisonRow[] = [];
  for (const b of base.phases) {
    const h = headByName.get(b.name);
    if (h === undefined) continue;
    for (const def of defs.values()) {
      const row = compareMetric(b, h, def, opts.maxRegression, floor);
      if (row !== null) rows.push(row);
    }
  }
  return {
    base: { file: opts.baseFile, runId: base.runId, startedAt: base.startedAt },
    head: { file: opts.headFile, runId: head.runId, startedAt: head.startedAt },
    maxRegression: opts.maxRegression,
    method: describeMethod(opts.maxRegression, floor),
    rows,
    onlyInBase: base.phases.filter((p) => !headByName.has(p.name)).map((p) => p.name),
    onlyInHead: head.phases.filter((p) => !baseNames.has(p.name)).map((p) => p.name),
    regressions: rows.filter((r) => r.verdict === 'regression').length,
  };
}

/**
 * One phase against another (matched by the caller, whatever their names), for the given
 * metrics: the rows compareDocuments would give. `mqbench capacity` judges its confirmations so.
 */
export function comparePhases(b: PhaseResult, h: PhaseResult, metrics: readonly string[], opts: { maxRegression: number; latencyFloorUs?: number }): ComparisonRow[] {
  const floor = opts.latencyFloorUs ?? DEFAULT_LATENCY_FLOOR_US;
  const rows: ComparisonRow[] = [];
  for (const n of new Set(metrics)) {
    const def = metricDef(n);
    if (def === null) throw new RangeError(`unknown metric '${n}'`);
    const row = compareMetric(b, h, def, opts.maxRegression, floor);
    if (row !== null) rows.push(row);
  }
  return rows;
}

export function describeMethod(maxRegression: number, floorUs: number): string {
  const tol = formatPercent(maxRegression);
  const floor = floorUs > 0 ? ` (latencies also by at least ${formatMetric('us', floorUs)}, below which timer and scheduler jitter dominate)` : '';
  return (
    `a metric regresses when it is worse than the base by more than ${tol}${floor} and beyond the run-to-run spread: ` +
    `rates and e2e p50/p99 by a two-sided Mann-Whitney U test, p < ${ALPHA}, on the steady seconds of all repeats, with head also worse than every base repeat ` +
    `(without repeats: than the base's worst second); other figures with every head repeat worse than every base repeat (--repeat ${MIN_REPEATS} or more on both sides); ` +
    `counts of lost, duplicated, out-of-order messages and errors are exact (any rise beyond ${tol}, or from 0, regresses); ` +
    `changes beyond ${tol} without that evidence are reported as within noise`
  );
}

function compareMetric(b: PhaseResult, h: PhaseResult, def: MetricDef, tolerance: number, floorUs: number): ComparisonRow | null {
  const baseValue = finite(def.get(b));
  const headValue = finite(def.get(h));
  if (baseValue === null && headValue === null) return null;
  const exact = isExactCount(def);
  const samples = exact ? { kind: 'exact' as const, base: [] as number[], head: [] as number[] } : samplesOf(b, h, def);
  const row: ComparisonRow = {
    phase: b.name,
    metric: def.name,
    unit: def.unit,
    better: def.better,
    base: baseValue,
    head: headValue,
    change: baseValue !== null && headValue !== null && baseValue !== 0 ? (headValue - baseValue) / Math.abs(baseValue) : null,
    verdict: 'unchanged',
    pValue: null,
    samples: { kind: samples.kind, base: samples.base.length, head: samples.head.length },
    note: '',
  };
  // The test runs whenever both sides have samples, so every row shows its p-value; only rows
  // beyond the tolerance depend on it. Head first: direction 1 means head's samples are larger.
  const enough = samples.kind !== 'exact' && samples.base.length >= MIN_SAMPLES && samples.head.length >= MIN_SAMPLES;
  const test = enough ? mannWhitneyU(samples.head, samples.base) : null;
  const set = (verdict: ComparisonVerdict, note: string): ComparisonRow => ({ ...row, verdict, note, pValue: test?.p ?? null });

  if (baseValue === null || headValue === null) {
    return set('missing', `no value in ${baseValue === null ? 'base' : 'head'} (nothing measured there)`);
  }
  if (def.better === null) return set('unchanged', 'not judged: describes the load, neither better nor worse');
  const tol = formatPercent(tolerance);
  // Positive: head is worse than base by this much.
  const worseBy = def.better === 'lower' ? headValue - baseValue : baseValue - headValue;
  if (worseBy === 0) return set('unchanged', 'same value');
  const relative = baseValue !== 0 ? worseBy / Math.abs(baseValue) : worseBy > 0 ? Infinity : -Infinity;
  const word = worseBy > 0 ? 'worse' : 'better';
  const by = Number.isFinite(relative) ? `${formatPercent(Math.abs(relative))} ${word}` : `${word} (from 0)`;

  if (def.unit === 'us' && floorUs > 0 && Math.abs(headValue - baseValue) < floorUs) {
    return set('unchanged', `${by}, but the difference (${formatMetric('us', Math.abs(headValue - baseValue))}) is under the ${formatMetric('us', floorUs)} latency floor`);
  }
  if (Math.abs(relative) <= tolerance) return set('unchanged', `${by}: within the ${tol} tolerance`);

  if (exact) {
    if (worseBy > 0) return set('regression', `${by}: an exact count, beyond the ${tol} tolerance`);
    return set('improved', `${by}: an exact count`);
  }
  if (samples.kind === 'none') {
    return set('within-noise', `${by}, beyond ${tol}, but no spread known: run both sides with --repeat ${MIN_REPEATS} or more`);
  }
  const what = samples.kind === 'repeats' ? 'repeats' : 'steady seconds';
  // Beyond the spread: seconds of one run see only the noise inside a run, so the change must
  // also clear what varies between runs: every head repeat worse than every base repeat, or
  // without repeats, head's figure worse than the base's worst steady second.
  const spread = beyondSpread(b, h, def, headValue, samples);
  if (samples.kind === 'repeats') {
    const pText = test === null ? '' : `, ${formatP(test.p)}`;
    if (worseBy > 0 && spread.beyond) return set('regression', `${by}, beyond ${tol}, and ${spread.text}${pText}`);
    if (worseBy < 0 && allWorse(def, repeatValues(b, def), repeatValues(h, def))) return set('improved', `${by}, beyond ${tol}, every head repeat better than every base repeat${pText}`);
    return set('within-noise', `${by}, beyond ${tol}, but the repeats overlap (${samples.base.length} vs ${samples.head.length}${pText})`);
  }
  if (test === null) {
    return set('within-noise', `${by}, beyond ${tol}, but too few ${what} to test (${samples.base.length} vs ${samples.head.length}); run longer or with --repeat ${MIN_REPEATS}`);
  }
  const p = test.p;
  const pText = `${formatP(p)} over ${samples.base.length} vs ${samples.head.length} ${what}`;
  const samplesWorse = def.better === 'lower' ? test.direction === 1 : test.direction === -1;
  const samplesBetter = def.better === 'lower' ? test.direction === -1 : test.direction === 1;
  if (p < ALPHA && worseBy > 0 && samplesWorse) {
    if (spread.beyond) return set('regression', `${by}, beyond ${tol}, significant (${pText}) and ${spread.text}`);
    return set('within-noise', `${by}, beyond ${tol}, significant within the runs (${pText}) but not beyond the base's spread: ${spread.text}`);
  }
  if (p < ALPHA && worseBy < 0 && samplesBetter) return set('improved', `${by}, beyond ${tol}, significant (${pText})`);
  if (p < ALPHA) {
    const medians = `medians ${formatMetric(def.unit, median(samples.base))} -> ${formatMetric(def.unit, median(samples.head))}`;
    return set('within-noise', `${by}, beyond ${tol}, but the ${what} move the other way (${medians}, ${pText})`);
  }
  return set('within-noise', `${by}, beyond ${tol}, not significant (${pText})`);
}

/** Worse for this metric: a beyond b in its bad direction. */
const worse = (def: MetricDef, a: number, b: number): boolean => (def.better === 'lower' ? a > b : a < b);
/** The worst of these values for this metric. */
const worstOf = (def: MetricDef, values: number[]): number => (def.better === 'lower' ? Math.max(...values) : Math.min(...values));
/** The best of these values for this metric. */
const bestOf = (def: MetricDef, values: number[]): number => (def.better === 'lower' ? Math.min(...values) : Math.max(...values));

/** Every value of `a` worse than every value of `b`: the repeats do not overlap (two or more each). */
function allWorse(def: MetricDef, a: number[], b: number[]): boolean {
  return a.length >= 2 && b.length >= 2 && worse(def, bestOf(def, a), worstOf(def, b));
}

/** Is head beyond the base's run-to-run spread (in the worse direction), and in words why (not). */
function beyondSpread(b: PhaseResult, h: PhaseResult, def: MetricDef, headValue: number, samples: { kind: string; base: number[] }): { beyond: boolean; text: string } {
  const baseRepeats = repeatValues(b, def);
  const headRepeats = repeatValues(h, def);
  if (baseRepeats.length >= 2 && headRepeats.length >= 2) {
    const beyond = allWorse(def, headRepeats, baseRepeats);
    const range = `base repeats ${formatMetric(def.unit, Math.min(...baseRepeats))}..${formatMetric(def.unit, Math.max(...baseRepeats))}, head ${formatMetric(def.unit, Math.min(...headRepeats))}..${formatMetric(def.unit, Math.max(...headRepeats))}`;
    return { beyond, text: beyond ? `every head repeat is worse than every base repeat (${range})` : `the repeats overlap (${range})` };
  }
  if (samples.kind === 'seconds' && samples.base.length > 0) {
    const worstSecond = worstOf(def, samples.base);
    const beyond = worse(def, headValue, worstSecond);
    const vs = `${formatMetric(def.unit, headValue)} vs the base's worst second ${formatMetric(def.unit, worstSecond)}`;
    return { beyond, text: beyond ? `worse than every steady second of the base (${vs})` : `inside the base's per-second range (${vs}); --repeat ${MIN_REPEATS} on both sides measures the spread between runs` };
  }
  return { beyond: false, text: 'no spread known' };
}

interface Samples {
  kind: 'repeats' | 'seconds' | 'none';
  base: number[];
  head: number[];
}

/**
 * Per-second values where the timeline has them (pooled over every repeat), else per-repeat
 * figures when both sides ran at least MIN_REPEATS times, else none.
 */
function samplesOf(b: PhaseResult, h: PhaseResult, def: MetricDef): Samples {
  const perSecond = PER_SECOND[def.name];
  if (perSecond !== undefined) {
    return { kind: 'seconds', base: steadyValues(b, perSecond), head: steadyValues(h, perSecond) };
  }
  if ((b.repeats?.length ?? 0) >= MIN_REPEATS && (h.repeats?.length ?? 0) >= MIN_REPEATS) {
    return { kind: 'repeats', base: repeatValues(b, def), head: repeatValues(h, def) };
  }
  return { kind: 'none', base: [], head: [] };
}

export function repeatValues(p: PhaseResult, def: MetricDef): number[] {
  return (p.repeats ?? []).map((r) => finite(r[def.name] ?? null)).filter((v): v is number => v !== null);
}

export function steadyValues(p: PhaseResult, read: (t: PhaseResult['timeline'][number]) => number | null): number[] {
  return p.timeline
    // Results written before `stage` existed only marked warm-up seconds.
    .filter((t) => (t.stage === undefined ? !t.warmup : t.stage === 'steady'))
    .map(read)
    .filter((v): v is number => v !== null && Number.isFinite(v));
}

function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

