/**
 * Merging the workers' reports of one phase (src/metrics/aggregate.ts), driven with small
 * constructed reports and snapshots.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GroupReport, HistogramName, IntervalSnapshot, WorkerHealth, WorkerPhaseReport } from '../src/metrics/reports.js';
import type { Qos } from '../src/config/units.js';
import {
  deliveryFailures,
  mergeGroups,
  mergePhase,
  mergeTimeline,
  saturationReasons,
  type PhaseContext,
} from '../src/metrics/aggregate.js';
import { encode, newHistogram, record, summarize } from '../src/metrics/histogram.js';
import type { PhaseSpec } from '../src/plan/plan.js';
import type { GroupSpec, Stage } from '../src/config/model.js';
import { group, openGroup, phase } from './helpers/fixtures.js';

const LOAD = { stages: [] as Stage[], warmupMs: 2000, durationMs: 10_000, drainMs: 5000 };

/** Two publishers (closed model, or open at `rate`) and one subscriber, all at `qos`. */
function spec(fields: { qos?: Qos; rate?: number } = {}): PhaseSpec {
  const qos = fields.qos ?? 1;
  const pubs = fields.rate === undefined ? group('publishers', 'publish', { clients: 2, qos }) : openGroup('publishers', 'publish', fields.rate, { clients: 2, qos });
  return phase([pubs, group('subscribers', 'subscribe', { qos })], { load: LOAD });
}

const openSpec = (rate: number): PhaseSpec => spec({ rate });

function health(workerIndex: number, h: Partial<WorkerHealth> = {}): WorkerHealth {
  return {
    workerIndex,
    eventLoopDelayP99: 1000,
    eventLoopDelayMax: 2000,
    cpuPercent: 40,
    heapUsedBytes: 1e7,
    rssBytes: 1e8,
    connections: 2,
    sendLagP99: 0,
    windowStalls: 0,
    ...h,
  };
}

function enc(values: readonly number[]): string {
  const h = newHistogram();
  for (const v of values) record(h, v);
  return encode(h);
}

const NO_HISTOGRAMS: Record<HistogramName, string> = { e2e: '', e2eUncorrected: '', ack: '', connect: '', subscribe: '', connectTcp: '', connectTls: '', connectWs: '', outage: '' };

function report(workerIndex: number, r: Partial<WorkerPhaseReport> = {}): WorkerPhaseReport {
  return {
    workerIndex,
    steady: { sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0 },
    total: { sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0 },
    connects: 0,
    connectFailures: 0,
    joinFailures: 0,
    reconnectAttempts: 0,
    reconnects: 0,
    disconnects: 0,
    outage: { clients: 0, steadyDownUs: 0, downAtEnd: 0, unsent: 0, steadyUnsent: 0 },
    afterDrain: 0,
    errors: {},
    histograms: { ...NO_HISTOGRAMS },
    sent: [],
    delivery: [],
    groups: [],
    willsDropped: [],
    health: health(workerIndex),
    ...r,
  };
}

function snapshot(workerIndex: number, t: number, s: Partial<IntervalSnapshot> = {}): IntervalSnapshot {
  return { workerIndex, t, sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0, e2e: '', connections: 0, down: 0, ack: '', duplicates: 0, inflight: 0, errors: {}, loop: { busyPercent: 0, delayP99Us: 0 }, steadyMax: { e2e: 0, e2eUncorrected: 0, ack: 0 }, missing: 0, ...s };
}

function ctx(c: Partial<PhaseContext> = {}): PhaseContext {
  return {
    status: 'completed',
    steadySeconds: 10,
    connectSeconds: 0.5,
    drainSeconds: 0.1,
    drainComplete: true,
    cpuSeconds: 1,
    target: { kind: 'bundled', url: 'mqtt://127.0.0.1:1883', cpuSeconds: null, cpuMicrosPerMessage: null },
    ...c,
  };
}

describe('deliveryFailures', () => {
  const cases: Array<[0 | 1 | 2 | null, number, number, string[]]> = [
    [0, 0, 0, []],
    [0, 100, 0, []], // QoS 0 may lose
    [0, 0, 5, []],
    [0, 100, 5, []],
    [1, 0, 0, []],
    [1, 3, 0, ['3 QoS 1 message(s) lost']],
    [1, 0, 7, []], // QoS 1 may duplicate
    [1, 3, 7, ['3 QoS 1 message(s) lost']],
    [2, 0, 0, []],
    [2, 1, 0, ['1 QoS 2 message(s) lost']],
    [2, 0, 2, ['2 QoS 2 message(s) delivered more than once']],
    [2, 4, 2, ['4 QoS 2 message(s) lost', '2 QoS 2 message(s) delivered more than once']],
    [null, 0, 0, []],
    [null, 5, 0, ['5 WebSocket message(s) lost']],
    [null, 0, 1, ['1 WebSocket message(s) delivered more than once']],
    [null, 5, 1, ['5 WebSocket message(s) lost', '1 WebSocket message(s) delivered more than once']],
  ];
  for (const [qos, lost, dup, expected] of cases) {
    test(`qos ${qos}, ${lost} lost, ${dup} duplicated -> ${expected.length} failure(s)`, () => {
      assert.deepEqual(deliveryFailures(qos, lost, dup), expected);
    });
  }
});

describe('saturationReasons', () => {
  // Each limit README documents ("busy 90% of the time or more, event-loop delay p99 of 50 ms or
  // more, open-model sends 10 ms or more behind schedule, or less than 95% of the asked rate"),
  // driven at the limit and just inside it: the reason appears exactly at the documented value.
  const limits: Array<{ name: string; spec: PhaseSpec; inside: Partial<WorkerHealth> & { sent?: number }; at: Partial<WorkerHealth> & { sent?: number }; reason: RegExp }> = [
    { name: 'busy 90% of the time', spec: spec(), inside: { cpuPercent: 89.99 }, at: { cpuPercent: 90 }, reason: /^worker 0 was busy 90% of the time \(limit 90%\)$/ },
    { name: 'event-loop delay p99 50 ms', spec: spec(), inside: { eventLoopDelayP99: 49_999 }, at: { eventLoopDelayP99: 50_000 }, reason: /^worker 0 event-loop delay p99 50\.0ms \(limit 50ms\)$/ },
    { name: 'open model: sends 10 ms behind schedule', spec: openSpec(100), inside: { sendLagP99: 9_999, sent: 1000 }, at: { sendLagP99: 10_000, sent: 1000 }, reason: /^worker 0 sent late: p99 10\.0ms behind schedule$/ },
    // 10 s at 1000/s asked: 9500 sent is 95%, 9499 is below it.
    { name: 'open model: 95% of the asked rate', spec: openSpec(1000), inside: { sent: 9_500 }, at: { sent: 9_499 }, reason: /^sent 950\/s of the 1000\/s asked$/ },
  ];
  for (const l of limits) {
    test(`the documented limit: ${l.name}`, () => {
      const judge = ({ sent, ...h }: Partial<WorkerHealth> & { sent?: number }): string[] => saturationReasons(l.spec, [health(0, h)], sent ?? 0, 10);
      assert.deepEqual(judge(l.inside), [], 'just inside the limit: not saturated');
      const reasons = judge(l.at);
      assert.equal(reasons.length, 1, reasons.join('; '));
      assert.match(reasons[0]!, l.reason);
    });
  }

  const cases: Array<{ name: string; spec: PhaseSpec; workers: WorkerHealth[]; sent: number; seconds: number; reasons: string[] }> = [
    { name: 'healthy closed model', spec: spec(), workers: [health(0), health(1)], sent: 5, seconds: 10, reasons: [] },
    { name: 'no workers', spec: spec(), workers: [], sent: 0, seconds: 10, reasons: [] },
    { name: 'cpu just below the limit', spec: spec(), workers: [health(0, { cpuPercent: 89.9 })], sent: 0, seconds: 10, reasons: [] },
    { name: 'cpu at the limit', spec: spec(), workers: [health(0, { cpuPercent: 90 })], sent: 0, seconds: 10, reasons: ['worker 0 was busy 90% of the time (limit 90%)'] },
    { name: 'cpu over the limit on the second worker', spec: spec(), workers: [health(0), health(1, { cpuPercent: 99.5 })], sent: 0, seconds: 10, reasons: ['worker 1 was busy 99.5% of the time (limit 90%)'] },
    { name: 'event-loop delay just below', spec: spec(), workers: [health(0, { eventLoopDelayP99: 49_999 })], sent: 0, seconds: 10, reasons: [] },
    { name: 'event-loop delay at the limit', spec: spec(), workers: [health(0, { eventLoopDelayP99: 50_000 })], sent: 0, seconds: 10, reasons: ['worker 0 event-loop delay p99 50.0ms (limit 50ms)'] },
    { name: 'closed model ignores send lag', spec: spec(), workers: [health(0, { sendLagP99: 1e6 })], sent: 0, seconds: 10, reasons: [] },
    { name: 'closed model has no schedule to miss', spec: spec(), workers: [health(0)], sent: 1, seconds: 10, reasons: [] },
    { name: 'open model: send lag below', spec: openSpec(100), workers: [health(0, { sendLagP99: 9_999 })], sent: 1000, seconds: 10, reasons: [] },
    { name: 'open model: send lag over the limit', spec: openSpec(100), workers: [health(3, { sendLagP99: 12_345 })], sent: 1000, seconds: 10, reasons: ['worker 3 sent late: p99 12.3ms behind schedule'] },
    { name: 'open model: rate kept exactly', spec: openSpec(1000), workers: [health(0)], sent: 10_000, seconds: 10, reasons: [] },
    { name: 'open model: 95% of the rate is enough', spec: openSpec(1000), workers: [health(0)], sent: 9_500, seconds: 10, reasons: [] },
    { name: 'open model: below 95% of the rate', spec: openSpec(1000), workers: [health(0)], sent: 9_400, seconds: 10, reasons: ['sent 940/s of the 1000/s asked'] },
    { name: 'open model: no steady window, no rate judgement', spec: openSpec(1000), workers: [health(0)], sent: 0, seconds: 0, reasons: [] },
    {
      name: 'every reason at once, worker by worker, rate last',
      spec: openSpec(500),
      workers: [health(0, { cpuPercent: 95, eventLoopDelayP99: 80_000, sendLagP99: 20_000 }), health(1, { cpuPercent: 91 })],
      sent: 1000,
      seconds: 4,
      reasons: [
        'worker 0 was busy 95% of the time (limit 90%)',
        'worker 0 event-loop delay p99 80.0ms (limit 50ms)',
        'worker 0 sent late: p99 20.0ms behind schedule',
        'worker 1 was busy 91% of the time (limit 90%)',
        'sent 250/s of the 500/s asked',
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(saturationReasons(c.spec, c.workers, c.sent, c.seconds), c.reasons);
    });
  }
});

describe('mergeTimeline', () => {
  test('no snapshots, no points', () => {
    assert.deepEqual(mergeTimeline([], 0, 2, 10), []);
  });

  test('snapshots of several workers are added per second, sorted, warm-up marked', () => {
    const snaps = [
      snapshot(1, 3, { sent: 30, received: 29, bytesSent: 300, bytesReceived: 290, connections: 2, e2e: enc([500, 600]) }),
      snapshot(0, 1, { sent: 10, received: 9, bytesSent: 100, bytesReceived: 90, connections: 1, e2e: enc([100]) }),
      snapshot(1, 1, { sent: 11, received: 10, bytesSent: 110, bytesReceived: 100, connections: 2, e2e: enc([300]) }),
      snapshot(0, 2, { sent: 20, received: 20, bytesSent: 200, bytesReceived: 200, connections: 1 }),
      snapshot(0, 3, { sent: 31, received: 30, bytesSent: 310, bytesReceived: 300, connections: 1, e2e: enc([700]) }),
      snapshot(1, 2, { sent: 21, received: 21, bytesSent: 210, bytesReceived: 210, connections: 2 }),
    ];
    assert.deepEqual(mergeTimeline(snaps, 0, 2, 10), [
      { t: 1, stage: 'warmup', warmup: true, sent: 21, received: 19, bytesSent: 210, bytesReceived: 190, p50: 100, p99: 300, connections: 3, down: 0 },
      { t: 2, stage: 'warmup', warmup: true, sent: 41, received: 41, bytesSent: 410, bytesReceived: 410, p50: 0, p99: 0, connections: 3, down: 0 },
      { t: 3, stage: 'steady', warmup: false, sent: 61, received: 59, bytesSent: 610, bytesReceived: 590, p50: 600, p99: 700, connections: 3, down: 0 },
    ]);
  });

  const warmups: Array<[number, boolean[]]> = [
    [0, [false, false, false]],
    [1, [true, false, false]],
    [2.5, [true, true, false]],
    [3, [true, true, true]],
  ];
  for (const [warmupSeconds, flags] of warmups) {
    test(`warm-up of ${warmupSeconds}s marks ${JSON.stringify(flags)}`, () => {
      const points = mergeTimeline([snapshot(0, 2), snapshot(0, 1), snapshot(0, 3)], 0, warmupSeconds, 10);
      assert.deepEqual(points.map((p) => p.t), [1, 2, 3]);
      assert.deepEqual(points.map((p) => p.warmup), flags);
    });
  }

  test('the order snapshots arrive in does not change the timeline', () => {
    const snaps = [snapshot(0, 1, { sent: 1, e2e: enc([10]) }), snapshot(1, 1, { sent: 2, e2e: enc([20, 30]) }), snapshot(0, 2, { sent: 4, e2e: enc([40]) })];
    assert.deepEqual(mergeTimeline([...snaps].reverse(), 0, 1, 10), mergeTimeline(snaps, 0, 1, 10));
  });
});

describe('mergePhase', () => {
  const w0 = report(0, {
    steady: { sent: 1100, acked: 1100, received: 1300, bytesSent: 17_600, bytesReceived: 20_800 },
    total: { sent: 1000, acked: 998, received: 1500, bytesSent: 16_000, bytesReceived: 24_000 },
    connects: 2,
    connectFailures: 1,
    joinFailures: 1,
    reconnects: 0,
    disconnects: 1,
    errors: { ECONNRESET: 2, timeout: 1 },
    histograms: { ...NO_HISTOGRAMS, e2e: enc([400]), ack: enc([50, 60]), connect: enc([1000]) },
    sent: [{ publisher: 1, group: 0, sent: 1000, matching: 1, matchingByGroup: [0, 1] }],
    delivery: [{ publisher: 2, group: 1, skipped: 0, unique: 500, duplicates: 0, outOfOrder: 0 }],
    health: health(0, { cpuPercent: 50 }),
  });
  const w1 = report(1, {
    steady: { sent: 900, acked: 900, received: 800, bytesSent: 14_400, bytesReceived: 12_800 },
    total: { sent: 500, acked: 500, received: 990, bytesSent: 8_000, bytesReceived: 15_840 },
    connects: 1,
    connectFailures: 0,
    reconnects: 1,
    disconnects: 0,
    errors: { ECONNRESET: 1 },
    histograms: { ...NO_HISTOGRAMS, e2e: enc([100, 200, 300]), ack: enc([70]), connect: enc([2000]) },
    sent: [{ publisher: 2, group: 0, sent: 500, matching: 1, matchingByGroup: [0, 1] }],
    delivery: [{ publisher: 1, group: 1, skipped: 0, unique: 990, duplicates: 3, outOfOrder: 2 }],
    health: health(1, { cpuPercent: 60 }),
  });
  const snaps = [snapshot(0, 1, { sent: 5, e2e: enc([100]) }), snapshot(1, 1, { sent: 6 }), snapshot(0, 3, { sent: 7 })];
  const context = ctx({
    steadySeconds: 10.00049,
    connectSeconds: 1.23456,
    drainSeconds: 0.0004,
    drainComplete: false,
    cpuSeconds: 0.5,
    target: { kind: 'external', url: 'mqtt://h:1883', cpuSeconds: 0.21, cpuMicrosPerMessage: null },
  });

  test('counters are added and delivery settled over every worker', () => {
    const r = mergePhase(spec(), [w1, w0], snaps, context);
    assert.deepEqual(r.counters, {
      sent: 1500,
      acked: 1498,
      expected: 1500,
      received: 1493,
      lost: 10,
      duplicated: 3,
      outOfOrder: 2,
      connects: 3,
      connectFailures: 1,
      reconnectAttempts: 0,
      reconnects: 1,
      disconnects: 1,
      lostNotAcknowledged: 0,
      lostAcknowledged: 0,
      deliveredAfterDrain: 0,
      errors: { ECONNRESET: 3, timeout: 1 },
    });
    // The phase completed, so its one connect failure was a client joining during the load.
    assert.deepEqual(r.deliveryFailures, ['10 QoS 1 message(s) lost', '1 client(s) that joined during the load could not connect']);
  });

  test('name, status, params and rounded durations', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, context);
    assert.equal(r.name, 'mqtt-tcp-qos1');
    assert.equal(r.status, 'completed');
    assert.equal('error' in r, false);
    assert.deepEqual(r.params, { ...spec().params, rampSeconds: 0, warmupSeconds: 2, drainSeconds: 5 });
    assert.equal(r.durationSeconds, 10);
    assert.equal(r.connectSeconds, 1.235);
    assert.deepEqual(r.drain, { seconds: 0, complete: false });
  });

  test('rates per second of the steady window', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, ctx({ steadySeconds: 8 }));
    assert.deepEqual(r.rates, {
      sentPerSecond: 250, // (1100 + 900) / 8
      receivedPerSecond: 262.5, // (1300 + 800) / 8
      bytesSentPerSecond: 4000,
      bytesReceivedPerSecond: 4200,
    });
  });

  test('no steady window: rates are 0, not Infinity or NaN', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, ctx({ steadySeconds: 0 }));
    assert.deepEqual(r.rates, { sentPerSecond: 0, receivedPerSecond: 0, bytesSentPerSecond: 0, bytesReceivedPerSecond: 0 });
    assert.equal(r.durationSeconds, 0);
  });

  test('latency histograms are merged exactly; absent ones are empty', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, context);
    assert.equal(r.latency.e2e.count, 4);
    assert.equal(r.latency.e2e.min, 100);
    assert.equal(r.latency.e2e.max, 400);
    assert.equal(r.latency.e2e.mean, 250);
    assert.equal(r.latency.e2e.p50, 200);
    assert.equal(r.latency.ack.count, 3);
    assert.equal(r.latency.ack.p50, 60);
    assert.equal(r.latency.connect.count, 2);
    assert.equal(r.latency.connect.max, 2000);
    for (const k of ['e2eUncorrected', 'subscribe', 'connectTcp', 'connectTls', 'connectWs'] as const) {
      assert.equal(r.latency[k].count, 0, k);
      assert.equal(r.latency[k].histogram, '', k);
    }
    // The report order does not matter.
    assert.deepEqual(mergePhase(spec(), [w1, w0], snaps, context).latency, r.latency);
  });

  test('timeline from the snapshots, warm-up marked from the spec', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, context);
    assert.deepEqual(r.timeline, mergeTimeline(snaps, 0, 2, 10));
    assert.deepEqual(r.timeline.map((p) => [p.t, p.warmup, p.sent]), [[1, true, 11], [3, false, 7]]);
  });

  test('generator health: workers sorted, CPU per delivered message', () => {
    const r = mergePhase(spec(), [w1, w0], snaps, context);
    assert.deepEqual(r.generator.workers.map((w) => w.workerIndex), [0, 1]);
    assert.equal(r.generator.saturated, false);
    assert.deepEqual(r.generator.reasons, []);
    assert.equal(r.generator.cpuSeconds, 0.5);
    // 0.5 s over 2100 steady deliveries = 238.095 us, rounded to 2 decimals.
    assert.equal(r.generator.cpuMicrosPerMessage, 238.1);
    assert.deepEqual(r.target, { kind: 'external', url: 'mqtt://h:1883', cpuSeconds: 0.21, cpuMicrosPerMessage: 100 });
  });

  test('no deliveries: CPU per message is null', () => {
    const r = mergePhase(spec(), [report(0, { health: health(0) })], [], ctx({ target: { kind: 'bundled', url: 'u', cpuSeconds: 2, cpuMicrosPerMessage: null } }));
    assert.equal(r.generator.cpuMicrosPerMessage, null);
    assert.equal(r.target.cpuMicrosPerMessage, null);
  });

  test('saturated worker and missed rate in the open model', () => {
    const busy = report(0, { steady: { sent: 4000, acked: 0, received: 4000, bytesSent: 0, bytesReceived: 0 }, health: health(0, { cpuPercent: 97 }) });
    const r = mergePhase(openSpec(1000), [busy], [], ctx({ steadySeconds: 10 }));
    assert.equal(r.generator.saturated, true);
    assert.deepEqual(r.generator.reasons, ['worker 0 was busy 97% of the time (limit 90%)', 'sent 400/s of the 1000/s asked']);
  });

  test('error and status are carried over', () => {
    const r = mergePhase(spec(), [w0], [], ctx({ status: 'failed', error: 'worker 0 died' }));
    assert.equal(r.status, 'failed');
    assert.equal(r.error, 'worker 0 died');
  });

  test('no reports at all: zero counters and empty summaries', () => {
    const r = mergePhase(spec({ qos: 2 }), [], [], ctx());
    assert.deepEqual(r.counters, {
      sent: 0,
      acked: 0,
      expected: 0,
      received: 0,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      connects: 0,
      connectFailures: 0,
      reconnectAttempts: 0,
      reconnects: 0,
      disconnects: 0,
      lostNotAcknowledged: 0,
      lostAcknowledged: 0,
      deliveredAfterDrain: 0,
      errors: {},
    });
    assert.deepEqual(r.latency.e2e, summarize(newHistogram()));
    assert.deepEqual(r.generator.workers, []);
    assert.deepEqual(r.deliveryFailures, []);
    assert.deepEqual(r.timeline, []);
  });

  const failureCases: Array<{ qos: 0 | 1 | 2; lostAndDup: [number, number]; failures: string[] }> = [
    { qos: 0, lostAndDup: [5, 2], failures: [] },
    { qos: 1, lostAndDup: [5, 2], failures: ['5 QoS 1 message(s) lost'] },
    { qos: 2, lostAndDup: [5, 2], failures: ['5 QoS 2 message(s) lost', '2 QoS 2 message(s) delivered more than once'] },
  ];
  for (const c of failureCases) {
    test(`QoS ${c.qos} phase delivery failures from the reports`, () => {
      const [lost, dup] = c.lostAndDup;
      const r = mergePhase(
        spec({ qos: c.qos }),
        [
          report(0, { sent: [{ publisher: 1, group: 0, sent: 20, matching: 1, matchingByGroup: [0, 1] }] }),
          report(1, { delivery: [{ publisher: 1, group: 1, skipped: 0, unique: 20 - lost, duplicates: dup, outOfOrder: 0 }] }),
        ],
        [],
        ctx(),
      );
      assert.equal(r.counters.lost, lost);
      assert.equal(r.counters.duplicated, dup);
      assert.deepEqual(r.deliveryFailures, c.failures);
    });
  }
});

describe('mergeTimeline: the stage of each second', () => {
  const cases: Array<{ name: string; ramp: number; warmup: number; steady: number; stages: string[] }> = [
    { name: 'ramp, warm-up, steady, drain', ramp: 2, warmup: 1, steady: 3, stages: ['ramp', 'ramp', 'warmup', 'steady', 'steady', 'steady', 'drain', 'drain'] },
    { name: 'no ramp', ramp: 0, warmup: 2, steady: 3, stages: ['warmup', 'warmup', 'steady', 'steady', 'steady', 'drain', 'drain', 'drain'] },
    { name: 'no ramp, no warm-up', ramp: 0, warmup: 0, steady: 2, stages: ['steady', 'steady', 'drain', 'drain', 'drain', 'drain', 'drain', 'drain'] },
    { name: 'fractional seconds: a second belongs to the part it ends in', ramp: 1.5, warmup: 1, steady: 2, stages: ['ramp', 'warmup', 'steady', 'steady', 'drain', 'drain', 'drain', 'drain'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const points = mergeTimeline(Array.from({ length: 8 }, (_, i) => snapshot(0, i + 1)), c.ramp, c.warmup, c.steady);
      assert.deepEqual(points.map((p) => p.stage), c.stages);
      // Ramp and warm-up are measured but excluded from the figures.
      assert.deepEqual(points.map((p) => p.warmup), c.stages.map((s) => s === 'ramp' || s === 'warmup'));
    });
  }

  test('mergePhase marks the ramp from the spec', () => {
    const stages: Stage[] = [{ durationMs: 2000, kind: 'rate', level: 1 }];
    const s = phase([openGroup('pubs', 'publish', 100), group('subs', 'subscribe')], { load: { stages, warmupMs: 1000, durationMs: 2000, drainMs: 1000 } });
    const r = mergePhase(s, [report(0)], [1, 2, 3, 4, 5, 6].map((t) => snapshot(0, t)), ctx());
    assert.deepEqual(r.timeline.map((p) => p.stage), ['ramp', 'ramp', 'warmup', 'steady', 'steady', 'drain']);
    assert.equal(r.params.rampSeconds, 2);
  });
});

function groupReport(g: Partial<GroupReport> = {}): GroupReport {
  return {
    connects: 0,
    connectFailures: 0,
    disconnects: 0,
    reconnects: 0,
    sent: 0,
    acked: 0,
    receivingClients: 0,
    minPerClient: 0,
    maxPerClient: 0,
    retained: 0,
    willsReceived: 0,
    sessionsResumed: 0,
    backlog: 0,
    backlogDrainUs: 0,
    e2e: '',
    connect: '',
    will: '',
    ...g,
  };
}

describe('mergeGroups', () => {
  const will = { topic: 'wills/{run}/{client}', qos: 1 as const, retain: false };
  const s = phase([
    group('pubs', 'publish', { clients: 2, qos: 1, will, drop: { atMs: 500 } }),
    group('subs', 'subscribe', { clients: 3, qos: 1 }),
    group('monitor', 'subscribe', { clients: 1, qos: 1, filters: ['wills/{run}/+'] }),
    group('idle', 'connect-only', { clients: 2 }),
  ]);
  // Subscriber A (worker 0) joined late for publisher 2 (10 skipped); B and C (worker 1) saw everything but C lost 2.
  const w0 = report(0, {
    sent: [{ publisher: 1, group: 0, sent: 100, matching: 3, matchingByGroup: [0, 3, 0, 0] }],
    delivery: [
      { publisher: 1, group: 1, skipped: 0, unique: 100, duplicates: 0, outOfOrder: 0 },
      { publisher: 2, group: 1, skipped: 10, unique: 85, duplicates: 2, outOfOrder: 1 },
    ],
    willsDropped: [{ willId: 1, byGroup: [0, 0, 1, 0] }],
    groups: [
      groupReport({ connects: 1, sent: 100, acked: 99, connect: enc([1000]) }),
      groupReport({ connects: 1, receivingClients: 1, minPerClient: 185, maxPerClient: 185, retained: 1, sessionsResumed: 1, backlog: 5, backlogDrainUs: 2000, e2e: enc([100]) }),
      groupReport(),
      groupReport({ connects: 2 }),
    ],
  });
  const w1 = report(1, {
    sent: [{ publisher: 2, group: 0, sent: 100, matching: 3, matchingByGroup: [0, 3, 0, 0] }],
    delivery: [
      { publisher: 1, group: 1, skipped: 0, unique: 100, duplicates: 0, outOfOrder: 0 },
      { publisher: 2, group: 1, skipped: 0, unique: 100, duplicates: 0, outOfOrder: 0 },
      { publisher: 1, group: 1, skipped: 0, unique: 98, duplicates: 0, outOfOrder: 0 },
      { publisher: 2, group: 1, skipped: 0, unique: 100, duplicates: 0, outOfOrder: 0 },
    ],
    willsDropped: [{ willId: 2, byGroup: [0, 0, 1, 0] }],
    // No entry for the idle group: this worker has none of its clients.
    groups: [
      groupReport({ connects: 1, sent: 100, acked: 100, connect: enc([2000]) }),
      groupReport({ connects: 2, disconnects: 1, reconnects: 1, receivingClients: 2, minPerClient: 198, maxPerClient: 200, sessionsResumed: 2, backlog: 3, backlogDrainUs: 12_345, e2e: enc([200, 300]) }),
      groupReport({ connects: 1, receivingClients: 1, willsReceived: 1, will: enc([2000]) }),
    ],
  });

  const cases: Array<{ name: string; figures: Record<string, unknown> }> = [
    {
      name: 'pubs',
      figures: { role: 'publish', qos: 1, clients: 2, connects: 2, sent: 200, acked: 199, expected: 0, received: 0, lost: 0, receivedPerClient: { min: 0, max: 0 }, wills: { expected: 0, received: 0 } },
    },
    {
      name: 'subs',
      figures: {
        role: 'subscribe',
        clients: 3,
        connects: 3,
        disconnects: 1,
        reconnects: 1,
        sent: 0,
        // 2 publishers x 100 x 3 subscribers, less the 10 the late one skipped.
        expected: 590,
        received: 585,
        lost: 7,
        duplicated: 2,
        outOfOrder: 1,
        receivedPerClient: { min: 185, max: 200 },
        retained: 1,
        sessionsResumed: 3,
        backlog: { messages: 8, drainMs: 12.3 },
        wills: { expected: 0, received: 0 },
      },
    },
    { name: 'monitor', figures: { connects: 1, expected: 0, received: 0, lost: 0, receivedPerClient: { min: 0, max: 0 }, wills: { expected: 2, received: 1 } } },
    { name: 'idle', figures: { role: 'connect-only', connects: 2, expected: 0, receivedPerClient: { min: 0, max: 0 }, backlog: { messages: 0, drainMs: 0 } } },
  ];
  for (const c of cases) {
    test(`group ${c.name}: figures added over the workers`, () => {
      const r = mergeGroups(s, [w0, w1]).find((g) => g.name === c.name);
      assert.ok(r);
      for (const [k, v] of Object.entries(c.figures)) assert.deepEqual(r[k as keyof typeof r], v, k);
      // The worker order does not matter.
      assert.deepEqual(mergeGroups(s, [w1, w0]), mergeGroups(s, [w0, w1]));
    });
  }

  test('one result per group, in the scenario order, with its spec fields', () => {
    const r = mergeGroups(s, [w0, w1]);
    assert.deepEqual(r.map((g) => [g.name, g.protocol, g.transport, g.mqttVersion, g.qos, g.clients]), [
      ['pubs', 'mqtt', 'tcp', 4, 1, 2],
      ['subs', 'mqtt', 'tcp', 4, 1, 3],
      ['monitor', 'mqtt', 'tcp', 4, 1, 1],
      ['idle', 'mqtt', 'tcp', 4, 0, 2],
    ]);
  });

  test('latency per group: end to end at its receivers, connect, will', () => {
    const [pubs, subs, monitor, idle] = mergeGroups(s, [w0, w1]);
    assert.deepEqual([subs?.latency.e2e.count, subs?.latency.e2e.min, subs?.latency.e2e.max], [3, 100, 300]);
    assert.deepEqual([pubs?.latency.connect.count, pubs?.latency.connect.max], [2, 2000]);
    assert.deepEqual([monitor?.latency.will.count, monitor?.latency.will.max], [1, 2000]);
    assert.equal(idle?.latency.e2e.count, 0);
    assert.equal(idle?.latency.e2e.histogram, '');
  });

  test('plain WebSocket groups have no QoS', () => {
    const ws = phase([group('pubs', 'publish', { protocol: 'ws', transport: 'ws', qos: 1 }), group('subs', 'subscribe', { protocol: 'ws', transport: 'ws' })]);
    assert.deepEqual(mergeGroups(ws, []).map((g) => g.qos), [null, null]);
  });

  test('the phase carries the groups and the failures they found', () => {
    const r = mergePhase(s, [w0, w1], [], ctx());
    assert.deepEqual(r.groups, mergeGroups(s, [w0, w1]));
    assert.deepEqual(r.deliveryFailures, ['group subs: 7 QoS 1 message(s) lost', 'group monitor: 1 will(s) of dropped clients never arrived']);
    // The phase's own delivery counters agree with the groups'.
    assert.equal(r.counters.expected, 590);
    assert.equal(r.counters.lost, 7);
  });
});

describe('mergePhase: delivery failures per receiving group', () => {
  const pub = (name: string, qos: Qos, f: Partial<GroupSpec> = {}): GroupSpec => group(name, 'publish', { qos, ...f });
  const sub = (name: string, qos: Qos, f: Partial<GroupSpec> = {}): GroupSpec => group(name, 'subscribe', { qos, ...f });
  const ws = (name: string, role: GroupSpec['role']): GroupSpec => group(name, role, { protocol: 'ws', transport: 'ws' });
  /** Publisher 1 (of group 0 unless given) sends 10 to group 1 (or as given); each entry of `got` is what one receiving group got of it. */
  const one = (got: Array<{ group: number; unique: number; duplicates?: number; publisher?: number }>): Partial<WorkerPhaseReport> => ({
    delivery: got.map((g) => ({ publisher: g.publisher ?? 1, group: g.group, skipped: 0, unique: g.unique, duplicates: g.duplicates ?? 0, outOfOrder: 0 })),
  });
  const sent = (publisher: number, byGroup: number[], group = 0): WorkerPhaseReport['sent'][number] => ({ publisher, group, sent: 10, matching: byGroup.reduce((a, b) => a + b, 0), matchingByGroup: byGroup });
  const will = (qos: Qos): GroupSpec['will'] => ({ topic: 'wills/{run}/{client}', qos, retain: false });

  const cases: Array<{ name: string; groups: GroupSpec[]; report: Partial<WorkerPhaseReport>; failures: string[] }> = [
    { name: 'QoS 0 loss is not a failure', groups: [pub('p', 0), sub('s', 0)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5 }]) }, failures: [] },
    { name: 'QoS 1 loss is', groups: [pub('p', 1), sub('s', 1)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5 }]) }, failures: ['5 QoS 1 message(s) lost'] },
    { name: 'QoS 1 duplicates are not', groups: [pub('p', 1), sub('s', 1)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 10, duplicates: 3 }]) }, failures: [] },
    {
      name: 'QoS 2 loss and duplicates are',
      groups: [pub('p', 2), sub('s', 2)],
      report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5, duplicates: 2 }]) },
      failures: ['5 QoS 2 message(s) lost', '2 QoS 2 message(s) delivered more than once'],
    },
    { name: 'publisher QoS 0, subscriber QoS 1: travelled at QoS 0', groups: [pub('p', 0), sub('s', 1)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5 }]) }, failures: [] },
    { name: 'publisher QoS 1, subscriber QoS 0: travelled at QoS 0', groups: [pub('p', 1), sub('s', 0)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5 }]) }, failures: [] },
    { name: 'publisher QoS 2, subscriber QoS 1: duplicates allowed', groups: [pub('p', 2), sub('s', 1)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 10, duplicates: 2 }]) }, failures: [] },
    { name: 'publisher QoS 2, subscriber QoS 1: loss fails at QoS 1', groups: [pub('p', 2), sub('s', 1)], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 7 }]) }, failures: ['3 QoS 1 message(s) lost'] },
    { name: 'plain WebSocket loss fails', groups: [ws('p', 'publish'), ws('s', 'subscribe')], report: { sent: [sent(1, [0, 1])], ...one([{ group: 1, unique: 5 }]) }, failures: ['5 WebSocket message(s) lost'] },
    {
      name: 'several receiving groups: each judged at its own QoS, named',
      groups: [pub('p', 1), sub('subs', 1), sub('audit', 0)],
      report: { sent: [sent(1, [0, 1, 1])], ...one([{ group: 1, unique: 7 }, { group: 2, unique: 6 }]) },
      failures: ['group subs: 3 QoS 1 message(s) lost'],
    },
    {
      // Each receiving group hears only its own publishers: b-subs' messages all travelled at QoS 1.
      name: 'a QoS 0 publishing group elsewhere does not excuse QoS 1 loss',
      groups: [pub('a-pubs', 0, { topic: 'a/{run}/{n}' }), sub('a-subs', 0, { filters: ['a/{run}/+'] }), pub('b-pubs', 1, { topic: 'b/{run}/{n}' }), sub('b-subs', 1, { filters: ['b/{run}/+'] })],
      report: { sent: [sent(1, [0, 1, 0, 0]), sent(2, [0, 0, 0, 1], 2)], ...one([{ group: 1, unique: 4 }, { group: 3, unique: 5, publisher: 2 }]) },
      failures: ['group b-subs: 5 QoS 1 message(s) lost'],
    },
    {
      // One receiving group fed by two publishing groups: each feed judged at its own QoS.
      name: 'fed by QoS 0 and QoS 1 publishing groups: only the QoS 1 feed\'s loss fails',
      groups: [pub('a', 0, { topic: 'a/{run}/{n}' }), pub('b', 1, { topic: 'b/{run}/{n}' }), sub('s', 1)],
      report: { sent: [sent(1, [0, 0, 1], 0), sent(2, [0, 0, 1], 1)], ...one([{ group: 2, unique: 4 }, { group: 2, unique: 7, publisher: 2 }]) },
      failures: ['3 QoS 1 message(s) lost'],
    },
    {
      name: 'fed by QoS 1 and QoS 2 publishing groups into a QoS 2 group: loss and duplicates per feed',
      groups: [pub('a', 1, { topic: 'a/{run}/{n}' }), pub('b', 2, { topic: 'b/{run}/{n}' }), sub('s', 2)],
      report: { sent: [sent(1, [0, 0, 1], 0), sent(2, [0, 0, 1], 1)], ...one([{ group: 2, unique: 9, duplicates: 2 }, { group: 2, unique: 8, duplicates: 1, publisher: 2 }]) },
      failures: ['1 QoS 1 message(s) lost', '2 QoS 2 message(s) lost', '1 QoS 2 message(s) delivered more than once'],
    },
    {
      name: 'two publishing groups at the same QoS: their loss is added',
      groups: [pub('a', 1, { topic: 'a/{run}/{n}' }), pub('b', 1, { topic: 'b/{run}/{n}' }), sub('s', 1)],
      report: { sent: [sent(1, [0, 0, 1], 0), sent(2, [0, 0, 1], 1)], ...one([{ group: 2, unique: 8 }, { group: 2, unique: 7, publisher: 2 }]) },
      failures: ['5 QoS 1 message(s) lost'],
    },
    {
      name: 'a late receiver\'s skipped messages are not lost',
      groups: [pub('p', 1), sub('s', 1, { startMs: 500 })],
      report: { sent: [sent(1, [0, 1])], delivery: [{ publisher: 1, group: 1, skipped: 4, unique: 6, duplicates: 0, outOfOrder: 0 }] },
      failures: [],
    },
    {
      name: 'a late receiver that missed messages after its join',
      groups: [pub('p', 1), sub('s', 1, { startMs: 500 })],
      report: { sent: [sent(1, [0, 1])], delivery: [{ publisher: 1, group: 1, skipped: 4, unique: 0, duplicates: 0, outOfOrder: 0 }] },
      failures: ['6 QoS 1 message(s) lost'],
    },
    {
      name: 'missing QoS 1 wills fail',
      groups: [pub('devices', 1, { will: will(1), drop: { atMs: 100 } }), sub('monitor', 1, { filters: ['wills/{run}/+'] })],
      report: { willsDropped: [{ willId: 1, byGroup: [0, 1] }, { willId: 2, byGroup: [0, 1] }], groups: [groupReport(), groupReport({ willsReceived: 1 })] },
      failures: ['1 will(s) of dropped clients never arrived'],
    },
    {
      name: 'missing QoS 0 wills do not',
      groups: [pub('devices', 0, { will: will(0), drop: { atMs: 100 } }), sub('monitor', 0, { filters: ['wills/{run}/+'] })],
      report: { willsDropped: [{ willId: 1, byGroup: [0, 1] }], groups: [groupReport(), groupReport()] },
      failures: [],
    },
    {
      name: 'every will arrived',
      groups: [pub('devices', 1, { will: will(1), drop: { atMs: 100 } }), sub('monitor', 1, { filters: ['wills/{run}/+'] })],
      report: { willsDropped: [{ willId: 1, byGroup: [0, 1] }], groups: [groupReport(), groupReport({ willsReceived: 1 })] },
      failures: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = mergePhase(phase(c.groups), [report(0, c.report)], [], ctx());
      assert.deepEqual(r.deliveryFailures, c.failures);
    });
  }

  test('clients that could not join during the load fail a completed phase', () => {
    const s = spec();
    const late = [report(0, { connectFailures: 2, joinFailures: 2 }), report(1, { connectFailures: 3, joinFailures: 1 })];
    assert.deepEqual(mergePhase(s, late, [], ctx()).deliveryFailures, ['3 client(s) that joined during the load could not connect']);
    // A phase that failed (its clients could not connect before the start) says so in its error instead.
    assert.deepEqual(mergePhase(s, late, [], ctx({ status: 'failed', error: 'x' })).deliveryFailures, []);
  });
});
