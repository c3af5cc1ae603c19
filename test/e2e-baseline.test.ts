/**
 * `run --repeat N --report ... --baseline ...` end to end with the built CLI: repeats merged
 * into one result with per-repeat figures, reports written beside it, a same-code rerun gated
 * against it passes, and a run through a 20 ms delay proxy fails as a regression. The
 * proxy's 20 ms per hop dwarfs any machine's loopback latency, so no assertion depends on speed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import type { ResultDocument } from '../src/metrics/result.js';
import { startBundledBroker, type BundledBroker } from '../src/servers/bundled.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { startDelayProxy, type DelayProxy } from './helpers/delay-proxy.js';
import { assertMatchesSchema } from './helpers/schema.js';

const LOAD = ['--qos', '1', '--publishers', '1', '--subscribers', '1', '--rate', '300/s', '--duration', '2s', '--warmup', '500ms', '--drain', '1s', '--workers', '1'];

let broker: BundledBroker;
let proxy: DelayProxy;
let baseFile = '';
let baseDir = '';
let base: ResultDocument;

before(async () => {
  broker = await startBundledBroker();
  proxy = await startDelayProxy(broker.ports.tcp ?? 0, 20);
  baseDir = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', broker.urls.tcp ?? '', '--repeat', '3', '--report', 'html,md,junit', '--out', baseDir], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  ({ file: baseFile, doc: base } = await readOnlyResult(baseDir));
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
});

test('--repeat 3: one result, the repeats merged, each repeat kept for the noise estimate', () => {
  assertMatchesSchema(base);
  assert.equal(base.repeat?.count, 3);
  assert.equal(base.repeat?.runIds.length, 3);
  const p = base.phases[0];
  assert.ok(p);
  assert.equal(p.repeats?.length, 3);
  const sent = (p.repeats ?? []).map((f) => f['received.rate'] ?? 0);
  assert.ok(sent.every((v) => v > 0), `every repeat delivered: ${sent.join(', ')}`);
  assert.deepEqual([...new Set(p.timeline.map((t) => t.repeat))], [1, 2, 3]);
});

test('--report html,md,junit: the reports sit beside the result file', async () => {
  const files = (await readdir(baseDir)).sort();
  const stem = baseFile.replace(/\.json$/, '');
  for (const ext of ['.html', '.md', '.junit.xml']) assert.ok(existsSync(`${stem}${ext}`), `${stem}${ext} in ${files.join(', ')}`);
  const xml = await readFile(`${stem}.junit.xml`, 'utf8');
  assert.equal(XMLValidator.validate(xml), true);
  assert.match(xml, /failures="0"/);
  assert.match(await readFile(`${stem}.md`, 'utf8'), /mqtt-tcp-qos1/);
});

test('--baseline: a same-code rerun is not a regression; the comparison is in the result', async () => {
  const out = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', broker.urls.tcp ?? '', '--repeat', '3', '--baseline', baseFile, '--max-regression', '10%', '--out', out], { timeoutMs: 90_000 });
  const { doc } = await readOnlyResult(out);
  assertMatchesSchema(doc);
  assert.ok(doc.baseline, 'the comparison is kept in the result');
  assert.equal(doc.baseline.base.file, baseFile);
  assert.equal(doc.baseline.maxRegression, 0.1);
  const rows = doc.baseline.rows.filter((x) => x.phase === 'mqtt-tcp-qos1');
  const rate = rows.find((x) => x.metric === 'received.rate');
  assert.equal(rate?.samples.kind, 'seconds');
  assert.ok((rate?.samples.base ?? 0) > 4, `the steady seconds of all three repeats are pooled (${rate?.samples.base})`);
  const p999 = rows.find((x) => x.metric === 'e2e.p999');
  assert.deepEqual(p999?.samples, { kind: 'repeats', base: 3, head: 3 }, 'figures with no per-second value use the repeats');
  const regressions = doc.baseline.rows.filter((x) => x.verdict === 'regression');
  // A saturated generator (another process hogging the CPU) makes latency the tool's, not the code's.
  if (!doc.phases.some((p) => p.generator.saturated) && !base.phases.some((p) => p.generator.saturated)) {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(regressions.map((x) => x.metric), []);
  }
  const judged = doc.baseline.rows.filter((x) => x.better !== null && x.verdict !== 'missing');
  assert.equal((doc.gates ?? []).filter((g) => g.kind === 'baseline').length, judged.length, 'one gate per judged metric and phase');
  assert.match(r.stdout, /no regression beyond 10%|regression/);
});

test('--baseline: the same load through a 20 ms delay is a regression, exit 1, named in the verdict', async () => {
  const out = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', proxy.url, '--repeat', '3', '--baseline', baseFile, '--out', out, '--report', 'junit'], { timeoutMs: 90_000 });
  assert.equal(r.code, 1, r.stderr);
  const { file, doc } = await readOnlyResult(out);
  assert.ok(proxy.chunks() > 0, 'the traffic went through the proxy');
  const p50 = doc.baseline?.rows.find((x) => x.metric === 'e2e.p50');
  assert.equal(p50?.verdict, 'regression', JSON.stringify(p50));
  assert.ok((p50?.pValue ?? 1) < 0.05);
  assert.ok(doc.verdict.failures.some((f) => /mqtt-tcp-qos1: regression against the baseline beyond 10%: e2e\.p50/.test(f)), doc.verdict.failures.join('\n'));
  const failed = (doc.gates ?? []).filter((g) => g.kind === 'baseline' && !g.passed).map((g) => g.name);
  assert.ok(failed.includes('baseline e2e.p50 [mqtt-tcp-qos1]'), failed.join(', '));
  const xml = await readFile(file.replace(/\.json$/, '.junit.xml'), 'utf8');
  assert.equal(XMLValidator.validate(xml), true);
  assert.match(xml, /baseline e2e\.p50 \[mqtt-tcp-qos1\]/);
});

test('--baseline with a file that is not a result: exit 2 before anything runs', async () => {
  const out = await tempDir();
  const r = await runCli(['run', ...LOAD, '--baseline', join(out, 'missing.json'), '--max-regression', 'lots', '--repeat', '0', '--report', 'pdf', '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /4 problem\(s\)/);
  assert.match(r.stderr, /--baseline: .*missing\.json/);
  assert.match(r.stderr, /--max-regression: 'lots' is not a tolerance/);
  assert.match(r.stderr, /--repeat: /);
  assert.match(r.stderr, /--report: /);
  assert.deepEqual(await readdir(out), []);
});
