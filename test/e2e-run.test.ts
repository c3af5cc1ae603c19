/**
 * End to end: the built CLI as a user runs it, against the bundled broker on a free loopback
 * port, with real worker threads and sockets. No assertion depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import hdr from 'hdr-histogram-js';
import mqtt from 'mqtt';
import type { PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { startBroker } from '../src/servers/broker.js';
import { resultFileName } from '../src/coordinator/document.js';
import { readOnlyResult, refusedPort, runCli, tempDir } from './helpers/cli.js';
import { worseInEveryFigure } from './helpers/doctor.js';
import { assertMatchesSchema } from './helpers/schema.js';

/** Count of values in an encoded histogram, decoded by hdr-histogram-js itself. */
function decodedCount(encoded: string): number {
  if (encoded === '') return 0;
  const h = hdr.decodeFromCompressedBase64(encoded);
  const n = h.totalCount;
  h.destroy();
  return n;
}

function phaseByQos(doc: ResultDocument, qos: number): PhaseResult {
  const p = doc.phases.find((x) => x.params.qos === qos);
  assert.ok(p, `no phase for QoS ${qos} in ${doc.phases.map((x) => x.name).join(', ')}`);
  return p;
}

// The runs are independent (each its own bundled broker and --out) and no assertion depends on
// speed, so they go side by side, four at a time.
describe('the built CLI, run by run', { concurrency: 4 }, () => {
  test('closed model, QoS 0,1,2, 2 workers: complete delivery, histograms, schema-valid result on stdout and on disk', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    const r = await runCli(['run', '--workers', '2', '--publishers', '2', '--subscribers', '2', '--qos', '0,1,2', '--payload', '64B', '--duration', '1s', '--warmup', '300ms', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    assertMatchesSchema(doc);
    const { doc: onDisk } = await readOnlyResult(out);
    assert.deepEqual(onDisk, doc, 'the file and stdout carry the same document');

    assert.equal(doc.status, 'completed');
    assert.equal(doc.verdict.passed, true, doc.verdict.failures.join('; '));
    assert.equal(doc.sockets.workers, 2);
    assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos0', 'mqtt-tcp-qos1', 'mqtt-tcp-qos2']);
    assert.match(r.stderr, /mqtt-tcp-qos2/, 'the summary goes to stderr with --json');

    for (const qos of [0, 1, 2]) {
      const p = phaseByQos(doc, qos);
      const c = p.counters;
      assert.equal(p.status, 'completed');
      assert.equal(p.params.payloadBytes, 64);
      assert.equal(p.params.model, 'closed');
      assert.equal(p.target.kind, 'bundled');
      assert.equal(p.generator.workers.length, 2, 'one health record per worker');
      assert.equal(c.connects, 4, 'two publishers and two subscribers connected');
      assert.equal(c.connectFailures, 0);
      assert.ok(c.sent > 0, `QoS ${qos}: nothing sent`);
      assert.ok(c.received > 0, `QoS ${qos}: nothing received`);
      // Every subscriber receives every publisher: two copies of each message sent.
      assert.equal(c.expected, 2 * c.sent, `QoS ${qos}: expected counts two subscribers`);
      assert.ok(p.latency.e2e.count > 0);
      assert.equal(decodedCount(p.latency.e2e.histogram), p.latency.e2e.count, 'the encoded e2e histogram holds the summary count');
      assert.ok(p.latency.e2e.p50 <= p.latency.e2e.p99 && p.latency.e2e.p99 <= p.latency.e2e.max);
      assert.equal(decodedCount(p.latency.connect.histogram), 4);
      assert.ok(p.timeline.length > 0 && p.timeline.some((t) => !t.warmup && t.received > 0), 'steady timeline points');
      if (qos === 0) {
        assert.equal(p.latency.ack.count, 0, 'QoS 0 has no acknowledgement');
      } else {
        assert.equal(c.lost, 0, `QoS ${qos} lost messages on loopback`);
        assert.equal(c.duplicated, 0, `QoS ${qos} duplicated messages on loopback`);
        assert.equal(c.received, c.expected, `QoS ${qos}: every expected message arrived`);
        assert.equal(c.acked, c.sent, `QoS ${qos}: every publish acknowledged`);
        assert.ok(p.latency.ack.count > 0 && decodedCount(p.latency.ack.histogram) === p.latency.ack.count);
        assert.equal(p.drain.complete, true);
        assert.deepEqual(p.deliveryFailures, []);
      }
      assert.equal(c.outOfOrder, 0, `QoS ${qos}: one connection per publisher keeps order`);
    }
  });

  test('open model: rate recorded, corrected latency never below the uncorrected figure', { timeout: 60_000 }, async () => {
    const out = await tempDir();
    const r = await runCli(['run', '--workers', '2', '--qos', '1', '--rate', '2000', '--duration', '1s', '--warmup', '200ms', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    assertMatchesSchema(doc);
    const p = phaseByQos(doc, 1);
    assert.equal(p.params.model, 'open');
    assert.equal(p.params.rate, 2000);
    assert.equal(p.params.inflight, null);
    assert.equal(p.counters.lost, 0);
    assert.equal(p.latency.e2e.count, p.latency.e2eUncorrected.count, 'both figures from the same messages');
    // Intended send time is never after the actual send time, so each percentile can only grow.
    for (const k of ['p50', 'p90', 'p99', 'max'] as const) {
      assert.ok(p.latency.e2e[k] >= p.latency.e2eUncorrected[k], `${k}: corrected ${p.latency.e2e[k]} < uncorrected ${p.latency.e2eUncorrected[k]}`);
    }
  });

  test('human summary on stdout: plain text off a TTY, verdict and result path', { timeout: 60_000 }, async () => {
    const out = await tempDir();
    const r = await runCli(['run', '--workers', '1', '--qos', '1', '--duration', '1s', '--warmup', '0s', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const { file } = await readOnlyResult(out);
    assert.match(r.stdout, /mqtt-tcp-qos1/);
    assert.match(r.stdout, /PASS/);
    assert.ok(r.stdout.includes(file), 'the summary names the result file');
    assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/, 'no colour codes off a TTY');
    // Every file written, in one block that ends stderr; latest.json a copy of the result.
    const latest = join(out, 'latest.json');
    assert.ok(r.stderr.endsWith(`\nfiles written (2):\n  result  ${file}\n  latest  ${latest} (a copy of the result)\n`), r.stderr);
    assert.equal(await readFile(latest, 'utf8'), await readFile(file, 'utf8'));
    assert.equal((await lstat(latest)).isSymbolicLink(), false, 'a copy, not a link');
  });

  test('two runs into one --out: latest.json replaced by the second result; --json keeps stdout the document alone', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    const args = ['run', '--workers', '1', '--qos', '0', '--duration', '1s', '--warmup', '0s', '--drain', '1s', '--out', out];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const latest = join(out, 'latest.json');
    const before = await lstat(latest);
    const second = await runCli([...args, '--json', '--report', 'csv']);
    assert.equal(second.code, 0, second.stderr);
    const doc = JSON.parse(second.stdout) as ResultDocument;
    const file = join(out, resultFileName(doc));
    assert.deepEqual(JSON.parse(await readFile(latest, 'utf8')), doc, 'latest.json is the second run');
    assert.equal(await readFile(latest, 'utf8'), await readFile(file, 'utf8'));
    assert.notEqual((await lstat(latest)).ino, before.ino, 'a new file renamed into place, not the old one rewritten');
    const csv = file.replace(/\.json$/, '.csv');
    assert.ok(second.stderr.endsWith(`\nfiles written (3):\n  result  ${file}\n  latest  ${latest} (a copy of the result)\n  csv     ${csv}\n`), second.stderr);
    assert.ok(existsSync(csv));
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  });

  test('--baseline with too few steady seconds to find a regression of the tolerance: said on stderr', { timeout: 60_000 }, async () => {
    const out = await tempDir();
    // A real result of one steady second, worse in every figure, so this run cannot regress against it.
    const fixture = JSON.parse(await readFile(new URL('../../test/fixtures/repeats/full-1.json', import.meta.url), 'utf8')) as ResultDocument;
    const baseline = join(out, 'base.json');
    await writeFile(baseline, JSON.stringify(worseInEveryFigure(fixture)));
    const r = await runCli(['run', '--workers', '1', '--qos', '1', '--duration', '1s', '--warmup', '0s', '--drain', '1s', '--baseline', baseline, '--out', join(out, 'results')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^mqbench: note: mqtt-tcp-qos1: 1 vs \d+ steady seconds: no change of received\.rate, however large, would be detected \(fewer than 2 seconds with a value on a side, so no test\), and 10% was asked; use --duration 4s at the very least/m);
  });

  test('bad flags: every problem listed at once, exit 2, nothing run or written', { timeout: 30_000 }, async () => {
    const out = join(await tempDir(), 'never');
    const r = await runCli(['run', '--qos', '0,3', '--publishers', '-1', '--duration', 'soon', '--payload', '4B', '--rate', '100', '--inflight', '5', '--target', 'http://127.0.0.1:1883', '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    for (const flag of ['--qos', '--publishers', '--duration', '--payload', '--target']) {
      assert.ok(r.stderr.includes(flag), `the message names ${flag}:\n${r.stderr}`);
    }
    assert.match(r.stderr, /--rate.*--inflight|--inflight.*--rate/, 'open and closed model together is named');
    assert.doesNotMatch(r.stderr, /listening/, 'no broker was started');
    assert.equal(existsSync(out), false, 'no result directory created');
  });

  test('unknown flag and missing command: usage error, exit 2', { timeout: 30_000 }, async () => {
    const unknown = await runCli(['run', '--qos-level', '1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /qos-level/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name a command: run, compare, report, merge, capacity, broker, echo or completion/);
  });

  test('--help documents units and defaults', { timeout: 30_000 }, async () => {
    const r = await runCli(['run', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--payload[\s\S]*1KiB/);
    assert.match(r.stdout, /--duration[\s\S]*default: "10s"/);
    assert.match(r.stdout, /--rate[\s\S]*messages\/s/);
  });

  test('unreachable target: exit 3 from the reachability check before any client connects, the target named, a failed result written', { timeout: 30_000 }, async () => {
    const out = await tempDir();
    const refused = await refusedPort();
    const url = `mqtt://127.0.0.1:${refused.port}`;
    try {
      const r = await runCli(['run', '--target', url, '--out', out]);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.stderr.includes(url), r.stderr);
      assert.match(r.stderr, /refused/i);
      // "Within seconds" is this: the probe before the first phase fails, so no client waits out
      // --connect-timeout or its retries (no phase starts connecting).
      assert.doesNotMatch(r.stderr, /connecting clients/);
      const { doc } = await readOnlyResult(out);
      assertMatchesSchema(doc);
      assert.equal(doc.status, 'failed');
      assert.match(doc.error ?? '', new RegExp(`^cannot reach ${url.replace(/[.]/g, '\\.')}: refused`));
      assert.deepEqual(doc.phases, []);
    } finally {
      await refused.close();
    }
  });

  test('SIGINT mid-run: exit 130 and a valid result marked interrupted', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    // A broker of the test's own with a watcher on every topic: the SIGINT goes once a message
    // of the run has reached the broker, so there is something to keep however slow the machine.
    const broker = await startBroker({ host: '127.0.0.1', listeners: { tcp: 0 } });
    const target = broker.urls.tcp ?? '';
    const watcher = await mqtt.connectAsync(target, { clientId: 'e2e-run-watcher', reconnectPeriod: 0 });
    await watcher.subscribeAsync('mqbench/#', { qos: 0 });
    let child: ChildProcess | null = null;
    let published = false;
    let sent = false;
    const maybeSend = (): void => {
      if (!sent && published && child !== null) {
        sent = true;
        child.kill('SIGINT');
      }
    };
    watcher.on('message', () => {
      published = true;
      maybeSend();
    });
    try {
      const r = await runCli(['run', '--target', target, '--workers', '2', '--publishers', '2', '--subscribers', '2', '--qos', '1,2', '--duration', '60s', '--warmup', '0s', '--out', out], {
        timeoutMs: 60_000,
        onStderr: (_soFar, c) => {
          child = c;
          maybeSend();
        },
      });
      assert.ok(sent, `no message of the run reached the broker:\n${r.stderr}`);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /interrupted \(SIGINT\)/);
      const { file, doc } = await readOnlyResult(out);
      assertMatchesSchema(doc);
      assert.equal(doc.status, 'interrupted');
      assert.equal(doc.phases.length, 1, 'the next phase was not started');
      const p = doc.phases[0]!;
      assert.equal(p.name, 'mqtt-tcp-qos1');
      assert.equal(p.status, 'interrupted');
      assert.ok(p.durationSeconds < 60, 'the steady window was cut short');
      assert.ok(p.counters.sent > 0, 'what ran is kept');
      const raw = await readFile(file, 'utf8');
      assert.deepEqual(JSON.parse(raw), doc, 'the file is complete');
    } finally {
      await watcher.endAsync(true);
      await broker.close();
    }
  });
});
