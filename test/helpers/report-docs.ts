/**
 * Result documents for the reporter tests, built in memory: every field a real run writes, with
 * real encoded HDR histograms, and the figures a test names on top. For what only a real run
 * shows (the page in a browser), the tests use a real run instead.
 */
import { newHistogram, record, summarize, type LatencySummary } from '../../src/metrics/histogram.js';
import type { GateResult, GroupResult, PhaseResult, ResultDocument } from '../../src/metrics/result.js';

/** A latency summary of `n` samples spread from `low` to `high` microseconds; empty for n = 0. */
export function latencyOf(n: number, low = 200, high = 20_000): LatencySummary {
  const h = newHistogram();
  for (let i = 0; i < n; i++) record(h, low + ((high - low) * i * i) / Math.max(1, n * n));
  return summarize(h);
}

const EMPTY = latencyOf(0);

export function group(name: string, fields: Partial<GroupResult> = {}): GroupResult {
  return {
    name,
    role: 'subscribe',
    protocol: 'mqtt',
    transport: 'tcp',
    mqttVersion: 4,
    qos: 1,
    clients: 1,
    connects: 1,
    connectFailures: 0,
    disconnects: 0,
    reconnects: 0,
    sent: 0,
    acked: 0,
    expected: 1000,
    received: 1000,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    receivedPerClient: { min: 1000, max: 1000 },
    retained: 0,
    wills: { expected: 0, received: 0 },
    sessionsResumed: 0,
    backlog: { messages: 0, drainMs: 0 },
    latency: { e2e: EMPTY, connect: EMPTY, will: EMPTY },
    ...fields,
  };
}

export function phase(name: string, fields: Partial<PhaseResult> = {}): PhaseResult {
  const e2e = latencyOf(1000);
  return {
    name,
    status: 'completed',
    cell: {},
    params: {
      protocol: 'mqtt',
      transport: 'tcp',
      role: 'pubsub',
      mqttVersion: 4,
      qos: 1,
      payloadBytes: 64,
      publishers: 1,
      subscribers: 1,
      connections: 0,
      model: 'open',
      rate: 500,
      inflight: null,
      topic: 'mqbench/{run}/{client}',
      noDelay: true,
      rampSeconds: 0,
      warmupSeconds: 1,
      drainSeconds: 1,
    },
    durationSeconds: 2,
    connectSeconds: 0.1,
    drain: { seconds: 0.01, complete: true },
    counters: { sent: 1000, acked: 1000, expected: 1000, received: 1000, lost: 0, duplicated: 0, outOfOrder: 0, connects: 2, connectFailures: 0, reconnects: 0, disconnects: 0, errors: {} },
    rates: { sentPerSecond: 500, receivedPerSecond: 500, bytesSentPerSecond: 32_000, bytesReceivedPerSecond: 32_000 },
    latency: { e2e, e2eUncorrected: e2e, ack: latencyOf(1000, 100, 5000), connect: latencyOf(2, 1000, 3000), subscribe: latencyOf(1), connectTcp: latencyOf(2), connectTls: EMPTY, connectWs: EMPTY, outage: EMPTY },
    timeline: [1, 2, 3, 4].map((t) => ({
      t,
      stage: t === 1 ? 'warmup' : t === 4 ? 'drain' : 'steady',
      warmup: t === 1,
      sent: t === 4 ? 0 : 500,
      received: t === 4 ? 0 : 500,
      bytesSent: 32_000,
      bytesReceived: 32_000,
      p50: 900,
      p99: 9000,
      connections: 2,
    })),
    generator: {
      saturated: false,
      reasons: [],
      cpuSeconds: 0.2,
      cpuMicrosPerMessage: 100,
      workers: [{ workerIndex: 0, eventLoopDelayP99: 2000, eventLoopDelayMax: 5000, cpuPercent: 10, heapUsedBytes: 20e6, rssBytes: 200e6, connections: 2, sendLagP99: 1000, windowStalls: 0 }],
    },
    target: { kind: 'bundled', url: 'mqtt://127.0.0.1:1883', cpuSeconds: 0.1, cpuMicrosPerMessage: 50 },
    groups: [group('publishers', { role: 'publish', sent: 1000, acked: 1000, expected: 0, received: 0 }), group('subscribers')],
    deliveryFailures: [],
    ...fields,
  };
}

export function document(phases: PhaseResult[], fields: Partial<ResultDocument> = {}): ResultDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'mqbench', version: '0.1.0' },
    env: { node: 'v20.20.2', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'test CPU', memoryBytes: 8e9, hostname: 'test-host' },
    runId: 'abc123',
    status: 'completed',
    startedAt: '2026-01-02T03:04:05.678Z',
    endedAt: '2026-01-02T03:04:15.678Z',
    command: ['run', '--qos', '1'],
    scenario: { name: 'test scenario' },
    sockets: { noDelay: true, workers: 1 },
    phases,
    verdict: { passed: true, failures: [] },
    ...fields,
  };
}

export function gate(name: string, passed: boolean, fields: Partial<GateResult> = {}): GateResult {
  return { kind: 'threshold', name, phase: 'p1', passed, message: passed ? 'ok' : 'too slow', ...fields };
}
