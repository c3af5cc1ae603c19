/**
 * Chart data computed from a result, so the HTML page only draws: percentile curves from the
 * encoded HDR histograms (HdrHistogram's percentile-distribution plot: x = log10(1/(1-p)), so
 * 90%, 99%, 99.9% sit one unit apart) and the per-second throughput timeline with its stages.
 */
import { decode } from '../metrics/histogram.js';
import type { LatencySummary } from '../metrics/histogram.js';
import type { PhaseResult } from '../metrics/result.js';
import { stageOf } from './format.js';

/** x: log10(1/(1-p)); p: percentile in percent (100 for the maximum); v: microseconds. */
export type CurvePoint = [x: number, p: number, v: number];

/** 99.9999%: the rightmost percentile plotted, whatever the sample count. */
export const MAX_X = 6;
/** Points per decade of 1/(1-p): 20 keeps curves smooth at a few KiB per series. */
const PER_DECADE = 20;

/**
 * The percentile curve of an encoded histogram: values at log-spaced percentiles up to the
 * last one the samples resolve (1 - 1/count), then the maximum. Flat runs keep only their ends.
 * Empty for an empty or unreadable histogram.
 */
export function percentileCurve(encoded: string, maxX = MAX_X): CurvePoint[] {
  if (encoded === '' || encoded === undefined) return [];
  let h;
  try {
    h = decode(encoded);
  } catch {
    // A damaged histogram string: the tables still show the summary figures; no curve is drawn.
    return [];
  }
  try {
    const n = h.totalCount;
    if (n === 0) return [];
    const xEnd = Math.min(maxX, Math.log10(n));
    const raw: CurvePoint[] = [];
    const steps = Math.max(1, Math.ceil(xEnd * PER_DECADE));
    for (let i = 0; i <= steps; i++) {
      const x = (xEnd * i) / steps;
      const p = 100 * (1 - 10 ** -x);
      raw.push([round(x, 4), round(p, 6), h.getValueAtPercentile(p)]);
    }
    raw.push([round(xEnd, 4), 100, h.maxValue]);
    return dropFlatRuns(raw);
  } finally {
    h.destroy();
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Keeps the first and last point of each run of equal values (the line is the same). */
function dropFlatRuns(points: CurvePoint[]): CurvePoint[] {
  return points.filter((pt, i) => {
    const prev = points[i - 1];
    const next = points[i + 1];
    return prev === undefined || next === undefined || prev[2] !== pt[2] || next[2] !== pt[2];
  });
}

export interface CurveSeries {
  name: string;
  points: CurvePoint[];
}

export interface PercentileChart {
  kind: 'percentile';
  id: string;
  title: string;
  description: string;
  /** Right end of the x axis, in decades (5: 99.999%). */
  xMax: number;
  series: CurveSeries[];
}

export interface TimelineChart {
  kind: 'timeline';
  id: string;
  title: string;
  description: string;
  /** [t, sent, received] per second; t seconds since the load started, the second (t-1, t]. */
  points: Array<[number, number, number]>;
  /** Stretches of seconds that are not the steady window: [from, to, stage]. */
  bands: Array<[number, number, 'ramp' | 'warmup' | 'drain']>;
}

export type ChartSpec = PercentileChart | TimelineChart;

type CurveMetric = 'e2e' | 'ack' | 'connect';

const CURVE_WHAT: Record<CurveMetric, string> = {
  e2e: 'End-to-end latency',
  ack: 'Acknowledgement latency (PUBACK / PUBCOMP)',
  connect: 'Connect latency',
};

function summaryOf(p: PhaseResult, metric: CurveMetric): LatencySummary | undefined {
  return p.latency?.[metric];
}

function curveChart(id: string, title: string, phases: PhaseResult[], metric: CurveMetric, minXMax: number): PercentileChart | null {
  const series = phases
    .filter((p) => (summaryOf(p, metric)?.count ?? 0) > 0)
    .map((p) => ({ name: p.name, points: percentileCurve(summaryOf(p, metric)?.histogram ?? '') }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return null;
  const last = Math.max(...series.map((s) => s.points[s.points.length - 1]?.[0] ?? 0));
  // At least minXMax decades on the axis (5: 99.999%, as HdrHistogram plots do); more when the samples resolve it.
  const xMax = Math.min(MAX_X, Math.max(minXMax, Math.ceil(last)));
  const names = series.map((s) => s.name).join(', ');
  return {
    kind: 'percentile',
    id,
    title,
    description: `Latency by percentile, one line per phase (${names}). The x axis is the percentile on a log scale of 1/(1-p): 90%, 99%, 99.9% and so on are evenly spaced; the y axis is the latency.`,
    xMax,
    series,
  };
}

/**
 * Percentile charts: one per metric over every phase that recorded it (e2e, ack, connect), and
 * for a matrix of four or more phases with several per QoS level, one e2e chart per QoS level besides.
 */
export function percentileCharts(phases: PhaseResult[]): PercentileChart[] {
  const charts: PercentileChart[] = [];
  for (const metric of ['e2e', 'ack', 'connect'] as const) {
    // Connections are few (one per client): their axis ends where their samples do, at least 99%.
    const c = curveChart(`latency-${metric}`, `${CURVE_WHAT[metric]} by percentile`, phases, metric, metric === 'connect' ? 2 : 5);
    if (c !== null) charts.push(c);
  }
  const byQos = new Map<string, PhaseResult[]>();
  for (const p of phases) {
    const key = p.params.protocol === 'ws' ? `WebSocket ${p.params.role}` : `QoS ${p.params.qos ?? '-'}`;
    byQos.set(key, [...(byQos.get(key) ?? []), p]);
  }
  // Only when the all-phases chart is crowded: a matrix of transports (or sizes) times QoS levels.
  if (phases.length >= 4 && byQos.size > 1 && [...byQos.values()].some((ps) => ps.length > 1)) {
    let i = 0;
    for (const [key, ps] of byQos) {
      const c = curveChart(`latency-e2e-${i++}`, `End-to-end latency by percentile, ${key}`, ps, 'e2e', 5);
      if (c !== null) charts.push(c);
    }
  }
  return charts;
}

export function timelineChart(p: PhaseResult, index: number): TimelineChart | null {
  const tl = Array.isArray(p.timeline) ? p.timeline : [];
  if (tl.length === 0) return null;
  const bands: TimelineChart['bands'] = [];
  for (const pt of tl) {
    const stage = stageOf(pt);
    if (stage === 'steady') continue;
    const last = bands[bands.length - 1];
    if (last !== undefined && last[2] === stage && last[1] === pt.t - 1) last[1] = pt.t;
    else bands.push([pt.t - 1, pt.t, stage]);
  }
  return {
    kind: 'timeline',
    id: `timeline-${index}`,
    title: `Throughput over time, ${p.name}`,
    description: `Messages sent and received per second in phase ${p.name}, from the start of its load; shaded bands mark ramp, warm-up and drain seconds, which are not counted in the figures.`,
    points: tl.map((pt) => [pt.t, pt.sent, pt.received]),
    bands,
  };
}
