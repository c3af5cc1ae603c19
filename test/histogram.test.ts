/**
 * HDR histograms (src/metrics/histogram.ts): recording, the compressed base64 encoding
 * workers send, exact order-independent merging, and the summary put in results.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BatchedHistogram, countsIndex, decode, encode, encodeCounts, IntervalCounts, lowestValueAt, mergeEncoded, newHistogram, record, summarize, type Histogram, type LatencySummary } from '../src/metrics/histogram.js';

function histOf(values: readonly number[]): Histogram {
  const h = newHistogram();
  for (const v of values) record(h, v);
  return h;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Tolerance of 3 significant digits: values agree to 1 part in 1000. */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= Math.max(1, expected / 1000), `${what}: ${actual} vs ${expected}`);
}

const EMPTY: LatencySummary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, p9999: 0, max: 0, histogram: '' };

describe('record', () => {
  const cases: Array<[number, number]> = [
    [0, 1], // clamped to the lowest discernible value
    [0.4, 1],
    [-5, 1],
    [1, 1],
    [2.4, 2],
    [2.5, 3],
    [999.6, 1000],
    [1500, 1500],
  ];
  for (const [input, stored] of cases) {
    test(`${input}us is recorded as ${stored}us`, () => {
      const s = summarize(histOf([input]));
      assert.equal(s.count, 1);
      assert.equal(s.min, stored);
      assert.equal(s.max, stored);
      assert.equal(s.p50, stored);
    });
  }

  test('values beyond one hour are kept (auto-resize)', () => {
    const twoHours = 7_200_000_000;
    const s = summarize(histOf([10, twoHours]));
    assert.equal(s.count, 2);
    near(s.max, twoHours, 'max');
    assert.equal(s.min, 10);
  });
});

describe('summarize', () => {
  test('an empty histogram summarizes to zeros and no encoding', () => {
    assert.deepEqual(summarize(newHistogram()), EMPTY);
  });

  test('1..1000us: exact percentiles (below 2048 every value has its own bucket)', () => {
    const s = summarize(histOf(range(1, 1000)));
    assert.equal(s.count, 1000);
    assert.equal(s.min, 1);
    assert.equal(s.max, 1000);
    assert.equal(s.mean, 500.5);
    assert.equal(s.p50, 500);
    assert.equal(s.p90, 900);
    assert.equal(s.p99, 990);
    assert.equal(s.p999, 999);
    assert.equal(s.p9999, 1000);
    assert.notEqual(s.histogram, '');
  });

  const shapes: Array<{ name: string; values: number[]; p50: number; p99: number; max: number; mean: number }> = [
    { name: 'one value', values: [42], p50: 42, p99: 42, max: 42, mean: 42 },
    { name: 'constant', values: Array(500).fill(250), p50: 250, p99: 250, max: 250, mean: 250 },
    { name: 'one slow outlier in 100', values: [...Array(99).fill(100), 50_000], p50: 100, p99: 100, max: 50_000, mean: 599 },
    { name: 'two slow in 100', values: [...Array(98).fill(100), 50_000, 50_000], p50: 100, p99: 50_000, max: 50_000, mean: 1098 },
    { name: 'bimodal', values: [...Array(50).fill(1000), ...Array(50).fill(1_000_000)], p50: 1000, p99: 1_000_000, max: 1_000_000, mean: 500_500 },
  ];
  for (const c of shapes) {
    test(`percentiles of ${c.name}`, () => {
      const s = summarize(histOf(c.values));
      assert.equal(s.count, c.values.length);
      near(s.p50, c.p50, 'p50');
      near(s.p99, c.p99, 'p99');
      near(s.max, c.max, 'max');
      near(s.mean, c.mean, 'mean');
      // Results are always summarized from merged encodings; there the figures are ordered.
      const m = summarize(mergeEncoded([encode(histOf(c.values))]));
      assert.ok(m.min <= m.p50 && m.p50 <= m.p90 && m.p90 <= m.p99 && m.p99 <= m.p999 && m.p999 <= m.p9999 && m.p9999 <= m.max, JSON.stringify(m));
    });
  }

  test('mean is rounded to one decimal', () => {
    const s = summarize(histOf([1, 1, 2]));
    assert.equal(s.mean, 1.3);
  });
});

describe('encode / decode', () => {
  const datasets: Array<[string, number[]]> = [
    ['small exact values', range(1, 1000)],
    ['wide range', [1, 7, 99, 1234, 56_789, 1_000_000, 3_000_000_000]],
    ['many repeats', [...Array(10_000).fill(333), ...Array(10).fill(123_456)]],
    ['single value', [5]],
  ];
  for (const [name, values] of datasets) {
    test(`round trip keeps count and percentiles: ${name}`, () => {
      const original = histOf(values);
      const encoded = encode(original);
      assert.match(encoded, /^[A-Za-z0-9+/]+=*$/, 'base64');
      const back = decode(encoded);
      assert.equal(back.totalCount, values.length);
      const a = summarize(original);
      const b = summarize(back);
      // Percentiles and min are bucket values and survive exactly; max and mean are only
      // known to the bucket after decoding (3 significant digits).
      const exact = (x: LatencySummary) => [x.count, x.min, x.p50, x.p90, x.p99, x.p999, x.p9999];
      assert.deepEqual(exact(b), exact(a));
      near(b.max, a.max, 'max');
      near(b.mean, a.mean, 'mean');
      assert.ok(b.max >= a.max, 'decoded max is the bucket\'s highest equivalent value');
      // Re-encoding the decoded histogram gives the same summary again.
      assert.deepEqual(summarize(decode(b.histogram)), b);
    });
  }

  test('the summary carries a decodable encoding of the same histogram', () => {
    const s = summarize(histOf([10, 20, 30, 40]));
    const back = decode(s.histogram);
    assert.equal(back.totalCount, 4);
    assert.equal(back.minNonZeroValue, 10);
    assert.equal(back.maxValue, 40);
  });

  test('an empty histogram encodes and decodes to count 0', () => {
    const e = encode(newHistogram());
    assert.notEqual(e, '');
    assert.equal(decode(e).totalCount, 0);
  });
});

describe('mergeEncoded', () => {
  const A = encode(histOf([1, 2, 3, 1000]));
  const B = encode(histOf([5_000_000, 7, 7, 7]));
  const C = encode(histOf(range(100, 300)));
  const E = encode(newHistogram());

  const orders: Array<[string, string[]]> = [
    ['A,B,C', [A, B, C]],
    ['C,A,B', [C, A, B]],
    ['B,C,A', [B, C, A]],
    ['C,B,A', [C, B, A]],
    ['A,empty,B,\'\',C', [A, E, B, '', C]],
    ['\'\',C,B,empty,A', ['', C, B, E, A]],
  ];
  const reference = summarize(mergeEncoded([A, B, C]));
  for (const [name, list] of orders) {
    test(`merge order ${name} gives an identical summary`, () => {
      assert.deepEqual(summarize(mergeEncoded(list)), reference);
    });
  }

  test('merge is exact: the same as recording everything in one histogram', () => {
    const all = summarize(mergeEncoded([encode(histOf([1, 2, 3, 1000, 5_000_000, 7, 7, 7, ...range(100, 300)]))]));
    assert.deepEqual(reference, all);
    assert.equal(reference.count, 4 + 4 + 201);
    assert.equal(reference.min, 1);
    near(reference.max, 5_000_000, 'max');
  });

  test('merging an encoding with itself doubles the counts and keeps the percentiles', () => {
    const once = summarize(mergeEncoded([C]));
    const twice = summarize(mergeEncoded([C, C]));
    assert.equal(twice.count, 2 * once.count);
    assert.equal(twice.p50, once.p50);
    assert.equal(twice.p99, once.p99);
    assert.equal(twice.min, once.min);
    assert.equal(twice.max, once.max);
  });

  test('merging merged results is associative', () => {
    const ab = summarize(mergeEncoded([A, B])).histogram;
    const bc = summarize(mergeEncoded([B, C])).histogram;
    assert.deepEqual(summarize(mergeEncoded([ab, C])), reference);
    assert.deepEqual(summarize(mergeEncoded([A, bc])), reference);
  });

  const empties: Array<[string, string[]]> = [
    ['no encodings', []],
    ['only \'\'', ['', '']],
    ['only empty histograms', [E, E]],
    ['mixed empties', ['', E]],
  ];
  for (const [name, list] of empties) {
    test(`${name} merge to an empty summary`, () => {
      const h = mergeEncoded(list);
      assert.equal(h.totalCount, 0);
      assert.deepEqual(summarize(h), EMPTY);
    });
  }

  test('an empty part does not change the summary of a single part', () => {
    assert.deepEqual(summarize(mergeEncoded(['', A, E])), summarize(mergeEncoded([A])));
  });
});

/** Latencies as a run records them: mostly under 2 ms, some far above, zeros and fractions too. */
const latency = fc.oneof(
  fc.double({ min: 0, max: 2100, noNaN: true }),
  fc.integer({ min: 0, max: 2048 }),
  fc.double({ min: 2000, max: 5e9, noNaN: true }),
);

describe('BatchedHistogram (the hot-path recorder)', () => {
  test('gives exactly what recording every value gives, read in the middle, reset and read again', () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 300 }), fc.array(latency, { maxLength: 300 }), fc.array(latency, { maxLength: 100 }), (first, second, afterReset) => {
        const batched = new BatchedHistogram();
        const plain = newHistogram();
        for (const v of first) {
          batched.record(v);
          record(plain, v);
        }
        assert.equal(batched.maxValue, plain.maxValue, 'maxValue before the counted values are added');
        assert.equal(encode(batched.histogram), encode(plain), 'read after the first values');
        for (const v of second) {
          batched.record(v);
          record(plain, v);
        }
        const b = batched.histogram;
        assert.equal(encode(b), encode(plain), 'read again after more');
        assert.deepEqual([b.totalCount, b.minNonZeroValue, b.maxValue, b.mean], [plain.totalCount, plain.minNonZeroValue, plain.maxValue, plain.mean]);
        batched.reset();
        plain.reset();
        for (const v of afterReset) {
          batched.record(v);
          record(plain, v);
        }
        assert.equal(batched.maxValue, plain.maxValue, 'maxValue after reset');
        assert.equal(encode(batched.histogram), encode(plain), 'after reset');
      }),
      { numRuns: 200 },
    );
  });

  test('a reset drops values counted but never read', () => {
    const h = new BatchedHistogram();
    for (const v of [5, 5, 700, 3000]) h.record(v);
    h.reset();
    h.record(9);
    assert.equal(h.histogram.totalCount, 1);
    assert.equal(h.histogram.maxValue, 9);
  });
});

describe('IntervalCounts (a worker\'s per-second histograms, encoded on the main thread)', () => {
  /** hdr-histogram-js' own index of a value (a method of its JsHistogram, not in its typings). */
  const hdrIndex = (h: Histogram, v: number): number => (h as unknown as { countsArrayIndex(v: number): number }).countsArrayIndex(v);

  test('countsIndex is hdr-histogram-js\' countsArrayIndex, and lowestValueAt the lowest value of that index', () => {
    const h = newHistogram();
    // Every power of two and its neighbours up to 2^40 (the bucket edges), then random values.
    const edges = Array.from({ length: 41 }, (_, k) => 2 ** k).flatMap((p) => [p - 1, p, p + 1]).filter((v) => v >= 1);
    for (const v of edges) assert.equal(countsIndex(v), hdrIndex(h, v), `index of ${v}`);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (v) => {
        const i = countsIndex(v);
        assert.equal(i, hdrIndex(h, v), `index of ${v}`);
        const low = lowestValueAt(i);
        assert.ok(low <= v, `lowest value ${low} of index ${i} is above ${v}`);
        assert.equal(countsIndex(low), i, `the lowest value ${low} has the index ${i}`);
        if (low > 1) assert.equal(countsIndex(low - 1), i - 1, `${low - 1} is in the index before`);
      }),
      { numRuns: 2000 },
    );
  });

  test('the pairs it hands over encode exactly what recording every value gives, interval after interval', () => {
    fc.assert(
      fc.property(fc.array(fc.array(latency, { maxLength: 300 }), { minLength: 1, maxLength: 4 }), (intervals) => {
        const counts = new IntervalCounts();
        for (const values of intervals) {
          const plain = newHistogram();
          for (const v of values) {
            counts.record(v);
            record(plain, v);
          }
          const pairs = counts.take();
          // The same string: what the main thread's readers decode is what the worker's encode gave.
          assert.equal(encodeCounts(pairs), plain.totalCount === 0 ? '' : encode(plain));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('take starts a fresh interval and its pairs cross threads as a plain Float64Array', () => {
    const counts = new IntervalCounts();
    for (const v of [3, 3, 900, 5000, 5001, 7e6]) counts.record(v);
    const pairs = counts.take();
    assert.ok(pairs instanceof Float64Array);
    assert.deepEqual([...structuredClone(pairs)], [3, 2, 900, 1, countsIndex(5000), 2, countsIndex(7e6), 1]);
    assert.equal(counts.take().length, 0, 'nothing recorded since');
    counts.record(9);
    assert.deepEqual([...counts.take()], [9, 1]);
  });
});
