/**
 * `mqbench compare` on documents from real runs: the same open-model workload against the
 * bundled broker twice, and once through a TCP proxy that holds every chunk 50 ms (a real
 * latency regression). The three runs are the built CLI, side by side (each its own process);
 * the comparisons go through main() and, once, the built CLI. The only figure asserted from the runs is
 * the proxy's delay in the median latency (at least 100 ms a message, where loopback takes well
 * under a millisecond, and a busy machine's p50 stays far below); the verdict between two runs of
 * the same code is asserted only for consistency, and rules that need a certain figure run on
 * documents derived from the real ones.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compareDocuments } from '../src/gates/baseline.js';
import { renderComparison, renderComparisonMarkdown } from '../src/reporters/compare.js';
import { main } from '../src/cli/main.js';
import type { Comparison, ComparisonRow, ResultDocument } from '../src/metrics/result.js';
import { startBundledBroker, type BundledBroker } from '../src/servers/bundled.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { startDelayProxy, type DelayProxy } from './helpers/delay-proxy.js';
import { memoryIo } from './helpers/io.js';

const DELAY_MS = 50;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = memoryIo();
  const code = await main(args, t.io);
  return { code, stdout: t.out(), stderr: t.err() };
}

let dir = '';
let broker: BundledBroker | undefined;
let proxy: DelayProxy | undefined;
const files = { base: '', rerun: '', slow: '' };
const docs: Record<keyof typeof files, ResultDocument | undefined> = { base: undefined, rerun: undefined, slow: undefined };

/**
 * One real run: 1 publisher -> 1 subscriber, QoS 1, open model at 500/s, 1 s warm-up + 6 s steady.
 * 6 steady seconds, not 4: on a busy machine a second can come without a delivery (no latency
 * sample), and 4 vs 3 seconds cannot reach p < 0.05 even when fully separated (2/35 = 0.057).
 */
async function realRun(name: keyof typeof files, target: string): Promise<void> {
  const out = join(dir, name);
  await mkdir(out);
  const r = await runCli(['run', '--target', target, '--rate', '500/s', '--qos', '1', '--duration', '6s', '--warmup', '1s', '--drain', '2s', '--workers', '1', '--out', out]);
  assert.equal(r.code, 0, `run ${name} failed:\n${r.stderr}\n${r.stdout}`);
  const { file, doc } = await readOnlyResult(out);
  files[name] = file;
  docs[name] = doc;
}

before(async () => {
  dir = await tempDir('mqbench-compare-');
  broker = await startBundledBroker();
  assert.ok(broker.url !== undefined && broker.port !== undefined);
  proxy = await startDelayProxy(broker.port, DELAY_MS);
  await Promise.all([realRun('base', broker.url), realRun('rerun', broker.url), realRun('slow', proxy.url)]);
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const saturationReasons = (...names: Array<keyof typeof files>): string => names.flatMap((n) => docs[n]!.phases.flatMap((p) => p.generator.reasons.map((r) => `${n}: ${r}`))).join('; ');

const row = (c: Comparison, metric: string): ComparisonRow => {
  const r = c.rows.find((x) => x.metric === metric);
  assert.ok(r, `no row for ${metric}`);
  return r;
};

const figureLines = (c: Comparison): string[] =>
  c.rows
    .filter((r) => ['received.rate', 'sent.rate', 'e2e.p50', 'e2e.p99'].includes(r.metric))
    .map((r) => `${r.metric}: ${r.base} -> ${r.head} (${r.change === null ? '-' : `${(r.change * 100).toFixed(1)}%`}, p=${r.pValue ?? '-'}, ${r.samples.base}v${r.samples.head} ${r.samples.kind}) ${r.verdict}`);
const figures = (c: Comparison): string => figureLines(c).join('\n');

test('one document against itself: exit 0, every row unchanged with p=1', { timeout: 30_000 }, async () => {
  const r = await cli(['compare', files.base, files.base, '--json']);
  const c = JSON.parse(r.stdout) as Comparison;
  assert.equal(r.code, 0, `${r.stderr}\n${figures(c)}`);
  assert.equal(c.regressions, 0);
  assert.ok(c.rows.length > 0);
  for (const x of c.rows) {
    assert.notEqual(x.verdict, 'regression', `${x.metric}: ${x.note}`);
    if (x.change !== null) assert.equal(x.change, 0, x.metric);
    if (x.samples.kind === 'seconds') assert.equal(x.pValue, 1, x.metric);
  }
  const text = await cli(['compare', files.base, files.base]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /no regression beyond 10%/);
  assert.doesNotMatch(text.stdout, /REGRESSION/);
});

test('same code twice: rates and counts unchanged, latency judged per second', { timeout: 30_000 }, async (t) => {
  const r = await cli(['compare', files.base, files.rerun, '--json']);
  const c = JSON.parse(r.stdout) as Comparison;
  for (const line of figureLines(c)) t.diagnostic(`same code: ${line}`);
  // The open model fixes the rates and nothing is lost on loopback: those rows never regress.
  // Latency between two runs of the same code moves with whatever else this machine does (a p99
  // of 500 samples a second is three messages), so its verdict is the test's to make, not this
  // test's: asserted is that it is judged per second with a p-value, and that the exit code, the
  // count and the table agree with the rows.
  for (const m of ['received.rate', 'sent.rate', 'lost']) assert.notEqual(row(c, m).verdict, 'regression', `${m}: ${row(c, m).note}`);
  assert.equal(row(c, 'lost').samples.kind, 'exact');
  assert.equal(row(c, 'lost').verdict, 'unchanged');
  assert.equal(row(c, 'connect.p99').samples.kind, 'none');
  assert.deepEqual(c.onlyInBase, []);
  assert.deepEqual(c.onlyInHead, []);
  assert.equal(c.maxRegression, 0.1);
  for (const m of ['received.rate', 'sent.rate', 'e2e.p50', 'e2e.p99']) {
    const x = row(c, m);
    assert.equal(x.phase, 'mqtt-tcp-qos1');
    assert.equal(x.samples.kind, 'seconds', m);
    assert.ok(x.samples.base >= 3 && x.samples.head >= 3, `${m}: per-second samples of the 6 s steady window`);
    assert.ok(x.pValue !== null && x.pValue >= 0 && x.pValue <= 1, `${m}: p ${x.pValue}`);
  }
  const regressed = c.rows.filter((x) => x.verdict === 'regression').length;
  assert.equal(c.regressions, regressed);
  assert.equal(r.code, regressed > 0 ? 1 : 0, `${r.stderr}\n${figures(c)}`);

  const text = await cli(['compare', files.base, files.rerun]);
  assert.equal(text.code, r.code, 'the table and --json agree');
  assert.match(text.stdout, /mqtt-tcp-qos1/);
  assert.equal(/no regression beyond 10%/.test(text.stdout), r.code === 0, text.stdout);
  assert.match(text.stdout, /method: .*Mann-Whitney/);
  assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colour off a TTY');
  assert.equal(/REGRESSION/.test(text.stdout), r.code === 1);
});

test('through a proxy that delays every chunk 50 ms: exit 1, e2e p50 regresses with a small p', { timeout: 30_000 }, async (t) => {
  assert.ok((proxy?.chunks() ?? 0) > 0, 'the slow run went through the proxy');
  const r = await cli(['compare', files.base, files.slow, '--json']);
  const c = JSON.parse(r.stdout) as Comparison;
  for (const line of figureLines(c)) t.diagnostic(`proxied: ${line}`);
  // Should the base run's generator have been the limit (a machine busy elsewhere), the message says so.
  const why = `${figures(c)}\nsaturated: ${saturationReasons('base', 'slow') || 'no'}`;
  assert.equal(r.code, 1, `${r.stderr}\n${why}`);
  assert.ok(c.regressions >= 1, why);
  // p50 only: a busy machine can push the base's own p99 past the delay, never its median.
  const x = row(c, 'e2e.p50');
  assert.equal(x.verdict, 'regression', `e2e.p50: ${x.note}\n${why}`);
  assert.ok(x.pValue !== null && x.pValue < 0.05, `e2e.p50: p ${x.pValue}\n${why}`);
  assert.ok(x.change !== null && x.change > 0.1, why);
  assert.match(x.note, /significant \(p=/);
  // Publish and delivery both cross the proxy: at least twice the delay on every message.
  const p50 = row(c, 'e2e.p50');
  assert.ok(p50.head !== null && p50.head >= (2 * DELAY_MS - 5) * 1000, `head e2e p50 ${p50.head}us`);

  const text = await cli(['compare', files.base, files.slow]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /x REGRESSION/);
  assert.match(text.stdout, /\d+ regressions? beyond 10% and noise/);
  const md = await cli(['compare', files.base, files.slow, '--md']);
  assert.equal(md.code, 1);
  assert.match(md.stdout, /^\| metric \| base \| head \| change \| p \| verdict \| why \|$/m);
  assert.match(md.stdout, /\| `e2e\.p50` \|.*\*\*regression\*\*/);

  // The built CLI, as CI runs it.
  const bin = await runCli(['compare', files.base, files.slow]);
  assert.equal(bin.code, 1, bin.stderr);
  assert.match(bin.stdout, /REGRESSION/);
});

test('the other way round, the proxied run as base: e2e p50 improved, exit 0', { timeout: 30_000 }, async () => {
  // --metric e2e.p50: the one figure the proxy certainly moved (rates and p99 of two real runs may move either way).
  const r = await cli(['compare', files.slow, files.base, '--metric', 'e2e.p50', '--json']);
  const c = JSON.parse(r.stdout) as Comparison;
  assert.equal(row(c, 'e2e.p50').verdict, 'improved', `${figures(c)}\nsaturated: ${saturationReasons('base', 'slow') || 'no'}`);
  assert.equal(c.regressions, 0);
  assert.equal(r.code, 0, figures(c));
});

test('rule details on documents derived from the real runs', async () => {
  const base = docs.base!;
  const head = structuredClone(docs.rerun!);
  const opts = { maxRegression: 0.1, baseFile: 'base.json', headFile: 'head.json' };
  const phase = head.phases[0]!;

  // An exact count: lost 0 -> 12 is a regression, no test needed.
  assert.equal(base.phases[0]!.counters.lost, 0);
  phase.counters.lost = 12;
  let c = compareDocuments(base, head, { ...opts, metrics: ['lost', 'sent', 'e2e.p50', 'wire.bytesPerMessage'] });
  assert.equal(row(c, 'lost').verdict, 'regression');
  assert.equal(row(c, 'lost').change, null, 'no relative change from 0');
  assert.equal(c.regressions, 1);
  // sent describes the load: never judged.
  assert.equal(row(c, 'sent').verdict, 'unchanged');
  assert.match(row(c, 'sent').note, /not judged/);

  // Latency floor: +200us is noise whatever the percentage; with the floor off it is judged.
  phase.latency.e2e.p50 = base.phases[0]!.latency.e2e.p50 + 200;
  c = compareDocuments(base, head, { ...opts, metrics: ['e2e.p50'] });
  assert.equal(row(c, 'e2e.p50').verdict, 'unchanged');
  assert.match(row(c, 'e2e.p50').note, /latency floor/);

  // No spread known: a big change without samples is within noise, and says how to get one.
  phase.latency.connect.p99 = base.phases[0]!.latency.connect.p99 * 3 + 1000;
  c = compareDocuments(base, head, { ...opts, metrics: ['connect.p99'] });
  assert.equal(row(c, 'connect.p99').verdict, 'within-noise');
  assert.match(row(c, 'connect.p99').note, /no spread known: run both sides with --repeat 3 or more/);

  // Repeats on both sides replace the per-second samples.
  const b2 = structuredClone(base);
  b2.phases[0]!.repeats = [1000, 1010, 990, 1005].map((v) => ({ 'connect.p99': v }));
  b2.phases[0]!.latency.connect.p99 = 1000;
  phase.repeats = [3000, 3100, 2950, 3050].map((v) => ({ 'connect.p99': v }));
  phase.latency.connect.p99 = 3000;
  c = compareDocuments(b2, head, { ...opts, metrics: ['connect.p99'] });
  const rep = row(c, 'connect.p99');
  assert.equal(rep.samples.kind, 'repeats');
  assert.deepEqual([rep.samples.base, rep.samples.head], [4, 4]);
  assert.equal(rep.verdict, 'regression');
  assert.ok(Math.abs((rep.pValue ?? 1) - 2 / 70) < 1e-12, 'complete separation of 4 vs 4: p = 2/70');

  // A phase on one side only; a metric missing on one side.
  const renamed = structuredClone(head);
  renamed.phases.push({ ...structuredClone(phase), name: 'extra' });
  c = compareDocuments(base, renamed, { ...opts, metrics: ['e2e.p50'] });
  assert.deepEqual(c.onlyInHead, ['extra']);
  const noLatency = structuredClone(head);
  noLatency.phases[0]!.latency.ack.count = 0;
  c = compareDocuments(base, noLatency, { ...opts, metrics: ['ack.p99'] });
  assert.equal(row(c, 'ack.p99').verdict, 'missing');

  // Per-second samples: every steady second of head 100 ms slower at p99 than the base's worst second.
  const slowP99 = structuredClone(docs.rerun!);
  const steadyP99 = (d: ResultDocument): number[] => d.phases[0]!.timeline.filter((t) => t.stage === 'steady' && t.received > 0).map((t) => t.p99);
  const worstBase = Math.max(...steadyP99(base));
  for (const t of slowP99.phases[0]!.timeline) if (t.received > 0) t.p99 = worstBase + 100_000;
  slowP99.phases[0]!.latency.e2e.p99 = worstBase + 100_000;
  c = compareDocuments(base, slowP99, { ...opts, metrics: ['e2e.p99'] });
  const p99 = row(c, 'e2e.p99');
  assert.equal(p99.samples.kind, 'seconds');
  assert.deepEqual([p99.samples.base, p99.samples.head], [steadyP99(base).length, steadyP99(slowP99).length]);
  assert.ok(p99.samples.base >= 4 && p99.samples.head >= 4, `4 or more steady seconds with deliveries on each side (p < 0.05 is possible): ${p99.samples.base} vs ${p99.samples.head}`);
  assert.equal(p99.verdict, 'regression', p99.note);
  assert.ok(p99.pValue !== null && p99.pValue < 0.05, p99.note);
  assert.match(p99.note, /worse than every steady second of the base/);

  // Renderers: | in a phase name is escaped in Markdown; the terminal table names the phase.
  const piped = structuredClone(base);
  piped.phases[0]!.name = 'a|b';
  const pipedHead = structuredClone(head);
  pipedHead.phases[0]!.name = 'a|b';
  c = compareDocuments(piped, pipedHead, opts);
  assert.match(renderComparisonMarkdown(c), /#### a\\\|b/);
  assert.match(renderComparison(c, false), /^a\|b$/m);
  assert.match(renderComparison(c, true), /\u001b\[/, 'colour when asked');
});

test('bad input: exit 2 with a message naming the problem', { timeout: 30_000 }, async () => {
  const missing = join(dir, 'nope.json');
  let r = await cli(['compare', missing, files.base]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.json: no such file/);

  const notJson = join(dir, 'broken.json');
  await writeFile(notJson, '{\n  "schemaVersion": 1,\n  oops\n}\n');
  r = await cli(['compare', files.base, notJson]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /broken\.json: not JSON \(.*line 3, column 3/);

  const newer = join(dir, 'newer.json');
  await writeFile(newer, JSON.stringify({ ...JSON.parse(await readFile(files.base, 'utf8')), schemaVersion: 99 }));
  r = await cli(['compare', files.base, newer]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /newer\.json: written by a newer mqbench.*schemaVersion 99/);

  const other = join(dir, 'other.json');
  await writeFile(other, JSON.stringify({ hello: 'world' }));
  r = await cli(['compare', other, files.base]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /other\.json: not an mqbench result \(no schemaVersion and no phases\)/);

  const renamed = join(dir, 'renamed.json');
  const doc = JSON.parse(await readFile(files.base, 'utf8')) as ResultDocument;
  doc.phases[0]!.name = 'something-else';
  await writeFile(renamed, JSON.stringify(doc));
  r = await cli(['compare', files.base, renamed]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no phase in common: base has mqtt-tcp-qos1, head has something-else/);

  r = await cli(['compare', files.base, files.rerun, '--metric', 'e2e.p98']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown metric 'e2e\.p98'; did you mean .*e2e\.p99/);

  r = await cli(['compare', files.base, files.rerun, '--max-regression', 'ten']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--max-regression: 'ten' is not a tolerance; use a percentage such as 10% or a fraction such as 0\.1/);
  r = await cli(['compare', files.base, files.rerun, '--max-regression', '10']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'10' is ambiguous.*write 10%/);
  r = await cli(['compare', files.base, files.rerun, '--latency-floor', '250']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--latency-floor: '250' has no unit/);

  // Every problem at once.
  r = await cli(['compare', missing, notJson, '--max-regression=-5%', '--metric', 'bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /4 problem\(s\)/);

  // Accepted forms.
  // One document against itself: no regression whatever the figures, so exit 0.
  r = await cli(['compare', files.base, files.base, '--max-regression', '0.25', '--metric', 'e2e.p99,lost', '--metric', 'rtt.p50', '--latency-floor', '1ms', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as Comparison;
  assert.equal(c.maxRegression, 0.25);
  assert.deepEqual(c.rows.map((x) => x.metric), ['e2e.p99', 'lost', 'e2e.p50']);
  assert.match(c.method, /at least 1\.00ms/);
});
