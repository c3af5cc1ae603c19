/**
 * A Prometheus histogram (cumulative `_bucket{le}`, `_sum`, `_count`) filled in bulk from HDR
 * histograms, rendered by prom-client's registry beside its counters and gauges. prom-client's
 * own Histogram takes one observation per call (about 1 us each here): fed from the per-second
 * HDR histograms that is a call per message, 100 ms of the coordinator's CPU each second at
 * 100k msg/s. Here a second costs one pass over the HDR histogram's recorded values.
 */
import type { Metric, Registry } from 'prom-client';
import { countsPerBound, type Histogram } from '../metrics/histogram.js';

interface Series {
  labels: Record<string, string>;
  /** Per bucket, not cumulative (cumulated when rendered). */
  counts: number[];
  sum: number;
  count: number;
}

/** The value shape prom-client's registry renders (Registry.getMetricsAsString, via get()). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();
  private readonly boundsUs: number[];

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, seconds, ascending. */
    private readonly bucketsSeconds: readonly number[],
    registry: Registry,
  ) {
    this.boundsUs = bucketsSeconds.map((s) => s * 1e6);
    // The registry renders any metric with name, help, type and get(); its type names only its own classes.
    registry.registerMetric(this as unknown as Metric);
  }

  /** Adds a histogram of microseconds to the series of `labels`. */
  add(labels: Record<string, string>, h: Histogram): void {
    if (h.totalCount === 0) {
      this.seriesOf(labels);
      return;
    }
    const s = this.seriesOf(labels);
    countsPerBound(h, this.boundsUs).forEach((n, i) => (s.counts[i] = (s.counts[i] ?? 0) + n));
    s.sum += (h.mean * h.totalCount) / 1e6;
    s.count += h.totalCount;
  }

  reset(): void {
    this.series.clear();
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.bucketsSeconds.forEach((le, i) => {
        acc += s.counts[i] ?? 0;
        values.push({ value: acc, labels: { ...s.labels, le }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: s.count, labels: { ...s.labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  private seriesOf(labels: Record<string, string>): Series {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels }, counts: this.bucketsSeconds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }
}
