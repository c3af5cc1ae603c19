/**
 * How small a regression the comparison rule (gates/baseline.ts) could have found on two
 * results: `compare` and `run --baseline` say when the runs are too short for the tolerance asked.
 * Pure.
 *
 * For each metric with per-second samples (received/sent rate, e2e p50/p99), the rule's own two
 * conditions are asked of a head that is the measured head moved by X in the worse direction:
 *  - the test: the head's steady seconds, scaled to the base's median (so only their spread and
 *    count are the head's), times (1 + X) for a latency or (1 - X) for a rate, against the base's
 *    steady seconds: two-sided Mann–Whitney U, p < 0.05, moving the worse way;
 *  - the spread: the base's figure moved by X beyond the base's worst steady second, or with
 *    repeats on both sides, every head repeat (scaled the same way) beyond every base repeat.
 * The smallest X meeting each is found by bisection (each is monotone in X); the larger of the two
 * is the smallest change the rule could call a regression, whatever the tolerance. When it is
 * above the tolerance (or no X would do), the runs are too short or too noisy for it. The
 * suggested --duration is the fewest steady seconds per side (pooled over the repeats) with which
 * the test alone would detect the tolerance, were both sides the base's seconds again (its
 * quantiles); --repeat 3 when the spread is what stands in the way.
 */
import { COMPARED_METRICS, metricDef, type MetricDef } from '../metrics/names.js';
import type { PhaseResult, ResultDocument } from '../metrics/result.js';
import { formatPercent } from '../metrics/format.js';
import { ALPHA, MIN_REPEATS, MIN_SAMPLES, PER_SECOND, repeatValues, steadyValues } from './baseline.js';
import { mannWhitneyU, median } from './stats.js';

export interface Detectable {
  metric: string;
  /** Steady seconds with a value on each side (pooled over repeats). */
  baseSeconds: number;
  headSeconds: number;
  /** Smallest relative change (0.25 for 25%) the test would find significant; null: none of any size. */
  test: number | null;
  /** Smallest relative change beyond the base's spread; null: none of any size. */
  spread: number | null;
}

/** Steady seconds per side tried for the suggested --duration (pooled over repeats). */
const SECONDS_TRIED = [4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];
/** Bisection steps: the answer to a relative precision far below the percent it is printed in. */
const STEPS = 50;

/** `values` moved by x in the worse direction of `def` (latency up, rate down). */
function moved(def: MetricDef, values: readonly number[], x: number): number[] {
  return values.map((v) => (def.better === 'higher' ? v * (1 - x) : v * (1 + x)));
}

const isWorse = (def: MetricDef, a: number, b: number): boolean => (def.better === 'higher' ? a < b : a > b);

/** The smallest x in (0, hi] for which ok holds (ok monotone in x), or null when even hi fails. */
function smallest(ok: (x: number) => boolean, hi: number): number | null {
  if (!ok(hi)) return null;
  let lo = 0;
  let up = hi;
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + up) / 2;
    if (ok(mid)) up = mid;
    else lo = mid;
  }
  return up;
}

/** The largest change searched: a rate cannot fall by more than all of it; a latency up to 100 times. */
const limit = (def: MetricDef): number => (def.better === 'higher' ? 1 - 1e-9 : 100);

/** `values` scaled so that their median is `to` (their spread and count kept). */
function rescaled(values: readonly number[], to: number): number[] {
  const m = median(values);
  return m === null || m === 0 ? [...values] : values.map((v) => (v * to) / m);
}

/** Smallest change the Mann–Whitney condition finds in `head` moved against `base`; null: none. */
export function testThreshold(def: MetricDef, base: readonly number[], head: readonly number[]): number | null {
  if (base.length < MIN_SAMPLES || head.length < MIN_SAMPLES) return null;
  const shape = rescaled(head, median(base) ?? 0);
  const worse = def.better === 'higher' ? -1 : 1;
  return smallest((x) => {
    const t = mannWhitneyU(moved(def, shape, x), base);
    return t.p < ALPHA && t.direction === worse;
  }, limit(def));
}

/** The detectable changes of one metric of a phase pair; null when it has no per-second samples. */
export function detectable(b: PhaseResult, h: PhaseResult, def: MetricDef): Detectable | null {
  const read = PER_SECOND[def.name];
  const figure = def.get(b);
  if (read === undefined || figure === null || def.better === null) return null;
  const base = steadyValues(b, read);
  const head = steadyValues(h, read);
  const br = repeatValues(b, def);
  const hr = repeatValues(h, def);
  let spread: number | null;
  if (br.length >= 2 && hr.length >= 2) {
    const shape = rescaled(hr, median(br) ?? 0);
    spread = smallest((x) => moved(def, shape, x).every((v) => br.every((w) => isWorse(def, v, w))), limit(def));
  } else if (base.length > 0) {
    const worst = def.better === 'higher' ? Math.min(...base) : Math.max(...base);
    spread = smallest((x) => isWorse(def, moved(def, [figure], x)[0] ?? figure, worst), limit(def));
  } else spread = null;
  return { metric: def.name, baseSeconds: base.length, headSeconds: head.length, test: testThreshold(def, base, head), spread };
}

/** Values at n evenly spaced quantiles of `values` (linear between order statistics). */
function quantiles(values: readonly number[], n: number): number[] {
  const s = [...values].sort((a, b) => a - b);
  return Array.from({ length: n }, (_, i) => {
    const at = ((i + 0.5) / n) * (s.length - 1);
    const lo = Math.floor(at);
    return (s[lo] ?? 0) + ((s[Math.min(lo + 1, s.length - 1)] ?? 0) - (s[lo] ?? 0)) * (at - lo);
  });
}

/**
 * Steady seconds per side with which the test alone would find a change of `tolerance`, both
 * sides spread as the base's seconds; with fewer than 2 base seconds (no spread known) the fewest
 * with which the test can reach p < 0.05 at all. null: not within SECONDS_TRIED.
 */
export function secondsNeeded(def: MetricDef, base: readonly number[], tolerance: number): number | null {
  for (const n of SECONDS_TRIED) {
    const shape = base.length >= 2 ? quantiles(base, n) : Array.from({ length: n }, (_, i) => i + 1);
    const x = base.length >= 2 ? testThreshold(def, shape, shape) : mannWhitneyU(shape.map((v) => v + n), shape).p < ALPHA ? 0 : null;
    if (x !== null && x <= tolerance) return n;
  }
  return null;
}

/** One line per phase whose runs could not detect a regression of `tolerance` in a compared per-second metric. */
export function shortRunNotes(base: ResultDocument, head: ResultDocument, tolerance: number, metrics: readonly string[] = COMPARED_METRICS): string[] {
  const defs = metrics.map((m) => metricDef(m)).filter((d): d is MetricDef => d !== null && PER_SECOND[d.name] !== undefined);
  const notes: string[] = [];
  for (const b of base.phases) {
    const h = head.phases.find((p) => p.name === b.name);
    if (h === undefined) continue;
    const found = defs.map((d) => ({ def: d, x: detectable(b, h, d) })).filter((f): f is { def: MetricDef; x: Detectable } => f.x !== null);
    const size = (x: Detectable): number => (x.test === null || x.spread === null ? Infinity : Math.max(x.test, x.spread));
    const worst = found.reduce<(typeof found)[number] | null>((a, f) => (a === null || size(f.x) > size(a.x) ? f : a), null);
    if (worst === null || size(worst.x) <= tolerance) continue;
    notes.push(`${b.name}: ${noteText(worst.def, worst.x, tolerance, b, h)}`);
  }
  return notes;
}

/** A relative change as a percentage; below 0.1% it reads 0%. */
const approx = (x: number): string => (x < 0.001 ? '0%' : formatPercent(x));

function noteText(def: MetricDef, x: Detectable, tolerance: number, b: PhaseResult, h: PhaseResult): string {
  const tol = formatPercent(tolerance);
  const seconds = `${x.baseSeconds} vs ${x.headSeconds} steady seconds`;
  const size = x.test === null || x.spread === null ? null : Math.max(x.test, x.spread);
  const why =
    x.test === null
      ? x.baseSeconds < MIN_SAMPLES || x.headSeconds < MIN_SAMPLES
        ? `fewer than ${MIN_SAMPLES} seconds with a value on a side, so no test`
        : 'too few for the test to reach p < 0.05 however far apart'
      : x.spread === null
        ? "the base's worst second is as bad as a figure can be"
        : '';
  const claim =
    size === null
      ? `no change of ${def.name}, however large, would be detected (${why})`
      : `a change of ${def.name} below ~${approx(size)} would not be detected (the test needs ~${approx(x.test ?? 0)}, the base's spread ~${approx(x.spread ?? 0)})`;
  const repeats = Math.min(b.repeats?.length ?? 1, h.repeats?.length ?? 1);
  const wantRepeat = repeats < MIN_REPEATS && (x.spread === null || x.spread > tolerance);
  const advice: string[] = [];
  if (wantRepeat) advice.push(`--repeat ${MIN_REPEATS}`);
  if (x.test === null || x.test > tolerance) {
    const n = secondsNeeded(def, steadyValues(b, PER_SECOND[def.name] ?? (() => null)), tolerance);
    const per = Math.max(repeats, wantRepeat ? MIN_REPEATS : 1);
    if (n === null) advice.push('a longer --duration (no run of up to 600 steady seconds would do at this spread)');
    else if (x.baseSeconds < MIN_SAMPLES) advice.push(`--duration ${Math.ceil(n / per)}s at the very least (the fewest steady seconds a side with which the test can reach p < ${ALPHA}; their spread will tell how many more)`);
    else advice.push(`--duration ${Math.ceil(n / per)}s`);
  }
  return `${seconds}: ${claim}, and ${tol} was asked${advice.length > 0 ? `; use ${advice.join(' and ')}` : ''}`;
}
