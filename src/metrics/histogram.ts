/**
 * HDR histograms in microseconds, 3 significant digits (hdr-histogram-js). Workers send
 * them across threads in the standard compressed base64 V2 encoding, which other
 * HdrHistogram tools read too; the main thread decodes and adds them exactly. The per-second
 * ones go as counts instead (IntervalCounts) and are encoded on the main thread.
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

/**
 * The index hdr-histogram-js' countsArrayIndex gives a whole value of these histograms (3
 * significant digits from 1 us: 2,048 sub-buckets, then 1,024 per doubling), without its
 * Math.log2 and Math.pow: the value itself below 2,048, else ((b + 1) << 10) + (v >> b) - 1,024
 * for b = floor(log2 v) - 10.
 */
export function countsIndex(v: number): number {
  if (v < DIRECT_BELOW) return v;
  const log2 = v < 4_294_967_296 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  const bucket = log2 - 10;
  return ((bucket + 1) << 10) + Math.floor(v / 2 ** bucket) - 1024;
}

/** The lowest value counted at `index` (hdr-histogram-js' valueFromIndex). */
export function lowestValueAt(index: number): number {
  if (index < DIRECT_BELOW) return index;
  const bucket = (index >> 10) - 1;
  return ((index & 1023) + 1024) * 2 ** bucket;
}

/**
 * A worker's per-second latency histogram (the interval e2e and ack) as bare counts by hdr index:
 * a record is an index and an increment, and the interval leaves the worker as (index, count)
 * pairs that the main thread turns into the histogram and encodes (encodeCounts). With hdr's flush
 * and compressed encoding in the worker, a subscriber worker's per-second snapshot took 0.45 to 6 ms
 * at 1,000 msg/s (measured), a stall in its receipts at every second boundary; with the pairs,
 * 0.17 to 0.53 ms after the first (the rest is the worker's other per-second figures).
 */
export class IntervalCounts {
  private counts = new Float64Array(DIRECT_BELOW);
  /** One past the highest index counted since the last take. */
  private top = 0;

  /** Records a latency, as record() does. */
  record(us: number): void {
    const i = countsIndex(recordable(us));
    if (i >= this.counts.length) {
      const grown = new Float64Array(Math.max(i + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[i]!++;
    if (i >= this.top) this.top = i + 1;
  }

  /** The counts since the last take as (index, count) pairs, and a fresh start. */
  take(): Float64Array {
    const c = this.counts;
    let n = 0;
    for (let i = 0; i < this.top; i++) if (c[i] !== 0) n++;
    const pairs = new Float64Array(2 * n);
    for (let i = 0, k = 0; i < this.top; i++) {
      const count = c[i]!;
      if (count === 0) continue;
      pairs[k++] = i;
      pairs[k++] = count;
      c[i] = 0;
    }
    this.top = 0;
    return pairs;
  }
}

/** The histogram of IntervalCounts.take()'s pairs: equal to recording the values themselves (test/histogram.test.ts). */
export function fromCounts(pairs: Float64Array): Histogram {
  const h = newHistogram();
  for (let k = 0; k < pairs.length; k += 2) h.recordValueWithCount(lowestValueAt(pairs[k]!), pairs[k + 1]!);
  return h;
}

/** IntervalCounts.take()'s pairs encoded as encode() does; '' when there are none. */
export function encodeCounts(pairs: Float64Array): string {
  return pairs.length === 0 ? '' : encode(fromCounts(pairs));
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
