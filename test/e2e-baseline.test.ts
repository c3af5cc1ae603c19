/**
 * `run --repeat N --report ... --baseline ...` end to end with the built CLI: repeats merged
 * into one result with per-repeat figures, reports written beside it, and runs gated on two
 * copies of that real result doctored so the outcome is certain on any machine: one worse in
 * every figure (no regression, exit 0) and one with end-to-end latency of 1 us (a regression,
 * exit 1). A same-code rerun's verdict would depend on what else the machine does.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import type { ResultDocument } from '../src/metrics/result.js';
import { startBundledBroker, type BundledBroker } from '../src/servers/bundled.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { impossiblyFastE2e, worseInEveryFigure } from './helpers/doctor.js';
import { assertMatchesSchema } from './helpers/schema.js';

const LOAD = ['--qos', '1', '--publishers', '1', '--subscribers', '1', '--rate', '300/s', '--duration', '2s', '--warmup', '500ms', '--drain', '1s', '--workers', '1'];

let broker: BundledBroker;
let baseFile = '';
let baseDir = '';
let base: ResultDocument;

before(async () => {
  broker = await startBundledBroker();
  baseDir = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', broker.urls.tcp ?? '', '--repeat', '3', '--report', 'html,md,junit', '--out', baseDir], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  ({ file: baseFile, doc: base } = await readOnlyResult(baseDir));
});

after(async () => {
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

/** A doctored copy of the real baseline, written beside it, for a run with a certain outcome. */
async function doctoredBaseline(name: string, doctor: (d: ResultDocument) => ResultDocument): Promise<string> {
  const file = join(await tempDir(), name);
  const doc = doctor(base);
  assertMatchesSchema(doc);
  await writeFile(file, JSON.stringify(doc));
  return file;
}

test('--baseline worse in every figure: no regression, exit 0, the comparison in the result', async () => {
  // A same-code rerun could regress on a busy machine; against this baseline no run can.
  const worse = await doctoredBaseline('worse.json', worseInEveryFigure);
  const out = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', broker.urls.tcp ?? '', '--repeat', '3', '--baseline', worse, '--max-regression', '10%', '--out', out], { timeoutMs: 90_000 });
  const { doc } = await readOnlyResult(out);
  assertMatchesSchema(doc);
  assert.ok(doc.baseline, 'the comparison is kept in the result');
  assert.equal(doc.baseline.base.file, worse);
  assert.equal(doc.baseline.maxRegression, 0.1);
  const rows = doc.baseline.rows.filter((x) => x.phase === 'mqtt-tcp-qos1');
  const rate = rows.find((x) => x.metric === 'received.rate');
  assert.equal(rate?.samples.kind, 'seconds');
  assert.ok((rate?.samples.base ?? 0) > 4, `the steady seconds of all three repeats are pooled (${rate?.samples.base})`);
  const p999 = rows.find((x) => x.metric === 'e2e.p999');
  assert.deepEqual(p999?.samples, { kind: 'repeats', base: 3, head: 3 }, 'figures with no per-second value use the repeats');
  const summary = (x: { metric: string; verdict: string; note: string }): string => `${x.metric}: ${x.verdict} (${x.note})`;
  assert.deepEqual(doc.baseline.rows.filter((x) => x.verdict === 'regression').map(summary), []);
  for (const m of ['received.rate', 'e2e.p50', 'e2e.p99', 'e2e.p999']) assert.equal(rows.find((x) => x.metric === m)?.verdict, 'improved', m);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(doc.verdict, { passed: true, failures: [] });
  const judged = doc.baseline.rows.filter((x) => x.better !== null && x.verdict !== 'missing');
  const gates = (doc.gates ?? []).filter((g) => g.kind === 'baseline');
  assert.equal(gates.length, judged.length, 'one gate per judged metric and phase');
  assert.ok(gates.every((g) => g.passed), gates.filter((g) => !g.passed).map((g) => g.name).join(', '));
  assert.match(r.stdout, /no regression beyond 10%/);
  assert.doesNotMatch(r.stdout, /REGRESSION/);
});

test('--baseline with end-to-end latency no broker can match: a regression, exit 1, named in the verdict and the JUnit report', async () => {
  const fast = await doctoredBaseline('fast.json', impossiblyFastE2e);
  const out = await tempDir();
  const r = await runCli(['run', ...LOAD, '--target', broker.urls.tcp ?? '', '--repeat', '3', '--baseline', fast, '--latency-floor', '0', '--out', out, '--report', 'junit'], { timeoutMs: 90_000 });
  assert.equal(r.code, 1, r.stderr);
  const { file, doc } = await readOnlyResult(out);
  assertMatchesSchema(doc);
  const p50 = doc.baseline?.rows.find((x) => x.metric === 'e2e.p50');
  assert.equal(p50?.verdict, 'regression', JSON.stringify(p50));
  assert.ok((p50?.pValue ?? 1) < 0.05, JSON.stringify(p50));
  assert.equal(doc.baseline?.rows.find((x) => x.metric === 'e2e.p999')?.verdict, 'regression', 'judged on the repeats too');
  assert.ok(doc.verdict.failures.some((f) => /mqtt-tcp-qos1: regression against the baseline beyond 10%: e2e\.p50/.test(f)), doc.verdict.failures.join('\n'));
  const failed = (doc.gates ?? []).filter((g) => g.kind === 'baseline' && !g.passed).map((g) => g.name);
  assert.ok(failed.includes('baseline e2e.p50 [mqtt-tcp-qos1]'), failed.join(', '));
  assert.match(r.stdout, /REGRESSION/);
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
