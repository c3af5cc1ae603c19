/**
 * --metrics-listen and --timeline end to end: the built CLI against the bundled broker, the
 * metrics endpoint scraped while the run runs and read by a Prometheus text-format parser, the
 * timeline file read against the result's timeline, a run killed with SIGKILL mid-load, and bad
 * values refused before any load. No assertion depends on the machine's speed: scrapes and file
 * reads poll until what they wait for shows, within generous limits.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { PromMetrics } from 'prom2javascript';
import type { ResultDocument } from '../src/metrics/result.js';
import { TIMELINE_COLUMNS } from '../src/reporters/timeline.js';
import { accepts, readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { histogramOf, parseExposition, sampleOf, samplesOf } from './helpers/prometheus.js';

const SHORT = ['--duration', '2s', '--warmup', '0s', '--drain', '1s', '--workers', '2', '--publishers', '2', '--subscribers', '2'];

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function dir(): Promise<string> {
  const d = await tempDir('mqbench-live-');
  dirs.push(d);
  return d;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The metrics URL from the CLI's note. */
function metricsUrl(stderr: string): string | null {
  return /Prometheus metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1] ?? null;
}


/** Scrapes until `until` holds for the parsed text (or the limit passes: null). */
async function scrapeUntil(url: string, until: (m: PromMetrics) => boolean, limitMs = 60_000): Promise<PromMetrics | null> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const res = await fetch(url).catch(() => null);
    if (res !== null) {
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const m = await parseExposition(await res.text());
      if (until(m)) return m;
    }
    await sleep(100);
  }
  return null;
}

const COUNTERS = ['mqbench_messages_sent_total', 'mqbench_messages_acked_total', 'mqbench_messages_received_total', 'mqbench_messages_lost_total', 'mqbench_messages_duplicated_total'];
const GAUGES = ['mqbench_connections', 'mqbench_inflight', 'mqbench_clients_down', 'mqbench_generator_saturated', 'mqbench_worker_busy_ratio', 'mqbench_worker_event_loop_delay_p99_seconds', 'mqbench_e2e_latency_quantile_seconds', 'mqbench_ack_latency_quantile_seconds'];
const sentOf = (m: PromMetrics): number => samplesOf(m, 'mqbench_messages_sent_total').reduce((a, s) => a + s.value, 0);

/** A CSV timeline: the header, then each row by column name (numbers as numbers, the stage and flags as written). */
function csvRows(text: string): Array<Record<string, string | number>> {
  assert.ok(text.endsWith('\n'), 'the file ends on a complete line');
  const [header, ...lines] = text.slice(0, -1).split('\n');
  assert.equal(header, TIMELINE_COLUMNS.join(','));
  return lines.map((line) => {
    const cells = line.split(',');
    assert.equal(cells.length, TIMELINE_COLUMNS.length, `a whole row: ${line}`);
    return Object.fromEntries(TIMELINE_COLUMNS.map((c, i) => [c, /^-?\d+(\.\d+)?$/.test(cells[i] ?? '') ? Number(cells[i]) : (cells[i] ?? '')]));
  });
}

/** The result's timeline as --timeline rows: the run id and the phase in front of each point. */
function expectedRows(doc: ResultDocument): Array<Record<string, unknown>> {
  return doc.phases.flatMap((p) => p.timeline.map((point) => ({ runId: doc.runId, phase: p.name, ...point })));
}

describe('live outputs of a real run', { concurrency: true }, () => {
  test('--metrics-listen: scraped during the run, counters grow, labels name the run and phase; the port is closed after it; --timeline CSV holds the result\'s timeline', { timeout: 120_000 }, async () => {
    const out = await dir();
    const file = join(out, 'timeline.csv');
    let url: string | null = null;
    let scrapes: Promise<[PromMetrics | null, PromMetrics | null]> | null = null;
    const r = await runCli(['run', ...SHORT, '--qos', '1', '--metrics-listen', '127.0.0.1:0', '--timeline', file, '--out', out], {
      timeoutMs: 90_000,
      onStderr: (soFar) => {
        url ??= metricsUrl(soFar);
        if (url !== null && scrapes === null) {
          const at = url;
          scrapes = (async () => {
            const first = await scrapeUntil(at, (m) => sentOf(m) > 0);
            const second = first === null ? null : await scrapeUntil(at, (m) => sentOf(m) > sentOf(first));
            return [first, second];
          })();
        }
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(url !== null && scrapes !== null, `no metrics address printed:\n${r.stderr}`);
    const [first, second] = await (scrapes as Promise<[PromMetrics | null, PromMetrics | null]>);
    assert.ok(first !== null, 'a scrape during the run showed messages sent');
    assert.ok(second !== null, 'a later scrape during the run showed more');
    const { doc } = await readOnlyResult(out);
    const p = doc.phases[0]!;
    const labels = { run_id: doc.runId, phase: p.name, protocol: 'mqtt', transport: 'tcp', qos: '1' };
    for (const name of COUNTERS) {
      const [a, b] = [sampleOf(first, name, labels), sampleOf(second, name, labels)];
      assert.ok(b >= a, `${name} went from ${a} down to ${b}`);
    }
    assert.ok(sampleOf(first, 'mqbench_messages_sent_total', labels) > 0);
    assert.ok(sampleOf(second, 'mqbench_messages_received_total', labels) > 0);
    assert.ok(sampleOf(second, 'mqbench_messages_acked_total', labels) > 0);
    assert.equal(sampleOf(second, 'mqbench_connections', labels), 4, 'two publishers and two subscribers connected');
    for (const name of GAUGES) assert.ok(samplesOf(second, name).length > 0, `${name} has samples during the run`);
    assert.deepEqual(new Set(samplesOf(second, 'mqbench_worker_busy_ratio').map((s) => s.labels['worker'])), new Set(['0', '1']));
    assert.deepEqual(new Set(samplesOf(second, 'mqbench_e2e_latency_quantile_seconds').map((s) => s.labels['quantile'])), new Set(['0.5', '0.9', '0.99', '0.999']));
    const [h] = histogramOf(second, 'mqbench_e2e_latency_seconds');
    assert.deepEqual(h?.labels, labels);
    assert.ok((h?.count ?? 0) > 0 && h?.buckets['+Inf'] === h?.count, 'the histogram counts every delivery in +Inf');

    const port = Number(new URL(url).port);
    assert.equal(await accepts(port), false, `the metrics port ${port} is closed after the run`);
    const rows = csvRows(await readFile(file, 'utf8'));
    assert.equal(rows.length, p.timeline.length, 'one row per timeline point');
    const expected = expectedRows(doc).map((e) => Object.fromEntries(TIMELINE_COLUMNS.map((c) => [c, typeof e[c] === 'boolean' ? String(e[c]) : e[c]])));
    assert.deepEqual(rows, expected);
  });

  test('--timeline NDJSON over two phases: each line is the result\'s point with its run and phase', { timeout: 120_000 }, async () => {
    const out = await dir();
    const file = join(out, 'timeline.ndjson');
    const r = await runCli(['run', '--duration', '1s', '--warmup', '0s', '--drain', '1s', '--qos', '0,1', '--timeline', file, '--out', out], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const { doc } = await readOnlyResult(out);
    const text = await readFile(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const rows = text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(doc.phases.length, 2);
    assert.equal(rows.length, doc.phases.reduce((a, p) => a + p.timeline.length, 0));
    assert.deepEqual(rows, expectedRows(doc));
  });

  test('SIGKILL mid-run: the timeline keeps every row written, each a complete line', { timeout: 120_000 }, async () => {
    const out = await dir();
    const file = join(out, 'timeline.csv');
    let child: ChildProcess | null = null;
    const run = runCli(['run', '--duration', '20s', '--warmup', '0s', '--drain', '1s', '--qos', '1', '--timeline', file, '--out', out], {
      timeoutMs: 90_000,
      onStderr: (_s, c) => (child ??= c),
    });
    let text = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      text = await readFile(file, 'utf8').catch(() => '');
      if (text.split('\n').length - 2 >= 2) break;
      await sleep(100);
    }
    assert.ok(child !== null, 'the CLI started');
    (child as ChildProcess).kill('SIGKILL');
    const r = await run;
    assert.equal(r.signal, 'SIGKILL', `the run ended by itself first:\n${r.stderr}`);
    const rows = csvRows(await readFile(file, 'utf8'));
    assert.ok(rows.length >= 2, `${rows.length} row(s) left`);
    rows.forEach((row, i) => {
      assert.equal(row['t'], i + 1, 'the seconds in order, none cut');
      assert.equal(row['stage'], 'steady');
      assert.equal(typeof row['sent'], 'number');
    });
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.json')), [], 'a killed run writes no result');
  });

  test('capacity takes them too: a row per second of every level, labelled with the search\'s run id; the port closed after it', { timeout: 120_000 }, async () => {
    const out = await dir();
    const file = join(out, 'levels.ndjson');
    const r = await runCli(['capacity', '--from', '500', '--to', '1000', '--confirm', '0', '--warmup', '300ms', '--step-duration', '1s', '--drain', '1s', '--qos', '0', '--metrics-listen', ':0', '--timeline', file, '--out', out], { timeoutMs: 90_000 });
    assert.notEqual(r.code, 2, r.stderr);
    const { doc } = await readOnlyResult(out);
    assert.ok(doc.phases.length >= 2, `levels run: ${doc.phases.map((p) => p.name).join(', ')}`);
    const rows = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(rows, expectedRows(doc));
    const url = metricsUrl(r.stderr);
    assert.ok(url !== null, r.stderr);
    assert.equal(await accepts(Number(new URL(url).port)), false);
  });
});

describe('bad --metrics-listen and --timeline values: exit 2 before any load', { concurrency: true }, () => {
  const cases: Array<{ args: string[]; message: RegExp }> = [
    { args: ['run', '--metrics-listen', '127.0.0.1'], message: /--metrics-listen: '127\.0\.0\.1' has no port; give PORT/ },
    { args: ['run', '--metrics-listen', ':70000'], message: /--metrics-listen: ':70000': port '70000' must be a whole number from 0 to 65535/ },
    { args: ['run', '--metrics-listen', 'metrics.example:9464'], message: /--metrics-listen: 'metrics\.example:9464': 'metrics\.example' is not an IP address or localhost/ },
    { args: ['run', '--timeline', 'seconds.txt'], message: /--timeline: 'seconds\.txt': the format follows the extension, \.csv .* or \.ndjson/ },
    { args: ['run', '--timeline', '/proc/seconds.csv'], message: /--timeline \/proc\/seconds\.csv: its directory \/proc: \/proc is the kernel process filesystem/ },
    { args: ['capacity', '--metrics-listen', '9464:1'], message: /--metrics-listen: '9464:1': '9464' is not an IP address or localhost/ },
  ];
  for (const c of cases) {
    test(c.args.join(' '), { timeout: 60_000 }, async () => {
      const out = await dir();
      const r = await runCli([...c.args, '--duration', '1s', '--out', out], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /connecting clients|listening on/, 'nothing started');
      assert.deepEqual(await readdir(out), []);
    });
  }

  test('a port in use: exit 2 naming the port, nothing run', { timeout: 60_000 }, async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const out = await dir();
      const r = await runCli(['run', '--duration', '1s', '--metrics-listen', String(port), '--out', out], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`mqbench run: --metrics-listen ${port}: port ${port} is in use on 127\\.0\\.0\\.1 \\(EADDRINUSE\\); pick a free port.*\\. Nothing was run\\.`));
      assert.doesNotMatch(r.stderr, /connecting clients|listening on/);
      assert.deepEqual(await readdir(out), []);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
