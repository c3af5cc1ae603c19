/**
 * Every metric of a phase that a threshold, a comparison or a repeat can name, in one table:
 * its name, unit, which direction is better, and how it is read from a PhaseResult.
 * Thresholds prefix a scope and may add a QoS filter (gates/threshold.ts): `mqtt.e2e.qos1.p99`.
 */
import type { LatencySummary } from './histogram.js';
import type { PhaseResult } from './result.js';
import type { MetricUnit } from '../config/units.js';
import { distance } from '../config/suggest.js';

export interface MetricDef {
  name: string;
  unit: MetricUnit;
  /** Which way is better; null for counts that only describe the load (sent, received). */
  better: 'higher' | 'lower' | null;
  describe: string;
  get(p: PhaseResult): number | null;
}

type HistName = keyof PhaseResult['latency'];

const HISTOGRAMS: ReadonlyArray<[HistName, string]> = [
  ['e2e', 'end-to-end latency from the intended send time (corrected for coordinated omission); on WebSocket echo phases the round trip'],
  ['e2eUncorrected', 'end-to-end latency from the actual send time (not corrected)'],
  ['ack', 'publish to PUBACK/PUBCOMP (QoS 1 and 2)'],
  ['connect', 'connect through CONNACK (or WebSocket open)'],
  ['subscribe', 'SUBSCRIBE to SUBACK'],
  ['connectTcp', 'connect stage: TCP connected'],
  ['connectTls', 'connect stage: TLS handshake done'],
  ['connectWs', 'connect stage: WebSocket open'],
  ['outage', 'time a client was without a connection after the target dropped it, until it was back (or the phase ended)'],
];

const STATS: ReadonlyArray<[keyof LatencySummary, string]> = [
  ['min', 'minimum'],
  ['mean', 'mean'],
  ['p50', '50th percentile'],
  ['p90', '90th percentile'],
  ['p99', '99th percentile'],
  ['p999', '99.9th percentile'],
  ['p9999', '99.99th percentile'],
  ['max', 'maximum'],
];

type CounterName = Exclude<keyof PhaseResult['counters'], 'errors'>;

const COUNTERS: ReadonlyArray<[CounterName, 'higher' | 'lower' | null, string]> = [
  ['sent', null, 'messages published'],
  ['acked', null, 'publishes acknowledged (QoS 1 and 2)'],
  ['expected', null, 'deliveries expected (each message once per matching subscriber)'],
  ['received', null, 'first deliveries'],
  ['lost', 'lower', 'expected deliveries that never came'],
  ['duplicated', 'lower', 'deliveries beyond the first'],
  ['outOfOrder', 'lower', 'deliveries older than one already received from the same publisher'],
  ['connects', null, 'connections established'],
  ['connectFailures', 'lower', 'connections that failed'],
  ['reconnectAttempts', 'lower', 'reconnect attempts after drops, successful or not'],
  ['reconnects', 'lower', 'reconnections after drops'],
  ['disconnects', 'lower', 'established connections closed by the target or the network'],
  ['lostNotAcknowledged', 'lower', 'lost messages of QoS 1/2 that the broker never acknowledged'],
  ['lostAcknowledged', 'lower', 'lost messages of QoS 1/2 that the broker acknowledged but never delivered (held or dropped by the broker)'],
  ['deliveredAfterDrain', 'lower', 'first deliveries that arrived only after the drain had ended'],
];

function latencyValue(s: LatencySummary | undefined, stat: keyof LatencySummary): number | null {
  // No samples (or a result from before the histogram existed): nothing was measured, which is not 0 us.
  if (s === undefined || s.count === 0) return null;
  const v = s[stat];
  return typeof v === 'number' ? v : null;
}

const percentOf = (part: number, whole: number): number | null => (whole > 0 ? (part / whole) * 100 : null);
const maxOf = (values: number[]): number | null => (values.length === 0 ? null : Math.max(...values));

function buildTable(): MetricDef[] {
  const defs: MetricDef[] = [];
  for (const [hist, what] of HISTOGRAMS) {
    for (const [stat, statName] of STATS) {
      defs.push({ name: `${hist}.${stat}`, unit: 'us', better: 'lower', describe: `${statName} of ${what}`, get: (p) => latencyValue(p.latency[hist], stat) });
    }
    defs.push({ name: `${hist}.count`, unit: 'count', better: null, describe: `samples of ${what}`, get: (p) => p.latency[hist]?.count ?? null });
  }
  for (const [name, better, what] of COUNTERS) {
    defs.push({ name, unit: 'count', better, describe: what, get: (p) => p.counters[name] ?? null });
  }
  defs.push({ name: 'outage.share', unit: '%', better: 'lower', describe: "share of the steady window the phase's clients were without a connection (above 10% the phase is degraded)", get: (p) => (p.outage === undefined ? null : p.outage.share * 100) });
  defs.push(
    { name: 'errors', unit: 'count', better: 'lower', describe: 'errors of every kind (errors.<kind> for one kind: refused, timeout, tls, protocol, closed, ...)', get: (p) => Object.values(p.counters.errors).reduce((a, b) => a + b, 0) },
    { name: 'lost.pct', unit: '%', better: 'lower', describe: 'lost, percent of expected', get: (p) => percentOf(p.counters.lost, p.counters.expected) },
    { name: 'duplicated.pct', unit: '%', better: 'lower', describe: 'duplicated, percent of expected', get: (p) => percentOf(p.counters.duplicated, p.counters.expected) },
    { name: 'outOfOrder.pct', unit: '%', better: 'lower', describe: 'out of order, percent of expected', get: (p) => percentOf(p.counters.outOfOrder, p.counters.expected) },
    { name: 'sent.rate', unit: '/s', better: 'higher', describe: 'messages published per second, steady window', get: (p) => p.rates.sentPerSecond },
    { name: 'received.rate', unit: '/s', better: 'higher', describe: 'messages delivered per second, steady window', get: (p) => p.rates.receivedPerSecond },
    { name: 'bytesSent.rate', unit: 'B/s', better: 'higher', describe: 'payload bytes published per second', get: (p) => p.rates.bytesSentPerSecond },
    { name: 'bytesReceived.rate', unit: 'B/s', better: 'higher', describe: 'payload bytes delivered per second', get: (p) => p.rates.bytesReceivedPerSecond },
    { name: 'wire.bytesPerMessage', unit: 'B/msg', better: 'lower', describe: 'bytes on the wire (all client sockets, both ways) per delivered message', get: (p) => p.wire?.bytesPerMessage ?? null },
    { name: 'generator.cpuPerMessage', unit: 'us/msg', better: 'lower', describe: 'mqbench CPU time per delivered message', get: (p) => p.generator.cpuMicrosPerMessage },
    { name: 'generator.saturated', unit: 'bool', better: 'lower', describe: 'the load generator, not the target, was the limit (true/false)', get: (p) => (p.generator.saturated ? 1 : 0) },
    { name: 'generator.loopDelay.p99', unit: 'us', better: 'lower', describe: 'worst worker event-loop delay p99', get: (p) => maxOf(p.generator.workers.map((w) => w.eventLoopDelayP99)) },
    { name: 'generator.sendLag.p99', unit: 'us', better: 'lower', describe: 'open model: worst worker p99 of how late sends left', get: (p) => maxOf(p.generator.workers.map((w) => w.sendLagP99)) },
    { name: 'target.cpuPerMessage', unit: 'us/msg', better: 'lower', describe: 'target broker CPU per delivered message (bundled, or --target-pid)', get: (p) => p.target.cpuMicrosPerMessage },
    { name: 'drain.seconds', unit: 'count', better: 'lower', describe: 'seconds the drain took after publishing stopped', get: (p) => p.drain.seconds },
  );
  return defs;
}

export const METRICS: readonly MetricDef[] = buildTable();
const BY_NAME = new Map(METRICS.map((d) => [d.name, d]));

/** `rtt` is `e2e` by another name: on a WebSocket echo phase, e2e is the round trip. */
const ALIASES: Record<string, string> = { rtt: 'e2e' };

/** The metric a name denotes, or null. Accepts aliases (rtt.p99) and errors.<kind>. */
export function metricDef(name: string): MetricDef | null {
  const [head, ...rest] = name.split('.');
  const canonical = head !== undefined && ALIASES[head] !== undefined ? [ALIASES[head], ...rest].join('.') : name;
  const known = BY_NAME.get(canonical);
  if (known !== undefined) return known;
  const kind = /^errors\.([A-Za-z][\w-]*)$/.exec(canonical)?.[1];
  if (kind !== undefined) {
    return { name: canonical, unit: 'count', better: 'lower', describe: `errors of kind ${kind}`, get: (p) => p.counters.errors[kind] ?? 0 };
  }
  return null;
}

/** The closest known metric names, for "did you mean" in errors. */
export function similarMetrics(name: string, limit = 3): string[] {
  const last = (s: string): string => s.slice(s.lastIndexOf('.') + 1);
  // The same statistic (p99, rate, max) of another family is a likely meaning: latency.p99 -> e2e.p99.
  const score = (a: string, b: string): number => distance(a, b) - (a.includes('.') && last(a) === last(b) ? 3 : 0);
  return [...METRICS.map((d) => d.name), 'rtt.p99']
    .map((n) => ({ n, d: score(name, n) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, limit)
    .filter((x) => x.d <= Math.max(4, name.length / 2))
    .map((x) => x.n);
}


/** The figures `--repeat` keeps per repeat and `compare` checks by default, in report order. */
export const COMPARED_METRICS: readonly string[] = [
  'received.rate',
  'sent.rate',
  'e2e.p50',
  'e2e.p99',
  'e2e.p999',
  'ack.p99',
  'connect.p99',
  'lost',
  'duplicated',
  'outOfOrder',
  'errors',
  'generator.cpuPerMessage',
  'wire.bytesPerMessage',
];
