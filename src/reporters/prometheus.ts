/**
 * --metrics-listen: the live figures of a run in the Prometheus text format (prom-client), fed
 * once per second with every worker's snapshot and once per phase with its settled result.
 * Every series carries run_id, phase, protocol, transport and qos ("none" for plain WebSocket),
 * so the phases of a run, and runs one after another, never mix. Counters only grow; the
 * per-second gauges of a phase (connections, in flight, latency quantiles, worker health) exist
 * while it runs and are removed when it ends, the counters, the histogram and the saturation
 * flag stay. Serving the text is the CLI's (cli/metrics-server.ts).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { SATURATED_CPU_PERCENT, SATURATED_LOOP_DELAY_US } from '../metrics/aggregate.js';
import { mergeEncoded } from '../metrics/histogram.js';
import type { LiveSecond } from '../metrics/live.js';
import type { IntervalSnapshot } from '../metrics/reports.js';
import type { PhaseResult } from '../metrics/result.js';
import { BucketHistogram } from './prometheus-histogram.js';

const BASE = ['run_id', 'phase', 'protocol', 'transport', 'qos'] as const;
type Base = (typeof BASE)[number];
type Labels = Record<Base, string>;

/** The quantiles of the per-second latency gauges, as percentiles and as the label says them. */
export const QUANTILES: ReadonlyArray<{ percentile: number; label: string }> = [
  { percentile: 50, label: '0.5' },
  { percentile: 90, label: '0.9' },
  { percentile: 99, label: '0.99' },
  { percentile: 99.9, label: '0.999' },
];

/** Upper bounds of the e2e latency histogram, seconds: 100 us (loopback) to 10 s (a broker that holds messages). */
export const E2E_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a phase's series has exported so far, so the settled result only adds what is missing. */
interface PhaseState {
  phase: string;
  labels: Labels;
  counted: { sent: number; received: number; acked: number; duplicated: number };
  errors: Map<string, number>;
  /** Each worker's errors by kind as its last snapshot had them (cumulative in the phase). */
  workerErrors: Map<number, Record<string, number>>;
  workers: Set<number>;
  quantiles: { e2e: Set<string>; ack: Set<string> };
}

export class LiveMetrics {
  readonly registry = new Registry();
  private readonly counter = (name: string, help: string): Counter<Base> => new Counter({ name, help, labelNames: BASE, registers: [this.registry] });
  private readonly gauge = <L extends string>(name: string, help: string, extra: readonly L[]): Gauge<Base | L> =>
    new Gauge({ name, help, labelNames: [...BASE, ...extra], registers: [this.registry] });

  private readonly sent = this.counter('mqbench_messages_sent_total', 'Messages published (MQTT) or sent (WebSocket).');
  private readonly acked = this.counter('mqbench_messages_acked_total', 'Publishes acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP).');
  private readonly received = this.counter('mqbench_messages_received_total', 'Messages received by the subscribers, repeats included.');
  private readonly lost = this.counter('mqbench_messages_lost_total', 'Expected deliveries that never arrived; settled from the sequence numbers when the phase ends (0 until then).');
  private readonly duplicated = this.counter('mqbench_messages_duplicated_total', 'Repeat deliveries of a message already received.');
  private readonly errors = new Counter({ name: 'mqbench_errors_total', help: 'Client errors by kind.', labelNames: [...BASE, 'kind'], registers: [this.registry] });
  private readonly connections = this.gauge('mqbench_connections', 'Open client connections at the end of the last second.', []);
  private readonly down = this.gauge('mqbench_clients_down', 'Clients without a connection because the target dropped them.', []);
  private readonly inflight = this.gauge('mqbench_inflight', 'Messages sent and not yet acknowledged (QoS 1/2) or handed to the socket (QoS 0, WebSocket).', []);
  private readonly e2eQ = this.gauge('mqbench_e2e_latency_quantile_seconds', 'End-to-end latency of the messages received in the last second (corrected for coordinated omission in the open model).', ['quantile']);
  private readonly ackQ = this.gauge('mqbench_ack_latency_quantile_seconds', 'Publish-to-acknowledgement latency of the acknowledgements of the last second.', ['quantile']);
  private readonly e2e = new BucketHistogram('mqbench_e2e_latency_seconds', 'End-to-end latency of every message received in the phase (warm-up and drain included).', E2E_BUCKETS_SECONDS, this.registry);
  private readonly saturated = this.gauge('mqbench_generator_saturated', `1 when the load generator, not the target, was the limit: in the last second a worker busy ${SATURATED_CPU_PERCENT}% or more or with an event-loop delay p99 of ${SATURATED_LOOP_DELAY_US / 1000} ms or more; the phase's verdict once it ended.`, []);
  private readonly busy = this.gauge('mqbench_worker_busy_ratio', "Share of the last second the worker's event loop was busy (0-1).", ['worker']);
  private readonly loopDelay = this.gauge('mqbench_worker_event_loop_delay_p99_seconds', "The worker's event-loop delay p99 over the last second.", ['worker']);

  /** The phase whose seconds are coming in; phases run one after another. */
  private current: PhaseState | null = null;

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** One second of a phase: counters advanced, gauges set. */
  second(s: LiveSecond): void {
    const st = this.stateFor(s);
    const { labels } = st;
    const sum = (f: (x: IntervalSnapshot) => number): number => s.snapshots.reduce((a, x) => a + f(x), 0);
    this.advance(st, 'sent', this.sent, sum((x) => x.sent));
    this.advance(st, 'received', this.received, sum((x) => x.received));
    this.advance(st, 'acked', this.acked, sum((x) => x.acked));
    this.advance(st, 'duplicated', this.duplicated, sum((x) => x.duplicates));
    for (const x of s.snapshots) this.workerErrors(st, x);
    this.connections.set(labels, sum((x) => x.connections));
    this.down.set(labels, sum((x) => x.down));
    this.inflight.set(labels, sum((x) => x.inflight));
    const e2e = mergeEncoded(s.snapshots.map((x) => x.e2e));
    this.e2e.add(labels, e2e);
    this.setQuantiles(this.e2eQ, labels, st.quantiles.e2e, e2e);
    this.setQuantiles(this.ackQ, labels, st.quantiles.ack, mergeEncoded(s.snapshots.map((x) => x.ack)));
    let saturated = false;
    for (const x of s.snapshots) {
      const w = { ...labels, worker: String(x.workerIndex) };
      st.workers.add(x.workerIndex);
      this.busy.set(w, x.loop.busyPercent / 100);
      this.loopDelay.set(w, x.loop.delayP99Us / 1e6);
      if (x.loop.busyPercent >= SATURATED_CPU_PERCENT || x.loop.delayP99Us >= SATURATED_LOOP_DELAY_US) saturated = true;
    }
    this.saturated.set(labels, saturated ? 1 : 0);
  }

  /** A phase ended: the counts settled at its end added, its verdict on saturation set, its per-second gauges removed. */
  phaseEnded(p: PhaseResult): void {
    const st = this.current;
    // A phase that never started its load has no series.
    if (st === null || st.phase !== p.name) return;
    const { labels } = st;
    const c = p.counters;
    this.advance(st, 'sent', this.sent, c.sent - st.counted.sent);
    this.advance(st, 'received', this.received, c.received - st.counted.received);
    this.advance(st, 'acked', this.acked, c.acked - st.counted.acked);
    this.advance(st, 'duplicated', this.duplicated, c.duplicated - st.counted.duplicated);
    this.lost.inc(labels, c.lost);
    for (const [kind, n] of Object.entries(c.errors)) this.errorsTo(st, kind, n);
    this.saturated.set(labels, p.generator.saturated ? 1 : 0);
    for (const g of [this.connections, this.down, this.inflight]) g.remove(labels);
    for (const q of st.quantiles.e2e) this.e2eQ.remove({ ...labels, quantile: q });
    for (const q of st.quantiles.ack) this.ackQ.remove({ ...labels, quantile: q });
    for (const w of st.workers) {
      this.busy.remove({ ...labels, worker: String(w) });
      this.loopDelay.remove({ ...labels, worker: String(w) });
    }
    this.current = null;
  }

  private stateFor(s: LiveSecond): PhaseState {
    const cur = this.current;
    if (cur !== null && cur.phase === s.spec.name && cur.labels.run_id === s.runId) return cur;
    const { protocol, transport, qos } = s.spec.params;
    const labels: Labels = { run_id: s.runId, phase: s.spec.name, protocol, transport, qos: qos === null ? 'none' : String(qos) };
    const st: PhaseState = {
      phase: s.spec.name,
      labels,
      counted: { sent: 0, received: 0, acked: 0, duplicated: 0 },
      errors: new Map(),
      workerErrors: new Map(),
      workers: new Set(),
      quantiles: { e2e: new Set(), ack: new Set() },
    };
    // Every counter of the phase shows from its first second, at 0 until something happens.
    for (const c of [this.sent, this.received, this.acked, this.duplicated, this.lost]) c.inc(labels, 0);
    this.current = st;
    return st;
  }

  private advance(st: PhaseState, key: keyof PhaseState['counted'], c: Counter<Base>, n: number): void {
    if (!(n > 0)) return;
    c.inc(st.labels, n);
    st.counted[key] += n;
  }

  /** A worker's cumulative errors: what grew since its last snapshot is added to the phase's. */
  private workerErrors(st: PhaseState, x: IntervalSnapshot): void {
    const before = st.workerErrors.get(x.workerIndex) ?? {};
    for (const [kind, n] of Object.entries(x.errors)) {
      const grew = n - (before[kind] ?? 0);
      if (grew > 0) this.errorsTo(st, kind, (st.errors.get(kind) ?? 0) + grew);
    }
    st.workerErrors.set(x.workerIndex, x.errors);
  }

  /** The phase's errors of `kind` brought up to `total` (never down). */
  private errorsTo(st: PhaseState, kind: string, total: number): void {
    const grew = total - (st.errors.get(kind) ?? 0);
    if (grew <= 0) return;
    this.errors.inc({ ...st.labels, kind }, grew);
    st.errors.set(kind, total);
  }

  /** The quantile gauges of one second; a second without a value has none (the series go stale). */
  private setQuantiles(g: Gauge<Base | 'quantile'>, labels: Labels, shown: Set<string>, h: ReturnType<typeof mergeEncoded>): void {
    for (const q of QUANTILES) {
      const l = { ...labels, quantile: q.label };
      if (h.totalCount === 0) {
        if (shown.delete(q.label)) g.remove(l);
      } else {
        g.set(l, h.getValueAtPercentile(q.percentile) / 1e6);
        shown.add(q.label);
      }
    }
  }
}
