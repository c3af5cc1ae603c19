/**
 * Gunther's Universal Scalability Law, fitted to measured levels:
 *
 *   X(N) = lambda * N / (1 + sigma * (N - 1) + kappa * N * (N - 1))
 *
 * N the load level (clients, or offered messages/s), X the throughput it achieved; sigma is
 * contention (the serial share), kappa coherency (the cost of keeping state in step, which makes
 * throughput fall past a peak), lambda the throughput of one unit of load without either.
 *
 * Least squares in X. For fixed sigma and kappa the best lambda has a closed form
 * (sum X f / sum f^2 with f = N / denominator), so only two parameters are searched: a grid
 * (sigma linear in [0, 1], kappa log-spaced from 1e-12 to 1 and 0) and then a pattern search
 * that halves its steps around the best point. No derivatives, so no divergence on flat or
 * noisy data, and the answer stays within the physical ranges (sigma in [0, 1], kappa >= 0).
 * kappa's grid is scaled by the smallest level, so it fits levels in any unit.
 */

export interface UslPoint {
  /** Load level (N). */
  n: number;
  /** Throughput achieved at that level (X). */
  x: number;
}

export interface UslFit {
  sigma: number;
  kappa: number;
  lambda: number;
  /** Coefficient of determination on the fitted points (1 is a perfect fit). */
  rSquared: number;
  /** Level with the highest modelled throughput, sqrt((1 - sigma) / kappa); null when kappa is 0 (no peak). */
  peakN: number | null;
  /** Points the fit used. */
  points: number;
}

/** Fewer points than this and three parameters say nothing. */
export const MIN_USL_POINTS = 3;

export function uslThroughput(n: number, p: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

/** The fit, or null with fewer than MIN_USL_POINTS usable points (positive, finite N and X). */
export function fitUsl(input: readonly UslPoint[]): UslFit | null {
  const pts = input.filter((p) => Number.isFinite(p.n) && Number.isFinite(p.x) && p.n > 0 && p.x >= 0);
  if (new Set(pts.map((p) => p.n)).size < MIN_USL_POINTS) return null;
  // kappa is searched as k = kappa * scale^2 (scale: the smallest level), so one grid of k
  // covers levels of 1-100 clients and of 1,000-1,000,000 messages/s alike; every candidate is
  // evaluated on the original N.
  const scale = Math.min(...pts.map((p) => p.n));
  const sse = (sigma: number, kappaScaled: number): { sse: number; lambda: number } => residual(pts, sigma, kappaScaled / (scale * scale));
  let best = { sigma: 0, k: 0, ...sse(0, 0) };
  const consider = (sigma: number, k: number): void => {
    if (sigma < 0 || sigma > 1 || k < 0) return;
    const r = sse(sigma, k);
    if (r.sse < best.sse) best = { sigma, k, ...r };
  };
  const linear = linearised(pts);
  if (linear !== null) consider(Math.min(1, Math.max(0, linear.sigma)), Math.max(0, linear.kappa) * scale * scale);
  for (let i = 0; i <= 50; i++) {
    const sigma = i / 50;
    consider(sigma, 0);
    for (let e = -12; e <= 0; e += 0.25) consider(sigma, 10 ** e);
  }
  // Pattern search: sigma steps additive, kappa steps multiplicative (it spans decades), the
  // diagonals too (sigma and kappa trade off along a ridge the axis moves alone crawl along).
  let dSigma = 0.02;
  let fK = 1.8;
  for (let iter = 0; iter < 400 && (dSigma > 1e-9 || fK > 1 + 1e-9); iter++) {
    const before = best.sse;
    const k = best.k;
    const s = best.sigma;
    const ks = k > 0 ? [k, k * fK, k / fK] : [0, 1e-12];
    for (const dk of ks) for (const ds of [-dSigma, 0, dSigma]) consider(s + ds, dk);
    if (best.sse >= before) {
      dSigma /= 2;
      fK = Math.sqrt(fK);
    }
  }
  const kappa = best.k / (scale * scale);
  const mean = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const total = pts.reduce((a, p) => a + (p.x - mean) ** 2, 0);
  const rSquared = total === 0 ? (best.sse === 0 ? 1 : 0) : 1 - best.sse / total;
  return {
    sigma: best.sigma,
    kappa,
    lambda: best.lambda,
    rSquared,
    peakN: kappa > 0 ? Math.sqrt((1 - best.sigma) / kappa) : null,
    points: pts.length,
  };
}

/**
 * The linearised USL: N / X = ((1 - sigma) + (sigma - kappa) N + kappa N^2) / lambda, a quadratic
 * in N fitted by ordinary least squares (c0 + c1 N + c2 N^2); then 1/lambda = c0 + c1 + c2,
 * sigma = (c1 + c2) lambda, kappa = c2 lambda. Exact on exact data, a starting point on noisy
 * data (it weighs errors in N/X, not in X). Null when the normal equations are singular.
 */
function linearised(pts: readonly UslPoint[]): { sigma: number; kappa: number } | null {
  const usable = pts.filter((p) => p.x > 0);
  if (usable.length < MIN_USL_POINTS) return null;
  // Normal equations of y = c0 + c1 n + c2 n^2, n scaled to [0, 1] for conditioning.
  const top = Math.max(...usable.map((p) => p.n));
  const m = [0, 0, 0, 0, 0];
  const v = [0, 0, 0];
  for (const p of usable) {
    const n = p.n / top;
    const y = p.n / p.x;
    for (let k = 0; k < 5; k++) m[k] = (m[k] as number) + n ** k;
    for (let k = 0; k < 3; k++) v[k] = (v[k] as number) + y * n ** k;
  }
  const [s0, s1, s2, s3, s4] = m as [number, number, number, number, number];
  const c = solve3(
    [
      [s0, s1, s2],
      [s1, s2, s3],
      [s2, s3, s4],
    ],
    v as [number, number, number],
  );
  if (c === null) return null;
  const [c0, c1s, c2s] = c;
  const c1 = c1s / top;
  const c2 = c2s / (top * top);
  const inv = c0 + c1 + c2;
  if (!(inv > 0)) return null;
  const lambda = 1 / inv;
  return { sigma: (c1 + c2) * lambda, kappa: c2 * lambda };
}

/** Cramer's rule for a 3x3 system; null when it is (nearly) singular. */
function solve3(a: number[][], b: [number, number, number]): [number, number, number] | null {
  const det = (m: number[][]): number => {
    const g = (r: number, col: number): number => (m[r] as number[])[col] as number;
    return g(0, 0) * (g(1, 1) * g(2, 2) - g(1, 2) * g(2, 1)) - g(0, 1) * (g(1, 0) * g(2, 2) - g(1, 2) * g(2, 0)) + g(0, 2) * (g(1, 0) * g(2, 1) - g(1, 1) * g(2, 0));
  };
  const d = det(a);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-300) return null;
  const withColumn = (col: number): number[][] => a.map((row, r) => row.map((x, j) => (j === col ? b[r] as number : x)));
  return [det(withColumn(0)) / d, det(withColumn(1)) / d, det(withColumn(2)) / d];
}

/** Sum of squared errors with the best lambda for this sigma and kappa (closed form). */
function residual(pts: readonly UslPoint[], sigma: number, kappa: number): { sse: number; lambda: number } {
  let xf = 0;
  let ff = 0;
  const fs = pts.map((p) => p.n / (1 + sigma * (p.n - 1) + kappa * p.n * (p.n - 1)));
  pts.forEach((p, i) => {
    const f = fs[i] as number;
    xf += p.x * f;
    ff += f * f;
  });
  const lambda = ff === 0 ? 0 : xf / ff;
  let sse = 0;
  pts.forEach((p, i) => {
    sse += (p.x - lambda * (fs[i] as number)) ** 2;
  });
  return { sse, lambda };
}
