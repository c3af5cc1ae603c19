/**
 * `mqbench capacity` end to end, the built CLI against a target with a known capacity: the
 * bundled broker with a publish rate limit (servers/rate-limit.ts) that handles at most
 * R = 3,000 messages/s and queues the rest, shared by the tests of this file. Far below what
 * the generator does on one core, so the search finds the broker's limit, not the tool's; a test
 * that meets a saturated generator anyway fails saying so (a loaded machine), never passes.
 * Levels are short (0.3 s warm-up + 1 s steady) and every load is bounded by --to and the CLI timeout.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ResultDocument } from '../src/metrics/result.js';
import type { CapacitySection } from '../src/metrics/capacity-result.js';
import { startBundledBroker, type BundledBroker } from '../src/servers/bundled.js';
import { SEND_COST_ENV } from '../src/worker/send-cost.js';
import { readOnlyResult, refusedPort, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { SCENARIO_DIR } from './helpers/scenarios.js';
import { assertMatchesSchema } from './helpers/schema.js';

/** The broker's known capacity, messages/s. */
const R = 3000;
const LEVEL = ['--warmup', '300ms', '--step-duration', '1s', '--drain', '2s', '--qos', '0'];

let broker: BundledBroker;
const dirs: string[] = [];

before(async () => {
  broker = await startBundledBroker({ transports: ['tcp'], rateLimit: R });
});
after(async () => {
  await broker.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function outDir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

async function search(args: string[], env?: NodeJS.ProcessEnv, level = LEVEL): Promise<{ r: CliResult; doc: ResultDocument; c: CapacitySection; file: string; out: string }> {
  const out = await outDir();
  const r = await runCli(['capacity', '--target', broker.url as string, ...level, '--out', out, ...args], { timeoutMs: 90_000, ...(env ? { env } : {}) });
  const { doc, file } = await readOnlyResult(out);
  assert.ok(doc.capacity !== undefined, `no capacity section; stderr:\n${r.stderr}`);
  return { r, doc, c: doc.capacity, file, out };
}

/**
 * A search that ended on the generator's limit says nothing about the broker: the test cannot
 * judge it, and says so (a level that saturated once and held when run again is fine).
 */
function assertGeneratorHeld(c: CapacitySection, stderr: string): void {
  const sat = c.levels.filter((l) => l.verdict === 'saturated');
  assert.notEqual(c.end, 'generator', `the load generator was the limit (${sat.map((l) => `${l.level}/s: ${l.why}`).join('; ')}): this machine is too loaded for the search to reach the broker's limit of ${R}/s; stderr:\n${stderr}`);
}

/** The levels the search judged: a saturated run followed by a second run of the level is left out. */
const judged = (c: CapacitySection): CapacitySection['levels'] => c.levels.filter((l) => l.verdict !== 'saturated');

describe('mqbench capacity against a broker that handles 3,000 msg/s', () => {
  test('the search reports the limit within 10%, names the condition that failed first, and every level is a phase', async () => {
    const started = Date.now();
    const { r, doc, c, file, out } = await search(['--from', '1000', '--to', '12000', '--step', 'x2', '--precision', '5%', '--confirm', '1', '--slo', 'mqtt.e2e.p99 < 5s']);
    const took = (Date.now() - started) / 1000;
    assertGeneratorHeld(c, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(c.end, 'found');
    assert.ok(c.answer !== null && Math.abs(c.answer - R) <= 0.1 * R, `capacity ${c.answer}/s, expected ${R}/s +-10%; levels ${c.levels.map((l) => `${l.level}:${l.verdict}`).join(' ')}`);
    assert.equal(c.lowerBound, false);
    assert.ok(c.firstFail !== null);
    assert.equal(c.firstFail.condition, 'received-rate', c.firstFail.message);
    assert.match(c.firstFail.message, /received [\d,]+\/s, below 95% of the [\d,]+\/s expected/);
    // Coarse x2 up to the first failure, then binary steps, then the confirmation.
    assert.deepEqual(judged(c).slice(0, 3).map((l) => [l.level, l.kind, l.verdict]), [
      [1000, 'coarse', 'pass'],
      [2000, 'coarse', 'pass'],
      [4000, 'coarse', 'fail'],
    ]);
    assert.ok(c.levels.some((l) => l.kind === 'binary'));
    assert.equal(c.levels.at(-1)?.kind, 'confirm');
    assert.equal(c.levels.at(-1)?.level, c.answer);
    assert.ok(c.bracket.low !== null && c.bracket.high !== null && (c.bracket.high - c.bracket.low) / c.bracket.low <= 0.05);
    // Achieved stays at the limit past it: the broker, not the offered load, sets what is delivered.
    const over = c.levels.find((l) => l.level === 4000);
    assert.ok(over !== undefined && over.receivedRate < 0.9 * 4000 && over.receivedRate > 0.8 * R, `at 4000/s offered: received ${over?.receivedRate}/s`);
    assert.deepEqual(doc.phases.map((p) => p.name), c.levels.map((l) => l.phase));
    assert.match(c.levels[0]?.phase ?? '', /^mqtt-tcp-qos0-rate1000(-again)?$/);
    assert.equal(doc.verdict.passed, true);
    assertMatchesSchema(doc);
    assert.match(r.stdout, /capacity search: rate from 1,000 to 12,000 msg\/s/);
    assert.match(r.stdout, /capacity [\d,]+ msg\/s: the highest level that held/);
    assert.ok(took < 60, `the search took ${took}s`);
    process.stderr.write(`# capacity found ${c.answer}/s (limit ${R}/s) in ${c.durationSeconds}s over ${c.levels.length} levels\n`);

    // `mqbench report` renders the capacity result again: terminal, Markdown, HTML with its charts.
    const term = await runCli(['report', file], { timeoutMs: 30_000 });
    assert.equal(term.code, 0, term.stderr);
    assert.match(term.stdout, /capacity [\d,]+ msg\/s: the highest level that held/);
    const rendered = await runCli(['report', file, '--format', 'html,md', '--out', out], { timeoutMs: 30_000 });
    assert.equal(rendered.code, 0, rendered.stderr);
    const html = await readFile(file.replace(/\.json$/, '.html').replace(/^.*\//, `${out}/`), 'utf8');
    assert.match(html, /id="fig-capacity-throughput"/);
    assert.match(html, /id="fig-capacity-latency"/);
    assert.match(html, /knee [\d,]+/);
    assert.match(html, /SLO mqtt\.e2e\.p99 &lt; 5s/);
    const md = await readFile(file.replace(/\.json$/, '.md').replace(/^.*\//, `${out}/`), 'utf8');
    assert.match(md, /### Capacity \(rate\): ✅ capacity [\d,]+ msg\/s/);
    assert.match(md, /\| 4,000 msg\/s \| coarse \|/);
  });

  test('a target that holds at --to: the answer is --to, exit 0', async () => {
    const { r, c } = await search(['--from', '500', '--to', '1000', '--confirm', '0']);
    assertGeneratorHeld(c, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(c.end, 'reached-to');
    assert.equal(c.answer, 1000);
    assert.equal(c.firstFail, null);
    assert.match(r.stdout, /capacity at least 1,000 msg\/s: every level up to --to held/);
  });

  test('a target that fails already at --from: exit 1, no answer, the failing condition named', async () => {
    const { r, c, doc } = await search(['--from', '6000', '--to', '12000', '--confirm', '0']);
    assertGeneratorHeld(c, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(c.end, 'from-failed');
    assert.equal(c.answer, null);
    assert.equal(judged(c).length, 1);
    assert.equal(c.firstFail?.level, 6000);
    assert.equal(c.firstFail?.condition, 'received-rate');
    assert.equal(doc.verdict.passed, false);
    assert.match(r.stdout, /no capacity found: even --from 6,000 msg\/s failed/);
  });

  test('a generator that is the limit (each send costs 1ms of CPU: at most 1,000/s) stops the search with a lower bound, exit 3', async () => {
    const { r, c } = await search(['--from', '400', '--to', '2800', '--confirm', '0', '--workers', '1'], { [SEND_COST_ENV]: '1000' });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(c.end, 'generator', c.summary);
    assert.equal(c.lowerBound, true);
    const sat = c.levels.find((l) => l.verdict === 'saturated' && l.level === c.saturatedAt);
    assert.ok(sat !== undefined, `no saturated level at ${c.saturatedAt}`);
    assert.match(sat.why, /the load generator was the limit/);
    // The generator cannot send 1,600/s: the search never gets past it.
    assert.ok(sat.level <= 1600, `saturated at ${sat.level}`);
    // The saturated level ran twice (once more after the first saturated run) and ended the search; the broker (3,000/s) never failed below it.
    assert.deepEqual(c.levels.slice(-2).map((l) => [l.level, l.verdict]), [
      [sat.level, 'saturated'],
      [sat.level, 'saturated'],
    ]);
    assert.ok(c.levels.every((l) => l.verdict !== 'fail'));
    assert.ok(c.answer === null || c.answer < sat.level);
    assert.match(r.stdout, c.answer === null ? /no capacity measured: the generator was the limit already at/ : /at least [\d,]+ msg\/s: the generator was the limit at [\d,]+ msg\/s .*add workers or shards/);
  });

  test('scenarios/capacity.yaml: its slo: joins --slo and the built-in conditions, and a level fails on an SLO it cannot meet', async () => {
    const file = join(SCENARIO_DIR, 'capacity.yaml');
    // No broker delivers within a microsecond: the first level fails on that SLO, whatever the machine.
    const { r, c, doc } = await search([file, '--from', '500', '--to', '1000', '--confirm', '0', '--slo', 'mqtt.e2e.p50 < 1us'], undefined, ['--warmup', '300ms', '--step-duration', '1s', '--drain', '2s']);
    assertGeneratorHeld(c, r.stderr);
    assert.deepEqual(c.settings.slo, ['mqtt.e2e.p99 < 10ms', 'mqtt.e2e.p50 < 1us'], "the file's slo: and --slo, in that order");
    assert.equal(doc.phases[0]?.params.qos, 1, "the file's QoS");
    assert.equal(doc.phases[0]?.params.rate, 500, '--from sets the first level');
    assert.equal(r.code, 1, `even --from failed: exit 1; ${c.summary}\n${r.stderr}`);
    assert.equal(c.end, 'from-failed');
    assert.equal(c.firstFail?.level, 500);
    const failed = judged(c)[0]?.failures.map((f) => f.condition) ?? [];
    assert.ok(failed.includes('mqtt.e2e.p50 < 1us'), `the impossible SLO is among the conditions that failed: ${failed.join(', ')}`);
  });
});

test('an unreachable target: exit 3 within seconds, and still a valid result file saying how far the search got', async () => {
  const out = await outDir();
  const refused = await refusedPort();
  const r = await runCli(['capacity', '--target', `mqtt://127.0.0.1:${refused.port}`, ...LEVEL, '--out', out], { timeoutMs: 30_000 }).finally(() => refused.close());
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /cannot reach mqtt:\/\/127\.0\.0\.1:\d+: refused/);
  const { doc } = await readOnlyResult(out);
  assertMatchesSchema(doc);
  assert.equal(doc.status, 'failed');
  assert.equal(doc.capacity?.end, 'failed');
  assert.deepEqual(doc.capacity?.levels, []);
  assert.equal(doc.verdict.passed, false);
});

test('bad input: every bad flag and SLO is reported at once, exit 2, nothing runs', async () => {
  const out = await outDir();
  const r = await runCli(
    [
      'capacity',
      '--dimension',
      'bandwidth',
      '--from',
      'lots',
      '--step',
      'y3',
      '--precision',
      '150%',
      '--confirm',
      '-1',
      '--min-delivery',
      '120%',
      '--slo',
      'mqtt.e2e.p99 < 20parsecs',
      '--slo',
      'mqtt.latency.p99 < 20ms',
      '--threshold',
      'mqtt.e2e.p99 < 1s',
      '--out',
      out,
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 2, r.stderr);
  for (const where of ['--dimension', '--from', '--step', '--precision', '--confirm', '--min-delivery', '--threshold']) assert.match(r.stderr, new RegExp(`^  ${where}: `, 'm'), `${where} not reported:\n${r.stderr}`);
  assert.match(r.stderr, /--slo: 'mqtt\.e2e\.p99 < 20parsecs': 'parsecs' is not a time unit/);
  assert.match(r.stderr, /--slo: 'latency\.p99' in 'mqtt\.latency\.p99 < 20ms' is not a metric; did you mean .*e2e\.p99/);
  assert.match(r.stderr, /problem\(s\) with the flags, nothing was run/);
  assert.deepEqual(await readdir(out), [], 'nothing written');
  const second = await runCli(['capacity', '--rate', '5k', '--from', '9000', '--to', '100', '--qos', '0,1', '--out', out], { timeoutMs: 30_000 });
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /--rate: the search sets this at every level/);
  assert.match(second.stderr, /--from\/--to: --from 9000 is above --to 100/);
  assert.match(second.stderr, /--qos: a capacity search measures one phase per level; this describes 2/);
  const sharded = await runCli(['capacity', '--shard', '1/2', '--run-id', 'x', '--hdr-log', out, '--out', out], { timeoutMs: 30_000 });
  assert.equal(sharded.code, 2, sharded.stderr);
  assert.match(sharded.stderr, /--shard: not a capacity flag: a search decides each level from the last one, on one machine/);
  assert.match(sharded.stderr, /--hdr-log: not a capacity flag/);
});
