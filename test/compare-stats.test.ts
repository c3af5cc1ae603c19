/**
 * The Mann–Whitney U test of src/gates/stats.ts against known values. Each expected p is
 * derived by hand where that is short (in the comment), and checked against R's
 * wilcox.test(x, y, correct = TRUE) / scipy.stats.mannwhitneyu(x, y, alternative='two-sided',
 * use_continuity=True) with method 'exact' (no ties, both n < 50) or 'asymptotic' otherwise;
 * the scipy 1.17 figures are written out in full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { erfc, exactTwoSided, mannWhitneyU, median, normalUpperTail, ranks, tieGroups, uDistribution } from '../src/gates/stats.js';

const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

interface Case {
  name: string;
  x: number[];
  y: number[];
  method?: 'auto' | 'normal';
  u: number;
  p: number;
  kind: 'exact' | 'normal';
}

const CASES: Case[] = [
  // Complete separation, 4 vs 4: U = 0 happens in 1 of C(8,4) = 70 orderings; two-sided 2/70.
  { name: 'separated 4 vs 4', x: [1, 2, 3, 4], y: [5, 6, 7, 8], u: 0, p: 2 / 70, kind: 'exact' },
  // The same with y first: U = 16 = n1*n2, the mirror image, same p.
  { name: 'separated 4 vs 4, reversed', x: [5, 6, 7, 8], y: [1, 2, 3, 4], u: 16, p: 2 / 70, kind: 'exact' },
  // 3 vs 3: 2 / C(6,3) = 2/20.
  { name: 'separated 3 vs 3', x: [1, 2, 3], y: [4, 5, 6], u: 0, p: 0.1, kind: 'exact' },
  // R's ?wilcox.test example (Hollander & Wolfe, permeability constants): W = 35, one-sided p 0.1272; two-sided 0.2544122544.
  { name: 'R example, 10 vs 5', x: [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46], y: [1.15, 0.88, 0.9, 0.74, 1.21], u: 35, p: 0.2544122544122544, kind: 'exact' },
  // Perfect interleaving 6 vs 6: U = 15 (1+2+...+5), near the mean 18; scipy exact 0.6991341991.
  { name: 'interleaved 6 vs 6', x: [1, 3, 5, 7, 9, 11], y: [2, 4, 6, 8, 10, 12], u: 15, p: 0.6991341991341992, kind: 'exact' },
  // One value each: U = 0 is one of two orderings: 2 * 1/2 = 1.
  { name: 'one value each', x: [1], y: [2], u: 0, p: 1, kind: 'exact' },
  // Ties, so the normal approximation. Ranks: 1 -> 1; 2,2 -> 2.5; 3 x4 -> 5.5; 4,4 -> 8.5; 5,5 -> 10.5; 6 -> 12.
  // R_x = 1 + 2*2.5 + 3*5.5 = 22.5, U = 22.5 - 21 = 1.5. Tie term 6+60+6+6 = 78;
  // var = 36/12 * (13 - 78/132) = 37.2273; z = (1.5 - 18 + 0.5)/6.1014 = -2.6223; p = 0.0087328.
  { name: 'ties, 6 vs 6', x: [1, 2, 2, 3, 3, 3], y: [3, 4, 4, 5, 5, 6], u: 1.5, p: 0.008732768512539242, kind: 'normal' },
  // R's ?wilcox.test depression data read as two samples (1.06 and 1.29 tied in y): scipy asymptotic 0.1329194582.
  { name: 'ties, 9 vs 9', x: [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3], y: [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29], u: 58, p: 0.13291945818531892, kind: 'normal' },
  // Per-second rates of two steady windows, mostly equal: U = 12.5 = the mean, p = 1.
  { name: 'per-second rates, heavy ties', x: [500, 500, 501, 499, 500], y: [498, 500, 500, 502, 500], u: 12.5, p: 1, kind: 'normal' },
  // Forced normal on the separated 4 vs 4: z = (0 - 8 + 0.5)/sqrt(16*9/12) = -2.1651; p = 0.0303828.
  { name: 'separated 4 vs 4, normal', x: [1, 2, 3, 4], y: [5, 6, 7, 8], method: 'normal', u: 0, p: 0.03038282197657749, kind: 'normal' },
  // 50 vs 50 is past the exact limit (n < 50): normal without ties; evens vs odds, U = 1225; scipy 0.8658764107.
  { name: '50 vs 50 interleaved', x: range(0, 100, 2), y: range(1, 101, 2), u: 1225, p: 0.8658764106823897, kind: 'normal' },
  // 50 vs 50 shifted by 25 (25 ties): scipy asymptotic 1.0470727832e-10.
  { name: '50 vs 50 shifted', x: range(0, 50), y: range(25, 75), u: 312.5, p: 1.0470727831975629e-10, kind: 'normal' },
  // Every value equal: no evidence at all.
  { name: 'all equal', x: [3, 3, 3], y: [3, 3], u: 3, p: 1, kind: 'normal' },
];

for (const c of CASES) {
  test(`Mann-Whitney: ${c.name}`, () => {
    const r = mannWhitneyU(c.x, c.y, c.method ?? 'auto');
    assert.equal(r.method, c.kind);
    assert.equal(r.u, c.u);
    assert.equal(r.n1, c.x.length);
    assert.equal(r.n2, c.y.length);
    // erfc is good to 1.2e-7 relative; the exact path is exact to rounding.
    assert.ok(Math.abs(r.p - c.p) <= 1e-6 * c.p + 1e-12, `p ${r.p}, expected ${c.p}`);
    const mean = (c.x.length * c.y.length) / 2;
    assert.equal(r.direction, c.u > mean ? 1 : c.u < mean ? -1 : 0);
  });
}

test('the p-value does not depend on which sample comes first', () => {
  for (const c of CASES) {
    const a = mannWhitneyU(c.x, c.y, c.method ?? 'auto');
    const b = mannWhitneyU(c.y, c.x, c.method ?? 'auto');
    assert.ok(Math.abs(a.p - b.p) < 1e-12, c.name);
    assert.equal(a.u + b.u, c.x.length * c.y.length, c.name);
    assert.equal(a.direction, -b.direction || 0, c.name);
  }
});

test('exact distribution of U: counts sum to C(n1+n2, n1) and are symmetric', () => {
  // 2 vs 2: orderings xxyy.. give U = 0,1,2,2,3,4: counts [1,1,2,1,1].
  assert.deepEqual(uDistribution(2, 2), [1, 1, 2, 1, 1]);
  // 3 vs 2: U in 0..6, counts [1,1,2,2,2,1,1] (10 = C(5,2)).
  assert.deepEqual(uDistribution(3, 2), [1, 1, 2, 2, 2, 1, 1]);
  const d = uDistribution(20, 15);
  const total = d.reduce((a, b) => a + b, 0);
  assert.equal(total, 3247943160); // C(35, 15)
  for (let k = 0; k < d.length; k++) assert.equal(d[k], d[d.length - 1 - k]);
  // The smallest two-sided p for 8 vs 8 (full separation): 2 / C(16, 8) = 2/12870.
  assert.ok(Math.abs(exactTwoSided(0, 8, 8) - 2 / 12870) < 1e-15);
});

test('ranks average ties; tie groups; median', () => {
  assert.deepEqual(ranks([10, 20, 20, 5, 30, 20]), [2, 4, 4, 1, 6, 4]);
  assert.deepEqual(ranks([]), []);
  assert.deepEqual(tieGroups([1, 2, 2, 3, 3, 3]).sort(), [2, 3]);
  assert.deepEqual(tieGroups([1, 2, 3]), []);
  assert.equal(median([]), null);
  assert.equal(median([5]), 5);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('normal tail and erfc against tabulated values', () => {
  // Standard normal table: P(Z > 1.96) = 0.0249979, P(Z > 0) = 0.5, P(Z > 3) = 0.0013499 (scipy.stats.norm.sf).
  const table: Array<[number, number]> = [
    [0, 0.5],
    [1, 0.15865525393145707],
    [1.959963984540054, 0.025],
    [3, 0.0013498980316300933],
    [6, 9.865876450376946e-10],
  ];
  for (const [z, tail] of table) assert.ok(Math.abs(normalUpperTail(z) - tail) <= 2e-7 * tail, `z=${z}: ${normalUpperTail(z)} vs ${tail}`);
  assert.ok(Math.abs(erfc(-1) - 1.8427007929497148) < 1e-7);
});

test('empty samples are refused', () => {
  assert.throws(() => mannWhitneyU([], [1]), RangeError);
});
