/**
 * Merging the workers' reports of one phase (src/metrics/aggregate.ts), driven with small
 * constructed reports and snapshots.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistogramName, IntervalSnapshot, WorkerHealth, WorkerPhaseReport } from '../src/coordinator/protocol.js';
import {
  deliveryFailures,
  MIN_RATE_SHARE,
  mergePhase,
  mergeTimeline,
  SATURATED_CPU_PERCENT,
  SATURATED_LOOP_DELAY_US,
  SATURATED_SEND_LAG_US,
  saturationReasons,
  type PhaseContext,
} from '../src/metrics/aggregate.js';
import { encode, newHistogram, record, summarize } from '../src/metrics/histogram.js';
import { phaseName, type PhaseParams, type PhaseSpec } from '../src/plan/plan.js';

function spec(params: Partial<PhaseParams> = {}): PhaseSpec {
  const full: PhaseParams = {
    protocol: 'mqtt',
    transport: 'tcp',
    role: 'pubsub',
    mqttVersion: 4,
    qos: 1,
    payloadBytes: 16,
    publishers: 2,
    subscribers: 1,
    connections: 0,
    model: 'closed',
    rate: null,
    inflight: 100,
    topic: 'mqbench/{run}/{client}',
    noDelay: true,
    ...params,
  };
  return { index: 0, name: phaseName(full), tag: 'r-0', params: full, warmupMs: 2000, durationMs: 10_000, drainMs: 5000 };
}

const openSpec = (rate: number): PhaseSpec => spec({ model: 'open', rate, inflight: null });

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

const NO_HISTOGRAMS: Record<HistogramName, string> = { e2e: '', e2eUncorrected: '', ack: '', connect: '', subscribe: '', connectTcp: '', connectTls: '', connectWs: '' };

function report(workerIndex: number, r: Partial<WorkerPhaseReport> = {}): WorkerPhaseReport {
  return {
    workerIndex,
    steady: { sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0 },
    total: { sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0 },
    connects: 0,
    connectFailures: 0,
    reconnects: 0,
    disconnects: 0,
    errors: {},
    histograms: { ...NO_HISTOGRAMS },
    sent: [],
    delivery: [],
    health: health(workerIndex),
    ...r,
  };
}

function snapshot(workerIndex: number, t: number, s: Partial<IntervalSnapshot> = {}): IntervalSnapshot {
  return { workerIndex, t, sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0, e2e: '', connections: 0, ...s };
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
  test('thresholds are the documented ones', () => {
    assert.equal(SATURATED_CPU_PERCENT, 90);
    assert.equal(SATURATED_LOOP_DELAY_US, 50_000);
    assert.equal(SATURATED_SEND_LAG_US, 10_000);
    assert.equal(MIN_RATE_SHARE, 0.95);
  });

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
    assert.deepEqual(mergeTimeline([], 2), []);
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
    assert.deepEqual(mergeTimeline(snaps, 2), [
      { t: 1, warmup: true, sent: 21, received: 19, bytesSent: 210, bytesReceived: 190, p50: 100, p99: 300, connections: 3 },
      { t: 2, warmup: true, sent: 41, received: 41, bytesSent: 410, bytesReceived: 410, p50: 0, p99: 0, connections: 3 },
      { t: 3, warmup: false, sent: 61, received: 59, bytesSent: 610, bytesReceived: 590, p50: 600, p99: 700, connections: 3 },
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
      const points = mergeTimeline([snapshot(0, 2), snapshot(0, 1), snapshot(0, 3)], warmupSeconds);
      assert.deepEqual(points.map((p) => p.t), [1, 2, 3]);
      assert.deepEqual(points.map((p) => p.warmup), flags);
    });
  }

  test('the order snapshots arrive in does not change the timeline', () => {
    const snaps = [snapshot(0, 1, { sent: 1, e2e: enc([10]) }), snapshot(1, 1, { sent: 2, e2e: enc([20, 30]) }), snapshot(0, 2, { sent: 4, e2e: enc([40]) })];
    assert.deepEqual(mergeTimeline([...snaps].reverse(), 1), mergeTimeline(snaps, 1));
  });
});

describe('mergePhase', () => {
  const w0 = report(0, {
    steady: { sent: 1100, acked: 1100, received: 1300, bytesSent: 17_600, bytesReceived: 20_800 },
    total: { sent: 1000, acked: 998, received: 1500, bytesSent: 16_000, bytesReceived: 24_000 },
    connects: 2,
    connectFailures: 1,
    reconnects: 0,
    disconnects: 1,
    errors: { ECONNRESET: 2, timeout: 1 },
    histograms: { ...NO_HISTOGRAMS, e2e: enc([400]), ack: enc([50, 60]), connect: enc([1000]) },
    sent: [{ publisher: 1, sent: 1000, matching: 1 }],
    delivery: [{ publisher: 2, unique: 500, duplicates: 0, outOfOrder: 0 }],
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
    sent: [{ publisher: 2, sent: 500, matching: 1 }],
    delivery: [{ publisher: 1, unique: 990, duplicates: 3, outOfOrder: 2 }],
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
      reconnects: 1,
      disconnects: 1,
      errors: { ECONNRESET: 3, timeout: 1 },
    });
    assert.deepEqual(r.deliveryFailures, ['10 QoS 1 message(s) lost']);
  });

  test('name, status, params and rounded durations', () => {
    const r = mergePhase(spec(), [w0, w1], snaps, context);
    assert.equal(r.name, 'mqtt-tcp-qos1');
    assert.equal(r.status, 'completed');
    assert.equal('error' in r, false);
    assert.deepEqual(r.params, { ...spec().params, warmupSeconds: 2, drainSeconds: 5 });
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
    assert.deepEqual(r.timeline, mergeTimeline(snaps, 2));
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
      reconnects: 0,
      disconnects: 0,
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
          report(0, { sent: [{ publisher: 1, sent: 20, matching: 1 }] }),
          report(1, { delivery: [{ publisher: 1, unique: 20 - lost, duplicates: dup, outOfOrder: 0 }] }),
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
