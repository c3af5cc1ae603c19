/** The Universal Scalability Law fit (metrics/usl.ts) against synthetic data with known parameters. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fitUsl, uslThroughput } from '../src/metrics/usl.js';

const levels = [1, 2, 4, 8, 16, 32, 64];

describe('USL fit', () => {
  test('recovers sigma, kappa and lambda from exact data', () => {
    const truth = { sigma: 0.05, kappa: 0.0008, lambda: 1000 };
    const fit = fitUsl(levels.map((n) => ({ n, x: uslThroughput(n, truth) })));
    assert.ok(fit !== null);
    assert.ok(Math.abs(fit.sigma - truth.sigma) < 0.002, `sigma ${fit.sigma}`);
    assert.ok(Math.abs(fit.kappa - truth.kappa) / truth.kappa < 0.05, `kappa ${fit.kappa}`);
    assert.ok(Math.abs(fit.lambda - truth.lambda) / truth.lambda < 0.01, `lambda ${fit.lambda}`);
    assert.ok(fit.rSquared > 0.9999);
    assert.ok(fit.peakN !== null && Math.abs(fit.peakN - Math.sqrt((1 - truth.sigma) / truth.kappa)) / fit.peakN < 0.05);
  });

  test('linear scaling: sigma and kappa near 0, no peak or a peak far beyond the data', () => {
    const fit = fitUsl([1000, 2000, 4000, 8000].map((n) => ({ n, x: n * 0.999 })));
    assert.ok(fit !== null);
    assert.ok(fit.sigma < 0.001, `sigma ${fit.sigma}`);
    assert.ok(fit.peakN === null || fit.peakN > 80_000, `peak ${fit.peakN}`);
    assert.ok(Math.abs(fit.lambda - 0.999) < 0.01);
  });

  test('works in large units (messages/s levels) with contention only', () => {
    const truth = { sigma: 0.2, kappa: 0, lambda: 1 };
    const ns = [1000, 2000, 3000, 5000, 8000, 13000];
    const fit = fitUsl(ns.map((n) => ({ n, x: uslThroughput(n, truth) })));
    assert.ok(fit !== null);
    assert.ok(Math.abs(fit.sigma - 0.2) < 0.01, `sigma ${fit.sigma}`);
    assert.ok(fit.kappa < 1e-7, `kappa ${fit.kappa}`);
  });

  test('noisy data: parameters close to the truth (deterministic noise)', () => {
    const truth = { sigma: 0.1, kappa: 0.002, lambda: 500 };
    let seed = 7;
    const noise = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 0.04; // +-2%
    };
    const ns = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48];
    const fit = fitUsl(ns.map((n) => ({ n, x: uslThroughput(n, truth) * (1 + noise()) })));
    assert.ok(fit !== null);
    assert.ok(Math.abs(fit.sigma - truth.sigma) < 0.03, `sigma ${fit.sigma}`);
    assert.ok(Math.abs(fit.kappa - truth.kappa) / truth.kappa < 0.35, `kappa ${fit.kappa}`);
    assert.ok(fit.rSquared > 0.98);
  });

  test('fewer than three distinct levels: no fit', () => {
    assert.equal(fitUsl([]), null);
    assert.equal(fitUsl([{ n: 1, x: 1 }, { n: 2, x: 2 }, { n: 2, x: 2.1 }]), null);
    assert.equal(fitUsl([{ n: 1, x: 1 }, { n: 0, x: 2 }, { n: Number.NaN, x: 3 }]), null);
  });

  test('property: exact USL data is fitted with R^2 near 1 and physical parameters', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 0.01, noNaN: true }), fc.double({ min: 1, max: 10_000, noNaN: true }), (sigma, kappa, lambda) => {
        const fit = fitUsl(levels.map((n) => ({ n, x: uslThroughput(n, { sigma, kappa, lambda }) })));
        assert.ok(fit !== null);
        assert.ok(fit.sigma >= 0 && fit.sigma <= 1 && fit.kappa >= 0);
        assert.ok(fit.rSquared > 0.999, `R^2 ${fit.rSquared} for sigma ${sigma} kappa ${kappa}`);
        for (const n of levels) {
          const want = uslThroughput(n, { sigma, kappa, lambda });
          assert.ok(Math.abs(uslThroughput(n, fit) - want) <= 0.02 * want + 1e-9);
        }
      }),
      { numRuns: 100 },
    );
  });
});
