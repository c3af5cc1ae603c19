/**
 * Baselines with a certain outcome, made from a real result document: a copy worse than any
 * real run in every compared figure (so a run gated on it cannot regress), or one with
 * latencies no real run can match (so a run gated on it regresses for sure). Everything a
 * comparison reads is changed together: the phase figures, the per-second timeline and each
 * repeat's figures; histograms and counts of the load stay as they were.
 */
import { metricDef } from '../../src/metrics/names.js';
import type { ResultDocument } from '../../src/metrics/result.js';
import type { LatencySummary } from '../../src/metrics/histogram.js';

/** One minute, in microseconds: no message of a test run takes that long and still counts. */
const WORST_LATENCY_US = 60_000_000;
/** A figure per message (CPU microseconds, bytes) no real run comes near. */
const WORST_PER_MESSAGE = 1e9;
/** Errors the worse baseline had: more than a short run can have. */
const WORST_ERRORS = 1e9;

function setLatency(s: LatencySummary, us: number): void {
  if (s.count === 0) return;
  for (const k of ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'p9999', 'max'] as const) s[k] = us;
}

/**
 * Worse than any real run in every metric a comparison judges: latencies of a minute, one
 * message a second, a billion CPU microseconds and bytes per message, a billion errors. Lost,
 * duplicated and out of order stay the base's (0 on loopback): a run that loses is a real failure.
 */
export function worseInEveryFigure(doc: ResultDocument): ResultDocument {
  const d = structuredClone(doc);
  for (const p of d.phases) {
    for (const s of Object.values(p.latency)) setLatency(s, WORST_LATENCY_US);
    for (const t of p.timeline) {
      // One delivery a second: a second without one would have no latency sample at all.
      Object.assign(t, { sent: 1, received: 1, bytesSent: 1, bytesReceived: 1, p50: WORST_LATENCY_US, p99: WORST_LATENCY_US });
    }
    p.rates = { ...p.rates, sentPerSecond: 1, receivedPerSecond: 1, bytesSentPerSecond: 1, bytesReceivedPerSecond: 1 };
    p.counters.errors = { ...p.counters.errors, timeout: (p.counters.errors['timeout'] ?? 0) + WORST_ERRORS };
    p.generator.cpuMicrosPerMessage = WORST_PER_MESSAGE;
    if (p.target.cpuMicrosPerMessage !== null) p.target.cpuMicrosPerMessage = WORST_PER_MESSAGE;
    if (p.wire !== undefined) p.wire.bytesPerMessage = WORST_PER_MESSAGE;
    p.repeats = p.repeats?.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : worstFigure(k, v)])));
  }
  return d;
}

function worstFigure(metric: string, value: number): number {
  const def = metricDef(metric);
  if (def === null || def.better === null) return value;
  if (def.better === 'higher') return 1;
  if (def.unit === 'us') return WORST_LATENCY_US;
  if (metric === 'errors') return value + WORST_ERRORS;
  if (def.unit === 'us/msg' || def.unit === 'B/msg') return WORST_PER_MESSAGE;
  return value;
}

/**
 * End-to-end latency of 1 us in every figure (summary, each steady second, each repeat): faster
 * than any message through a real broker, so a real run is slower in every sample. Pair with
 * `--latency-floor 0`, as a fast machine's run may be under the default 250 us floor.
 */
export function impossiblyFastE2e(doc: ResultDocument): ResultDocument {
  const d = structuredClone(doc);
  for (const p of d.phases) {
    setLatency(p.latency.e2e, 1);
    setLatency(p.latency.e2eUncorrected, 1);
    for (const t of p.timeline) Object.assign(t, { p50: 1, p99: 1 });
    p.repeats = p.repeats?.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v !== null && k.startsWith('e2e.') ? 1 : v])));
  }
  return d;
}
