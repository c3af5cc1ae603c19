/** The capacity search state machine (plan/capacity-search.ts): pure, driven by simulated targets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_LEVELS, nextStep, narrowEnough, nextCoarse, type LevelOutcome, type LevelVerdict, type SearchConclusion, type SearchSettings } from '../src/plan/capacity-search.js';

const base: SearchSettings = { from: 1000, to: 1_000_000, step: { kind: 'factor', by: 2 }, precision: { kind: 'relative', fraction: 0.05 }, confirm: 0 };

/** Runs the search against a target that holds every level up to `capacity` (and saturates the generator from `saturatesAt`). */
function simulate(
  s: SearchSettings,
  target: { capacity: number; saturatesAt?: number; contradict?: (level: number, nth: number) => boolean },
): { conclusion: SearchConclusion; path: LevelOutcome[] } {
  const path: LevelOutcome[] = [];
  for (;;) {
    const step = nextStep(s, path);
    if (step.action === 'done') return { conclusion: step.conclusion, path };
    const verdict: LevelVerdict = target.saturatesAt !== undefined && step.level >= target.saturatesAt ? 'saturated' : step.level <= target.capacity ? 'pass' : 'fail';
    const outcome: LevelOutcome = { level: step.level, kind: step.kind, verdict };
    if (step.kind === 'confirm') {
      const nth = path.filter((o) => o.kind === 'confirm' && o.level === step.level).length;
      outcome.contradicts = target.contradict?.(step.level, nth) ?? verdict === 'fail';
    }
    path.push(outcome);
    assert.ok(path.length <= MAX_LEVELS + 1, 'the search must end');
  }
}

describe('capacity search', () => {
  test('coarse x2 steps to the first failure, then binary search until the bracket is within 5%', () => {
    const { conclusion, path } = simulate(base, { capacity: 3000 });
    assert.deepEqual(
      path.filter((o) => o.kind === 'coarse').map((o) => [o.level, o.verdict]),
      [
        [1000, 'pass'],
        [2000, 'pass'],
        [4000, 'fail'],
      ],
    );
    assert.equal(path[3]?.kind, 'binary');
    assert.equal(path[3]?.level, 3000);
    assert.equal(conclusion.end, 'found');
    assert.ok(conclusion.answer !== null && conclusion.answer <= 3000 && conclusion.answer >= 3000 / 1.05, `answer ${conclusion.answer}`);
    assert.ok(conclusion.bracket.low !== null && conclusion.bracket.high !== null);
    assert.ok(narrowEnough(conclusion.bracket.low, conclusion.bracket.high, base.precision));
    assert.equal(conclusion.lowerBound, false);
    assert.equal(conclusion.firstFail, conclusion.bracket.high);
  });

  test('linear steps and an absolute precision', () => {
    const s: SearchSettings = { ...base, from: 100, to: 10_000, step: { kind: 'linear', by: 500 }, precision: { kind: 'absolute', by: 50 } };
    const { conclusion, path } = simulate(s, { capacity: 1234 });
    assert.deepEqual(path.filter((o) => o.kind === 'coarse').map((o) => o.level), [100, 600, 1100, 1600]);
    assert.ok(conclusion.bracket.low !== null && conclusion.bracket.high !== null && conclusion.bracket.high - conclusion.bracket.low <= 50);
    assert.ok(conclusion.answer !== null && conclusion.answer <= 1234 && conclusion.answer > 1184);
  });

  test('a target that holds at --to: the answer is --to, and the last step is capped at it', () => {
    const s: SearchSettings = { ...base, from: 1000, to: 5000 };
    const { conclusion, path } = simulate(s, { capacity: 1e9 });
    assert.deepEqual(path.map((o) => o.level), [1000, 2000, 4000, 5000]);
    assert.equal(conclusion.end, 'reached-to');
    assert.equal(conclusion.answer, 5000);
    assert.equal(conclusion.firstFail, null);
    assert.deepEqual(conclusion.bracket, { low: 5000, high: null });
  });

  test('a target that fails at --from: no answer', () => {
    const { conclusion, path } = simulate(base, { capacity: 10 });
    assert.equal(path.length, 1);
    assert.equal(conclusion.end, 'from-failed');
    assert.equal(conclusion.answer, null);
    assert.equal(conclusion.firstFail, 1000);
  });

  test('generator saturation stops the search with a lower bound', () => {
    const { conclusion, path } = simulate(base, { capacity: 1e9, saturatesAt: 5000 });
    assert.deepEqual(path.map((o) => [o.level, o.verdict]), [
      [1000, 'pass'],
      [2000, 'pass'],
      [4000, 'pass'],
      [8000, 'saturated'],
    ]);
    assert.equal(conclusion.end, 'generator');
    assert.equal(conclusion.lowerBound, true);
    assert.equal(conclusion.answer, 4000);
    assert.equal(conclusion.saturatedAt, 8000);
  });

  test('saturation during the binary search also ends it (no binary step at a saturated level)', () => {
    const { conclusion } = simulate(base, { capacity: 3500, saturatesAt: 3000 });
    assert.equal(conclusion.end, 'generator');
    assert.ok(conclusion.answer !== null && conclusion.answer < 3000);
  });

  test('saturated at --from: a lower bound of nothing', () => {
    const { conclusion } = simulate(base, { capacity: 1e9, saturatesAt: 1 });
    assert.equal(conclusion.end, 'generator');
    assert.equal(conclusion.answer, null);
    assert.equal(conclusion.lowerBound, true);
  });

  test('confirmations: the best level runs --confirm more times', () => {
    const s: SearchSettings = { ...base, confirm: 2 };
    const { conclusion, path } = simulate(s, { capacity: 3000 });
    const confirms = path.filter((o) => o.kind === 'confirm');
    assert.equal(confirms.length, 2);
    assert.ok(confirms.every((o) => o.level === conclusion.answer));
    assert.deepEqual(conclusion.steppedDown, []);
  });

  test('a confirmation that contradicts the search steps down to the next level that held', () => {
    const s: SearchSettings = { ...base, from: 1000, to: 2000, confirm: 1, precision: { kind: 'relative', fraction: 1 } };
    // 1000 and 2000 pass; 2000's confirmation contradicts; 1000 is confirmed instead.
    const { conclusion, path } = simulate(s, { capacity: 1e9, contradict: (level) => level === 2000 });
    assert.deepEqual(path.map((o) => [o.level, o.kind]), [
      [1000, 'coarse'],
      [2000, 'coarse'],
      [2000, 'confirm'],
      [1000, 'confirm'],
    ]);
    assert.equal(conclusion.answer, 1000);
    assert.equal(conclusion.firstFail, 2000);
    assert.deepEqual(conclusion.steppedDown, [2000]);
    assert.equal(conclusion.end, 'found');
  });

  test('after a contradiction a wide bracket below is searched again', () => {
    const s: SearchSettings = { ...base, from: 1000, to: 2000, confirm: 1 };
    const { conclusion, path } = simulate(s, { capacity: 1e9, contradict: (level) => level === 2000 });
    assert.equal(path[3]?.kind, 'binary');
    assert.equal(path[3]?.level, 1500);
    assert.ok(conclusion.answer !== null && conclusion.answer < 2000 && conclusion.answer >= 2000 / 1.05);
    assert.equal(conclusion.end, 'found');
  });

  test('a confirmation that fails within noise (not contradicting) keeps the answer', () => {
    const s: SearchSettings = { ...base, confirm: 1 };
    const { conclusion } = simulate(s, { capacity: 3000, contradict: () => false });
    assert.equal(conclusion.end, 'found');
    assert.deepEqual(conclusion.steppedDown, []);
  });

  test('contradicted all the way down to --from: from-failed', () => {
    const s: SearchSettings = { ...base, from: 1000, to: 1000, confirm: 1 };
    const { conclusion } = simulate(s, { capacity: 1e9, contradict: () => true });
    assert.equal(conclusion.end, 'from-failed');
    assert.equal(conclusion.answer, null);
  });

  test('nextCoarse never repeats a level and never passes --to', () => {
    assert.equal(nextCoarse(1, { ...base, step: { kind: 'factor', by: 1.1 } }), 2);
    assert.equal(nextCoarse(900_000, base), 1_000_000);
  });

  test('property: the answer is within precision below any capacity, and the search ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.oneof(fc.constant<SearchSettings['step']>({ kind: 'factor', by: 2 }), fc.integer({ min: 1, max: 100_000 }).map((by) => ({ kind: 'linear' as const, by }))),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (from, capacity, step, fraction) => {
          const s: SearchSettings = { from, to: 1_000_000, step, precision: { kind: 'relative', fraction }, confirm: 1 };
          const { conclusion, path } = simulate(s, { capacity });
          assert.ok(path.length <= MAX_LEVELS);
          if (conclusion.end === 'level-limit') {
            // Only tiny linear steps take that many levels: the guard, not a wrong answer.
            assert.ok(step.kind === 'linear' && (Math.min(capacity, s.to) - from) / step.by > MAX_LEVELS / 2, `level limit with ${JSON.stringify(step)}`);
            return;
          }
          if (capacity < from) {
            assert.equal(conclusion.end, 'from-failed');
            return;
          }
          if (capacity >= s.to) {
            assert.equal(conclusion.answer, s.to);
            return;
          }
          assert.equal(conclusion.end, 'found');
          const a = conclusion.answer as number;
          assert.ok(a <= capacity, `answer ${a} above capacity ${capacity}`);
          assert.ok(narrowEnough(a, conclusion.firstFail as number, s.precision));
          assert.ok((conclusion.firstFail as number) > capacity);
        },
      ),
      { numRuns: 300 },
    );
  });
});
