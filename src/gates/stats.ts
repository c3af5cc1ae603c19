/**
 * The statistics `compare` needs to tell a change from noise: the two-sided Mann–Whitney U
 * test (Wilcoxon rank-sum), medians and ranks. Pure functions, no dependencies.
 *
 * Why Mann–Whitney: benchmark samples (per-second rates, per-second percentiles, per-repeat
 * figures) are few, skewed and have outliers; the test assumes no distribution and only asks
 * whether one side tends to be larger than the other. It follows R's wilcox.test(x, y,
 * exact = NULL, correct = TRUE), which scipy.stats.mannwhitneyu(method='auto' with exact for
 * n < 50, use_continuity=True) also gives:
 *  - exact null distribution when both samples have fewer than 50 values and there are no
 *    ties (the count of arrangements per U, by the recurrence of Mann and Whitney 1947);
 *  - otherwise the normal approximation with the tie correction of the variance and the
 *    continuity correction (0.5 towards the mean).
 */

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x_i, y_j) with x_i > y_j, ties counting 1/2. */
  u: number;
  n1: number;
  n2: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
  /**
   * Which sample tends to be larger: 1 when x (U above n1*n2/2), -1 when y, 0 when neither.
   * The probability of superiority is u / (n1 * n2).
   */
  direction: 1 | -1 | 0;
}

/** Below this many values in each sample (and without ties) the exact distribution is used, as R does. */
export const EXACT_BELOW = 50;

/** Ranks 1..n of `values` in their own order, ties getting the average of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length).fill(0);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]!.v === order[start]!.v) end++;
    // Positions start..end-1 hold rank start+1..end: their average.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) out[order[k]!.i] = rank;
    start = end;
  }
  return out;
}

/** Sizes of the groups of equal values (only groups of 2 or more). */
export function tieGroups(values: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()].filter((t) => t > 1);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Two-sided Mann–Whitney U test of x against y. Both samples need at least one value; NaN
 * and infinite values are the caller's to drop. When every value of both samples is equal
 * there is no evidence of a difference: p = 1. method 'normal' skips the exact distribution
 * (R: exact = FALSE).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], method: 'auto' | 'normal' = 'auto'): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  const all = [...x, ...y];
  const r = ranks(all);
  let rankSumX = 0;
  for (let i = 0; i < n1; i++) rankSumX += r[i]!;
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const direction: 1 | -1 | 0 = u > mean ? 1 : u < mean ? -1 : 0;
  const ties = tieGroups(all);
  if (method === 'auto' && n1 < EXACT_BELOW && n2 < EXACT_BELOW && ties.length === 0) {
    return { u, n1, n2, p: exactTwoSided(u, n1, n2), method: 'exact', direction };
  }
  const n = n1 + n2;
  const tieTerm = ties.reduce((a, t) => a + (t * t * t - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, n1, n2, p: 1, method: 'normal', direction };
  const d = u - mean;
  // Continuity correction: half a step towards the mean (R: correct = TRUE).
  const z = (d - Math.sign(d) * 0.5) / Math.sqrt(variance);
  return { u, n1, n2, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))), method: 'normal', direction };
}

/**
 * Exact two-sided p: 2 * min(P(U <= u), P(U >= u)), capped at 1 (R's and scipy's definition).
 * The distribution of U is symmetric about n1*n2/2, so P(U >= u) = P(U <= n1*n2 - u).
 */
export function exactTwoSided(u: number, n1: number, n2: number): number {
  const counts = cachedDistribution(n1, n2);
  const total = counts.reduce((a, c) => a + c, 0);
  const cdf = (k: number): number => {
    let s = 0;
    for (let i = 0; i <= Math.floor(k + 1e-9) && i < counts.length; i++) s += counts[i]!;
    return s / total;
  };
  return Math.min(1, 2 * Math.min(cdf(u), cdf(n1 * n2 - u)));
}

/** uDistribution by sample sizes, kept: gates/sensitivity.ts asks the test of the same sizes many times. */
const distributions = new Map<string, readonly number[]>();

function cachedDistribution(n1: number, n2: number): readonly number[] {
  const key = `${n1},${n2}`;
  let d = distributions.get(key);
  if (d === undefined) {
    d = uDistribution(n1, n2);
    distributions.set(key, d);
  }
  return d;
}

/**
 * counts[k] = number of orderings of n1 x's and n2 y's in which U_x = k (sum C(n1+n2, n1)).
 * Recurrence on the largest value: an x there beats all n2 y's, a y beats none:
 * f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k); f(0, n, k) = f(m, 0, k) = [k = 0].
 * Only additions, so doubles stay exact to 2^53 and then lose only relative precision.
 */
export function uDistribution(n1: number, n2: number): number[] {
  // prev[j] holds f(i-1, j, .), cur[j] holds f(i, j, .).
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n2; j++) {
      const out = new Array<number>(i * j + 1).fill(0);
      const withX = prev[j]!; // f(i-1, j, k - j)
      for (let k = 0; k < withX.length; k++) out[k + j]! += withX[k]!;
      const withY = cur[j - 1]!; // f(i, j-1, k)
      for (let k = 0; k < withY.length; k++) out[k]! += withY[k]!;
      cur.push(out);
    }
    prev = cur;
  }
  return prev[n2]!;
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Complementary error function, Chebyshev fit with fractional error below 1.2e-7 everywhere
 * (Numerical Recipes in C, 2nd ed., erfcc): ample for p-values read against 0.05.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
