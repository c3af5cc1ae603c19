/**
 * The live outputs' parts, without a run: --metrics-listen and --timeline values
 * (config/live-outputs.ts), the timeline rows (reporters/timeline.ts), HDR bucket counts, the
 * Prometheus exposition of constructed seconds (reporters/prometheus.ts), read back by a
 * Prometheus text-format parser (test/helpers/prometheus.ts), and the listener on real sockets (cli/live-outputs.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openLiveOutputs } from '../src/cli/live-outputs.js';
import { parseListen, parseTimelineFile, type ListenAddress } from '../src/config/live-outputs.js';
import { countsPerBound, encode, newHistogram, record } from '../src/metrics/histogram.js';
import type { LiveSecond } from '../src/metrics/live.js';
import type { IntervalSnapshot } from '../src/metrics/reports.js';
import type { PhaseResult, TimelinePoint } from '../src/metrics/result.js';
import { E2E_BUCKETS_SECONDS, LiveMetrics } from '../src/reporters/prometheus.js';
import { TIMELINE_COLUMNS, timelineHeader, timelineRow } from '../src/reporters/timeline.js';
import { group, phase } from './helpers/fixtures.js';
import { accepts } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';
import { histogramOf, parseExposition, sampleOf, samplesOf } from './helpers/prometheus.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('--metrics-listen values', () => {
  const good: Array<[string, Omit<ListenAddress, 'written'>]> = [
    ['9464', { host: '127.0.0.1', port: 9464, loopback: true }],
    [':9464', { host: '127.0.0.1', port: 9464, loopback: true }],
    ['localhost:9464', { host: '127.0.0.1', port: 9464, loopback: true }],
    ['127.0.0.5:0', { host: '127.0.0.5', port: 0, loopback: true }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464, loopback: false }],
    ['192.168.1.5:65535', { host: '192.168.1.5', port: 65535, loopback: false }],
    ['[::1]:9464', { host: '::1', port: 9464, loopback: true }],
    ['[::]:9464', { host: '::', port: 9464, loopback: false }],
  ];
  for (const [text, want] of good) {
    test(`'${text}'`, () => assert.deepEqual(parseListen(text), { ok: true, value: { ...want, written: text } }));
  }
  // The host's problems name what to write; the port's say the range.
  const bad: Array<[string, RegExp]> = [
    ['', /not HOST:PORT/],
    ['127.0.0.1', /has no port/],
    ['localhost', /has no port/],
    ['127.0.0.1:', /has no port/],
    [':65536', /port '65536' must be a whole number from 0 to 65535/],
    [':94a4', /port '94a4' must be a whole number from 0 to 65535/],
    ['example.com:9464', /'example.com' is not an IP address or localhost/],
    ['::1:9464', /not HOST:PORT/],
    ['::1', /not HOST:PORT/],
  ];
  for (const [text, error] of bad) {
    test(`'${text}' is refused`, () => {
      const r = parseListen(text);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, error);
        if (!/port '/.test(r.error)) assert.match(r.error, /give PORT/, 'the message names what to write');
      }
    });
  }
});

describe('--timeline values', () => {
  test('the format follows the extension', () => {
    assert.deepEqual(parseTimelineFile('out/t.csv'), { ok: true, value: { path: 'out/t.csv', format: 'csv' } });
    assert.deepEqual(parseTimelineFile('t.NDJSON'), { ok: true, value: { path: 't.NDJSON', format: 'ndjson' } });
  });
  for (const [text, error] of [['t.json', /not '\.json'/], ['t', /not '\(none\)'/], [' ', /must name a file/]] as const) {
    test(`'${text}' is refused`, () => {
      const r = parseTimelineFile(text);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, error);
    });
  }
});

const SPEC = phase([group('p', 'publish', { qos: 1 }), group('s', 'subscribe', { qos: 1 })], { run: 'abc123' });

function hist(values: readonly number[]): string {
  const h = newHistogram();
  for (const v of values) record(h, v);
  return values.length === 0 ? '' : encode(h);
}

function snap(workerIndex: number, t: number, s: Partial<IntervalSnapshot> = {}): IntervalSnapshot {
  return {
    workerIndex, t, sent: 0, acked: 0, received: 0, bytesSent: 0, bytesReceived: 0, e2e: '', connections: 0, down: 0,
    ack: '', duplicates: 0, inflight: 0, errors: {}, loop: { busyPercent: 10, delayP99Us: 1000 }, steadyMax: { e2e: 0, e2eUncorrected: 0, ack: 0 }, missing: 0, ...s,
  };
}

const POINT: TimelinePoint = { t: 1, stage: 'steady', warmup: false, sent: 10, received: 20, bytesSent: 160, bytesReceived: 320, p50: 250, p99: 900, connections: 2, down: 0 };

function second(snapshots: IntervalSnapshot[], runId = 'abc123', point: TimelinePoint = POINT): LiveSecond {
  return { runId, spec: SPEC, point, snapshots };
}

describe('timeline rows', () => {
  test('CSV: a header, then one line per second with a field per column', () => {
    assert.equal(timelineHeader('csv'), `${TIMELINE_COLUMNS.join(',')}\n`);
    assert.equal(timelineRow('csv', second([])), `abc123,${SPEC.name},1,steady,false,10,20,160,320,250,900,2,0\n`);
    // A field with a comma or a quote is quoted (RFC 4180).
    const odd = { ...second([]), spec: { ...SPEC, name: 'a,"b"' } };
    assert.equal(timelineRow('csv', odd).split(',')[1], '"a');
    assert.match(timelineRow('csv', odd), /^abc123,"a,""b""",1,/);
  });

  test('NDJSON: no header, one object per line: the run, the phase and the point', () => {
    assert.equal(timelineHeader('ndjson'), '');
    const line = timelineRow('ndjson', second([]));
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    assert.deepEqual(JSON.parse(line), { runId: 'abc123', phase: SPEC.name, ...POINT });
  });
});

describe('countsPerBound', () => {
  test('counts per bucket match a count of the values themselves', () => {
    // Below 2048 us the histogram is exact; above, a value counts by its bucket's lowest equivalent.
    const values = Array.from({ length: 5000 }, (_, i) => 1 + ((i * 7919) % 3_000_000));
    const h = newHistogram();
    for (const v of values) record(h, v);
    const bounds = E2E_BUCKETS_SECONDS.map((s) => s * 1e6);
    const got = countsPerBound(h, bounds);
    const low = (v: number): number => (h as unknown as { lowestEquivalentValue(v: number): number }).lowestEquivalentValue(v);
    const want = bounds.map((b, i) => values.filter((v) => low(v) <= b && (i === 0 || low(v) > (bounds[i - 1] ?? 0))).length);
    assert.deepEqual(got, want);
    assert.equal(got.reduce((a, n) => a + n, 0), values.filter((v) => v <= 3_000_000).length);
    const exact = [1, 99, 100, 101, 250, 2000];
    const e = newHistogram();
    for (const v of exact) record(e, v);
    assert.deepEqual(countsPerBound(e, [100, 250, 1000, 2000]), [3, 2, 0, 1]);
  });
});

/** A phase's end as LiveMetrics reads it (name, counters, generator.saturated); the rest of a result is not read. */
function ended(counters: Partial<PhaseResult['counters']>, saturated = false): PhaseResult {
  return { name: SPEC.name, counters: { sent: 0, acked: 0, received: 0, duplicated: 0, lost: 0, errors: {}, ...counters }, generator: { saturated } } as unknown as PhaseResult;
}

describe('the Prometheus exposition of a phase', () => {
  const L = { run_id: 'abc123', phase: SPEC.name, protocol: 'mqtt', transport: 'tcp', qos: '1' };

  test('counters add up second by second and grow only; gauges show the last second; the end settles the rest', async () => {
    const m = new LiveMetrics();
    m.second(second([
      snap(0, 1, { sent: 100, acked: 90, received: 200, connections: 2, inflight: 10, e2e: hist([500, 1000, 1500]), ack: hist([400]), errors: { connect: 1 } }),
      snap(1, 1, { sent: 50, received: 100, duplicates: 2, connections: 1, inflight: 5, e2e: hist([2000]), loop: { busyPercent: 95, delayP99Us: 2000 } }),
    ]));
    const a = await parseExposition(await m.metrics());
    assert.equal(sampleOf(a, 'mqbench_messages_sent_total', L), 150);
    assert.equal(sampleOf(a, 'mqbench_messages_acked_total', L), 90);
    assert.equal(sampleOf(a, 'mqbench_messages_received_total', L), 300);
    assert.equal(sampleOf(a, 'mqbench_messages_duplicated_total', L), 2);
    assert.equal(sampleOf(a, 'mqbench_messages_lost_total', L), 0, 'lost is settled at the end: 0 until then');
    assert.equal(sampleOf(a, 'mqbench_errors_total', { ...L, kind: 'connect' }), 1);
    assert.equal(sampleOf(a, 'mqbench_connections', L), 3);
    assert.equal(sampleOf(a, 'mqbench_inflight', L), 15);
    assert.equal(sampleOf(a, 'mqbench_e2e_latency_quantile_seconds', { ...L, quantile: '0.5' }), 0.001);
    assert.equal(sampleOf(a, 'mqbench_e2e_latency_quantile_seconds', { ...L, quantile: '0.999' }), 0.002);
    assert.equal(sampleOf(a, 'mqbench_ack_latency_quantile_seconds', { ...L, quantile: '0.99' }), 0.0004);
    assert.equal(sampleOf(a, 'mqbench_generator_saturated', L), 1, 'worker 1 was busy 95% of the second');
    assert.equal(sampleOf(a, 'mqbench_worker_busy_ratio', { ...L, worker: '1' }), 0.95);
    assert.equal(sampleOf(a, 'mqbench_worker_event_loop_delay_p99_seconds', { ...L, worker: '0' }), 0.001);
    const [series, ...more] = histogramOf(a, 'mqbench_e2e_latency_seconds');
    assert.equal(more.length, 0);
    assert.deepEqual(series?.labels, L);
    assert.equal(series?.count, 4);
    assert.deepEqual(series?.buckets, { ...Object.fromEntries(E2E_BUCKETS_SECONDS.map((le) => [String(le), le < 0.0005 ? 0 : le < 0.001 ? 1 : le < 0.0025 ? 2 : 4])), '+Inf': 4 });
    assert.ok(Math.abs((series?.sum ?? 0) - 0.005) < 0.00001, `sum ${series?.sum}`);

    // Second 2: worker 0's errors are cumulative (1 -> 3 connect, 1 publish); no delivery, so no latency quantiles.
    m.second(second([snap(0, 2, { sent: 10, errors: { connect: 3, publish: 1 } }), snap(1, 2, { sent: 5 })]));
    const b = await parseExposition(await m.metrics());
    assert.equal(sampleOf(b, 'mqbench_messages_sent_total', L), 165);
    assert.equal(sampleOf(b, 'mqbench_errors_total', { ...L, kind: 'connect' }), 3);
    assert.equal(sampleOf(b, 'mqbench_errors_total', { ...L, kind: 'publish' }), 1);
    assert.deepEqual(samplesOf(b, 'mqbench_e2e_latency_quantile_seconds'), [], 'a second without deliveries has no e2e quantiles');
    assert.equal(sampleOf(b, 'mqbench_generator_saturated', L), 0);

    // The end: loss and late counts settled from the result; nothing goes down.
    m.phaseEnded(ended({ sent: 160, received: 310, acked: 100, duplicated: 5, lost: 7, errors: { connect: 2, publish: 4 } }, true));
    const c = await parseExposition(await m.metrics());
    assert.equal(sampleOf(c, 'mqbench_messages_sent_total', L), 165, 'a counter never goes down');
    assert.equal(sampleOf(c, 'mqbench_messages_received_total', L), 310);
    assert.equal(sampleOf(c, 'mqbench_messages_acked_total', L), 100);
    assert.equal(sampleOf(c, 'mqbench_messages_duplicated_total', L), 5);
    assert.equal(sampleOf(c, 'mqbench_messages_lost_total', L), 7);
    assert.equal(sampleOf(c, 'mqbench_errors_total', { ...L, kind: 'connect' }), 3);
    assert.equal(sampleOf(c, 'mqbench_errors_total', { ...L, kind: 'publish' }), 4);
    assert.equal(sampleOf(c, 'mqbench_generator_saturated', L), 1, "the phase's verdict");
    for (const gone of ['mqbench_connections', 'mqbench_inflight', 'mqbench_clients_down', 'mqbench_worker_busy_ratio', 'mqbench_worker_event_loop_delay_p99_seconds', 'mqbench_ack_latency_quantile_seconds']) {
      assert.deepEqual(samplesOf(c, gone), [], `${gone}: the per-second gauges of an ended phase are removed`);
    }
  });

  test('a later run (or repeat) gets series of its own beside the first', async () => {
    const m = new LiveMetrics();
    m.second(second([snap(0, 1, { sent: 3 })]));
    m.phaseEnded(ended({ sent: 3 }));
    m.second(second([snap(0, 1, { sent: 4 })], 'def456'));
    const f = await parseExposition(await m.metrics());
    assert.equal(sampleOf(f, 'mqbench_messages_sent_total', { run_id: 'abc123' }), 3);
    assert.equal(sampleOf(f, 'mqbench_messages_sent_total', { run_id: 'def456' }), 4);
    assert.equal(sampleOf(f, 'mqbench_connections', { run_id: 'def456' }), 0);
    assert.deepEqual(samplesOf(f, 'mqbench_connections').map((s) => s.labels['run_id']), ['def456']);
  });
});


describe('opening the live outputs', () => {
  const listen = (text: string): ListenAddress => {
    const r = parseListen(text);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const urlIn = (err: string): URL => {
    const m = /Prometheus metrics at (http:\/\/\S+\/metrics)/.exec(err);
    assert.ok(m?.[1], `no address in: ${err}`);
    return new URL(m[1]);
  };

  test('a loopback listener: its address printed, served at /metrics only, closed by close()', async () => {
    const mem = memoryIo();
    const live = await openLiveOutputs({ metricsListen: listen('127.0.0.1:0'), timeline: null }, mem.io);
    assert.notEqual(typeof live, 'string', String(live));
    if (typeof live === 'string') return;
    const url = urlIn(mem.err());
    assert.doesNotMatch(mem.err(), /exposes/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    await parseExposition(await res.text());
    assert.equal((await fetch(new URL('/', url))).status, 404);
    await live.close();
    await live.close();
    assert.equal(await accepts(Number(url.port)), false, 'the port is closed');
  });

  test('every interface (0.0.0.0) only as written, with a note that it is exposed', async () => {
    const mem = memoryIo();
    const live = await openLiveOutputs({ metricsListen: listen('0.0.0.0:0'), timeline: null }, mem.io);
    if (typeof live === 'string') assert.fail(live);
    assert.match(mem.err(), /note: --metrics-listen 0\.0\.0\.0:0 exposes them on every interface of this machine/);
    await live.close();
  });

  test('a port in use: a problem naming the port, and no timeline file left emptied', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'mqbench-live-'));
    dirs.push(dir);
    const file = join(dir, 'old.csv');
    await writeFile(file, 'kept\n');
    try {
      const live = await openLiveOutputs({ metricsListen: listen(`127.0.0.1:${port}`), timeline: { path: file, format: 'csv' } }, memoryIo().io);
      assert.equal(typeof live, 'string');
      assert.match(String(live), new RegExp(`--metrics-listen 127\\.0\\.0\\.1:${port}: port ${port} is in use on 127\\.0\\.0\\.1 \\(EADDRINUSE\\)`));
      assert.equal(await readFile(file, 'utf8'), 'kept\n');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  test('a timeline file that cannot be written: a problem naming it, and the listener closed again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mqbench-live-'));
    dirs.push(dir);
    const mem = memoryIo();
    const asDir = await openLiveOutputs({ metricsListen: listen('127.0.0.1:0'), timeline: { path: dir, format: 'csv' } }, mem.io);
    assert.match(String(asDir), new RegExp(`--timeline ${dir}: cannot be written: .*EISDIR`));
    const inProc = await openLiveOutputs({ metricsListen: null, timeline: { path: '/proc/mqbench.csv', format: 'csv' } }, mem.io);
    assert.match(String(inProc), /--timeline \/proc\/mqbench\.csv: its directory \/proc: \/proc is the kernel process filesystem/);
  });
});
