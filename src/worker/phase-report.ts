/**
 * The final report of one worker's part of a phase (metrics/reports.ts), built from what the
 * phase runner holds at its end: the recorder, the open clients, the group figures and the
 * connection gauges. Plain data, sent to the coordinator once.
 */
import type { ConnectFailure, WorkerPhaseReport } from '../metrics/reports.js';
import { encodeOrEmpty, type Recorder } from '../metrics/recorder.js';
import type { WireBytes } from '../metrics/wire.js';
import type { ClientPlan } from '../plan/workers.js';
import type { OpenClient } from './clients.js';
import type { GroupStats } from './group-stats.js';
import type { HealthMonitor } from './health.js';
import type { Publisher } from './publisher.js';
import { deliveryByPublisher } from './subscriber.js';

export interface ReportParts {
  workerIndex: number;
  recorder: Recorder;
  open: ReadonlyArray<{ plan: ClientPlan; client: OpenClient }>;
  publishers: readonly Publisher[];
  stats: readonly GroupStats[];
  willsDropped: ReadonlyArray<{ willId: number; byGroup: number[] }>;
  joinErrors: readonly ConnectFailure[];
  /** Bytes on the wire in the steady window; null when it never began. */
  wireSteady: WireBytes | null;
  health: HealthMonitor;
  /** The connection gauges at the end of the load. */
  connections: number;
  downAtEnd: number;
}

export function buildReport(p: ReportParts): WorkerPhaseReport {
  const r = p.recorder;
  const publishers = p.publishers;
  const sendLag = r.sendLag.histogram;
  return {
    workerIndex: p.workerIndex,
    steady: { ...r.steady },
    total: { ...r.total },
    connects: r.connects,
    connectFailures: r.connectFailures,
    joinFailures: r.joinFailures,
    joinErrors: [...p.joinErrors],
    reconnectAttempts: r.reconnectAttempts,
    reconnects: r.reconnects,
    disconnects: r.disconnects,
    outage: { clients: p.open.length, steadyDownUs: r.steadyDownUs, downAtEnd: p.downAtEnd, unsent: publishers.reduce((a, x) => a + x.unsent, 0), steadyUnsent: r.steadyUnsent },
    afterDrain: r.afterDrain,
    errors: { ...r.errors },
    histograms: histograms(r),
    sent: publishers.map((x) => ({ publisher: x.plan.publisherId, group: x.plan.group, sent: x.seq, matching: x.plan.matching, matchingByGroup: x.plan.matchingByGroup, unacked: x.unacknowledged() })),
    delivery: deliveryByPublisher(p.open.flatMap(({ client }) => (client.subscriber === null ? [] : [client.subscriber]))),
    groups: groupReports(p.stats, p.open),
    willsDropped: [...p.willsDropped],
    ...(p.wireSteady !== null ? { wire: p.wireSteady } : {}),
    health: {
      workerIndex: p.workerIndex,
      ...p.health.snapshot(),
      connections: p.connections,
      sendLagP99: sendLag.totalCount === 0 ? 0 : sendLag.getValueAtPercentile(99),
      sendLagP50: sendLag.totalCount === 0 ? 0 : sendLag.getValueAtPercentile(50),
      windowStalls: publishers.reduce((a, x) => a + x.stalls, 0),
    },
  };
}

function histograms(r: Recorder): WorkerPhaseReport['histograms'] {
  return {
    e2e: encodeOrEmpty(r.e2e.histogram),
    e2eUncorrected: encodeOrEmpty(r.e2eUncorrected.histogram),
    ack: encodeOrEmpty(r.ack.histogram),
    connect: encodeOrEmpty(r.connect),
    subscribe: encodeOrEmpty(r.subscribe),
    connectTcp: encodeOrEmpty(r.connectTcp),
    connectTls: encodeOrEmpty(r.connectTls),
    connectWs: encodeOrEmpty(r.connectWs),
    outage: encodeOrEmpty(r.outageHistogram),
  };
}

/** Each group's figures, with what its clients in this worker sent, had acknowledged and received. */
function groupReports(stats: readonly GroupStats[], open: ReadonlyArray<{ plan: ClientPlan; client: OpenClient }>): WorkerPhaseReport['groups'] {
  return stats.map((s, gi) => {
    const mine = open.filter((o) => o.plan.group === gi);
    const pubs = mine.flatMap((o) => (o.client.publisher === null ? [] : [o.client.publisher]));
    const subs = mine.flatMap((o) => (o.client.subscriber === null ? [] : [o.client.subscriber]));
    return s.report(
      pubs.reduce((a, x) => a + x.seq, 0),
      pubs.reduce((a, x) => a + x.acked, 0),
      subs.map((x) => x.unique),
    );
  });
}
