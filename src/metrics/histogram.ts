/**
 * HDR histograms in microseconds, 3 significant digits (hdr-histogram-js). Workers send
 * them across threads in the standard compressed base64 V2 encoding, which other
 * HdrHistogram tools read too; the main thread decodes and adds them exactly.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Highest value tracked before auto-resize: one hour in microseconds. */
const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** A latency as recorded: whole microseconds, 0 clamped to 1 us (the lowest discernible value). */
function recordable(us: number): number {
  return us < 1 ? 1 : Math.round(us);
}

/** Records a latency; 0 is clamped to 1 us (the lowest discernible value). */
export function record(h: Histogram, us: number): void {
  h.recordValue(recordable(us));
}

/**
 * Values below this are recorded at unit resolution by a 3-digit histogram (its sub-bucket count,
 * 2,048): each is a bucket of its own, so counting it in a plain array and adding the count later
 * gives the histogram exactly what recording it each time would.
 */
const DIRECT_BELOW = 2048;

/**
 * A latency histogram for the hot path (one record per message): hdr-histogram-js' JavaScript
 * recordValue takes about 140 ns (Math.pow and Math.log2 for the bucket), which a delivery
 * recording three latencies pays three times. Values below DIRECT_BELOW, nearly all of them on
 * loopback and fast LANs, are counted in an array instead (about 10 ns) and added with
 * recordValueWithCount when the histogram is read; the rest go straight in. What is read is
 * exactly what recording every value would give (test/histogram.test.ts, against the plain one).
 */
export class BatchedHistogram {
  private readonly counts = new Float64Array(DIRECT_BELOW);
  private pending = 0;
  /** The largest value counted in `counts` since the last reset. */
  private countedMax = 0;
  private readonly h: Histogram = newHistogram();

  /** Records a latency, as record() does. */
  record(us: number): void {
    const v = recordable(us);
    if (v < DIRECT_BELOW) {
      this.counts[v]!++;
      this.pending++;
      if (v > this.countedMax) this.countedMax = v;
    } else this.h.recordValue(v);
  }

  /** The histogram's maxValue, without adding the counted values to it (read every second for the live gates). */
  get maxValue(): number {
    return Math.max(this.h.maxValue, this.countedMax);
  }

  /** The histogram with every value recorded so far. */
  get histogram(): Histogram {
    if (this.pending > 0) {
      const c = this.counts;
      for (let v = 1; v < DIRECT_BELOW; v++) {
        const n = c[v]!;
        if (n === 0) continue;
        this.h.recordValueWithCount(v, n);
        c[v] = 0;
      }
      this.pending = 0;
    }
    return this.h;
  }

  reset(): void {
    if (this.pending > 0) {
      this.counts.fill(0);
      this.pending = 0;
    }
    this.countedMax = 0;
    this.h.reset();
  }
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Adds encoded histograms into one; order does not matter (addition is exact). */
export function mergeEncoded(encoded: ReadonlyArray<string>): Histogram {
  const acc = newHistogram();
  for (const e of encoded) {
    if (e === '') continue;
    acc.add(decode(e));
  }
  return acc;
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  /** Compressed base64 V2 encoding; '' when nothing was recorded. */
  histogram: string;
}

export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, p9999: 0, max: 0, histogram: '' };
  }
  return {
    count,
    min: h.minNonZeroValue,
    mean: Math.round(h.mean * 10) / 10,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    max: h.maxValue,
    histogram: encode(h),
  };
}

/**
 * How many recorded values are at or below each bound (microseconds, ascending), not cumulative
 * across bounds: `counts[i]` is the values in (bounds[i-1], bounds[i]]; values above the last
 * bound are left out. A value counts by the lowest value it is equivalent to (3 significant
 * digits), so a bound may take values up to 0.1% above it.
 */
export function countsPerBound(h: Histogram, boundsUs: readonly number[]): number[] {
  const counts = boundsUs.map(() => 0);
  if (h.totalCount === 0) return counts;
  if (!(h instanceof hdr.JsHistogram)) throw new Error('countsPerBound needs a JavaScript HDR histogram (useWebAssembly: false)');
  const it = h.recordedValuesIterator;
  it.reset();
  let i = 0;
  while (it.hasNext()) {
    const v = it.next();
    const low = h.lowestEquivalentValue(v.valueIteratedTo);
    while (i < boundsUs.length && low > (boundsUs[i] ?? Number.POSITIVE_INFINITY)) i++;
    if (i === boundsUs.length) break;
    counts[i] = (counts[i] ?? 0) + v.countAtValueIteratedTo;
  }
  return counts;
}
