/**
 * Gates end to end: thresholds from flags and from a scenario file, checked on a real run
 * against the bundled broker; bad thresholds stop before anything runs; --abort-on-fail
 * stops the run early. The impossible thresholds here fail on any machine (p99 under 1 us,
 * a million deliveries a second from a 200/s load), so no assertion depends on speed.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Threshold } from '../src/config/model.js';
import { checkThresholds, parseThreshold } from '../src/gates/threshold.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

const LOAD = ['--publishers', '1', '--subscribers', '1', '--rate', '200/s', '--warmup', '300ms', '--drain', '2s', '--workers', '1'];
const SHORT = [...LOAD, '--duration', '1s'];

function threshold(text: string): Threshold {
  const r = parseThreshold(text, 'flag');
  if (!r.ok) throw new Error(r.error);
  return r.threshold;
}

// Each run has its own bundled broker and --out, and the thresholds pass or fail on any machine: side by side.
describe('gates, run by run', { concurrency: true }, () => {
  describe('a real run with thresholds from flags', () => {
    let doc: ResultDocument;
    let stdout = '';
    let code: number | null = null;
    before(async () => {
      const out = await tempDir();
      const r = await runCli(['run', ...SHORT, '--qos', '0,1', '--out', out, '--threshold', 'mqtt.e2e.qos1.p99 < 1us', '--threshold', 'mqtt.lost.qos1 == 0', '--threshold', 'mqtt.e2e.p99 < 1h'], { timeoutMs: 60_000 });
      code = r.code;
      stdout = r.stdout;
      doc = (await readOnlyResult(out)).doc;
    });

    test('an impossible threshold exits 1 and is named with its measured value', () => {
      assert.equal(code, 1, stdout);
      assert.match(stdout, /FAIL {2}mqtt\.e2e\.qos1\.p99 < 1us \[mqtt-tcp-qos1\]: mqtt\.e2e\.qos1\.p99 < 1us: mqtt-tcp-qos1 measured \d/);
      assert.match(stdout, /pass {2}mqtt\.lost\.qos1 == 0 \[mqtt-tcp-qos1\]: 0/);
      assert.equal(doc.status, 'completed');
      assert.equal(doc.verdict.passed, false);
      assert.deepEqual(doc.verdict.failures.filter((f) => f.includes('threshold')).length, 1, doc.verdict.failures.join('; '));
    });

    test('one gate per threshold and phase it selects, each with its measured value; the document is schema-valid', () => {
      assertMatchesSchema(doc);
      const gates = (doc.gates ?? []).filter((g) => g.kind === 'threshold');
      assert.deepEqual(
        gates.map((g) => [g.name, g.passed]),
        [
          ['mqtt.e2e.qos1.p99 < 1us [mqtt-tcp-qos1]', false],
          ['mqtt.lost.qos1 == 0 [mqtt-tcp-qos1]', true],
          ['mqtt.e2e.p99 < 1h [mqtt-tcp-qos0]', true],
          ['mqtt.e2e.p99 < 1h [mqtt-tcp-qos1]', true],
        ],
      );
      const qos1 = doc.phases.find((p) => p.name === 'mqtt-tcp-qos1');
      assert.equal(gates[0]?.value, qos1?.latency.e2e.p99, 'the measured value is the phase figure');
      assert.equal(gates[1]?.value, qos1?.counters.lost);
      assert.deepEqual(
        (doc.gates ?? []).filter((g) => g.kind === 'delivery').map((g) => [g.name, g.passed]),
        [
          ['delivery [mqtt-tcp-qos0]', true],
          ['delivery [mqtt-tcp-qos1]', true],
        ],
      );
      assert.deepEqual((doc.scenario['thresholds'] as unknown[]).length, 3, 'the resolved scenario records the thresholds');
    });

    test('table: each threshold evaluated on the real result passes or fails as its figure says', () => {
      const qos1 = doc.phases.find((p) => p.name === 'mqtt-tcp-qos1');
      assert.ok(qos1);
      const sent = qos1.counters.sent;
      const cases: Array<[string, boolean]> = [
        [`mqtt.sent.qos1 == ${sent}`, true],
        [`mqtt.sent.qos1 > ${sent}`, false],
        [`mqtt.sent.qos1 >= ${sent}`, true],
        [`mqtt.sent.qos1 != ${sent}`, false],
        ['mqtt.received.qos1.rate > 1M/s', false],
        ['mqtt.received.qos1.rate > 0/s', true],
        ['mqtt.e2e.qos1.min >= 1us', true],
        [`mqtt.e2e.qos1.max <= ${qos1.latency.e2e.max}us`, true],
        [`mqtt.e2e.qos1.max < ${qos1.latency.e2e.max}us`, false],
        ['mqtt.lost.qos1.pct < 0.001%', true],
        ['mqtt.errors.qos1 == 0', true],
      ];
      for (const [text, passed] of cases) {
        const [check, more] = checkThresholds([threshold(text)], doc.phases);
        assert.equal(more, undefined, text);
        assert.equal(check?.passed, passed, `${text}: ${check?.message}`);
      }
    });

    test('a figure that was not measured fails its gate and says so', () => {
      const [check] = checkThresholds([threshold('mqtt.ack.qos0.p99 < 1s')], doc.phases);
      assert.equal(check?.passed, false);
      assert.match(check?.message ?? '', /ack\.p99 was not measured in mqtt-tcp-qos0 \(no samples\)/);
    });
  });

  test('bad thresholds: every problem at once, exit 2, nothing run', async () => {
    const out = await tempDir();
    const r = await runCli(['run', ...SHORT, '--qos', '1', '--out', out, '--threshold', 'mqtt.e2e.p99 < 20', '--threshold', 'mqtt.latency.p99 < 2ms', '--threshold', 'nonsense', '--rate', 'fast']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /4 problem\(s\) with the flags, nothing was run/);
    assert.match(r.stderr, /--threshold: 'mqtt\.e2e\.p99 < 20': '20' needs a time unit/);
    assert.match(r.stderr, /--threshold: 'latency\.p99' in 'mqtt\.latency\.p99 < 2ms' is not a metric; did you mean/);
    assert.match(r.stderr, /--threshold: 'nonsense' is not a threshold/);
    assert.match(r.stderr, /--rate: /, 'a bad threshold does not hide the other flags\' problems');
    assert.deepEqual(await readdir(out), [], 'no result file: nothing ran');

    // Once the run is valid, a threshold must select one of its phases.
    const r2 = await runCli(['run', ...SHORT, '--qos', '1', '--out', out, '--threshold', 'ws.rtt.p99 < 5ms', '--threshold', 'mqtt-ws.e2e.p99 < 5ms']);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /2 problem\(s\)/);
    assert.match(r2.stderr, /--threshold: 'ws\.rtt\.p99 < 5ms' selects no phase of this run \(scope 'ws'\); the phases are mqtt-tcp-qos1 \(mqtt, qos1\)/);
    assert.match(r2.stderr, /--threshold: 'mqtt-ws\.e2e\.p99 < 5ms' selects no phase/);
    assert.deepEqual(await readdir(out), [], 'no result file: nothing ran');
  });

  test('thresholds in a scenario file: bad ones reported with their line, exit 2; good ones gate the run', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      ['groups:', '  - { name: pub, role: publish, clients: 1, rate: 100 }', '  - { name: sub, role: subscribe, clients: 1 }', 'thresholds:', '  - mqtt.e2e.p99 < 20', '  - 42', 'abortOnFail: sometimes', ''].join('\n'),
    );
    const r1 = await runCli(['run', bad, '--out', dir]);
    assert.equal(r1.code, 2, r1.stderr);
    assert.match(r1.stderr, /3 problem\(s\)/);
    assert.match(r1.stderr, /thresholds\[0\] \(line 5\).*needs a time unit/);
    assert.match(r1.stderr, /thresholds\[1\] \(line 6\).*must be a string/);
    assert.match(r1.stderr, /abortOnFail \(line 7\)/);

    const good = join(dir, 'good.yaml');
    await writeFile(
      good,
      [
        'groups:',
        '  - { name: pub, role: publish, clients: 1, rate: 200, qos: 1 }',
        '  - { name: sub, role: subscribe, clients: 1, qos: 1 }',
        'load: { warmup: 300ms, duration: 1s, drain: 2s }',
        'thresholds:',
        "  - 'mqtt.received.rate > 1M/s'",
        "  - 'mqtt.lost == 0'",
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const r2 = await runCli(['run', good, '--out', out, '--threshold', 'all.e2e.p99 < 1h']);
    assert.equal(r2.code, 1, r2.stderr);
    const { doc } = await readOnlyResult(out);
    const gates = (doc.gates ?? []).filter((g) => g.kind === 'threshold');
    assert.deepEqual(
      gates.map((g) => [g.expression, g.source, g.passed]),
      [
        ['mqtt.received.rate > 1M/s', 'scenario', false],
        ['mqtt.lost == 0', 'scenario', true],
        ['all.e2e.p99 < 1h', 'flag', true],
      ],
    );
  });

  describe('--abort-on-fail', () => {
    test('after a phase that failed a gate, the later phases do not run; exit 1 and a valid result', async () => {
      const out = await tempDir();
      const r = await runCli(['run', ...SHORT, '--qos', '0,1,2', '--out', out, '--threshold', 'mqtt.received.rate > 1M/s', '--abort-on-fail']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /stopped by --abort-on-fail: mqtt\.received\.rate > 1M\/s: mqtt-tcp-qos0 measured .*; 2 later phase\(s\) not run/);
      const { doc } = await readOnlyResult(out);
      assertMatchesSchema(doc);
      assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos0']);
      assert.equal(doc.status, 'failed');
      assert.equal(doc.verdict.passed, false);
    });

    test('a latency maximum already over its bound stops the phase mid-way', async () => {
      const out = await tempDir();
      // 20 s of steady load: the gate is broken by the first message, checked at the first steady second.
      const r = await runCli(['run', ...LOAD, '--duration', '20s', '--qos', '1,2', '--out', out, '--threshold', 'mqtt.e2e.max < 1us', '--abort-on-fail'], { timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      const { doc } = await readOnlyResult(out);
      assertMatchesSchema(doc);
      assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos1'], 'the QoS 2 phase did not run');
      const p = doc.phases[0];
      assert.equal(p?.status, 'interrupted');
      assert.match(p?.error ?? '', /stopped by --abort-on-fail after [\d.]+s of publishing: mqtt\.e2e\.max < 1us: mqtt-tcp-qos1 already measured/);
      assert.ok((p?.durationSeconds ?? 20) < 20, `the steady window was cut short (${p?.durationSeconds}s of 20s)`);
      assert.equal(p?.counters.lost, 0, 'what was sent before the stop was still delivered and counted');
    });
  });
});
