/**
 * The pure parts of `mqbench capacity` around the search: flag parsing and validation (all
 * problems at once), the scenario at a level, the conditions a level is judged by, the noise rule
 * for confirmations, the result section and its reports. No sockets.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parsePrecision, parseShare, parseStep, readCapacityFlags, resolveCapacity } from '../src/cli/capacity-flags.js';
import { judgeConfirmation } from '../src/gates/confirm.js';
import { withCapacityVerdict } from '../src/coordinator/capacity.js';
import { judgeLevel } from '../src/gates/capacity-conditions.js';
import type { Threshold } from '../src/config/model.js';
import { parseThreshold } from '../src/gates/threshold.js';
import { scenarioAtLevel } from '../src/plan/capacity-level.js';
import { renderHtml } from '../src/reporters/html.js';
import { renderMarkdown } from '../src/reporters/markdown.js';
import { renderSummary } from '../src/reporters/terminal.js';
import { capacityLevel, capacitySection } from '../src/metrics/capacity.js';
import type { PhaseResult } from '../src/metrics/result.js';
import type { CapacitySection } from '../src/metrics/capacity-result.js';
import { group, openGroup, scenario } from './helpers/fixtures.js';
import { document, gate, phase } from './helpers/report-docs.js';
import { assertMatchesSchema } from './helpers/schema.js';

function slo(text: string): Threshold {
  const r = parseThreshold(text, 'flag');
  if (!r.ok) throw new Error(r.error);
  return r.threshold;
}

describe('capacity flags', () => {
  test('steps, precisions and shares', () => {
    assert.deepEqual(parseStep('x2', 'rate'), { ok: true, value: { kind: 'factor', by: 2 } });
    assert.deepEqual(parseStep('+500', 'rate'), { ok: true, value: { kind: 'linear', by: 500 } });
    assert.deepEqual(parseStep('1k/s', 'rate'), { ok: true, value: { kind: 'linear', by: 1000 } });
    assert.deepEqual(parseStep('10', 'publishers'), { ok: true, value: { kind: 'linear', by: 10 } });
    assert.equal(parseStep('x1', 'rate').ok, false);
    assert.equal(parseStep('2.5', 'publishers').ok, false);
    assert.deepEqual(parsePrecision('5%', 'rate'), { ok: true, value: { kind: 'relative', fraction: 0.05 } });
    assert.deepEqual(parsePrecision('100/s', 'rate'), { ok: true, value: { kind: 'absolute', by: 100 } });
    assert.equal(parsePrecision('0%', 'rate').ok, false);
    assert.deepEqual(parseShare('95%'), { ok: true, value: 0.95 });
    assert.deepEqual(parseShare('0.9'), { ok: true, value: 0.9 });
    assert.equal(parseShare('95').ok, false);
  });

  test('defaults per dimension', () => {
    const r = readCapacityFlags({ dimension: 'publishers' });
    assert.ok('flags' in r);
    assert.deepEqual(r.flags.search, { from: 1, to: 10_000, step: { kind: 'factor', by: 2 }, precision: { kind: 'relative', fraction: 0.05 }, confirm: 1 });
    assert.equal(r.flags.minDelivery, 0.95);
  });

  test('every problem at once: search flags, SLOs, run-only flags, the dimension\'s own flag, more than one phase', () => {
    const r = resolveCapacity(undefined, { rate: '5k', threshold: 'mqtt.e2e.p99 < 1s', repeat: '3', qos: '0,1' }, { from: '0', step: 'x0.5', slo: ['mqtt.e2e.p99 < 1 furlong', 'nonsense'], confirm: '11' }, false);
    assert.ok('issues' in r);
    const where = r.issues.map((i) => i.where);
    for (const w of ['--from', '--step', '--confirm', '--slo', '--threshold', '--repeat', '--rate']) assert.ok(where.includes(w), `${w} missing: ${JSON.stringify(r.issues)}`);
    assert.equal(where.filter((w) => w === '--slo').length, 2);
  });

  test('a valid plan: flags alone, QoS 1 by default, SLO scopes checked against the phase', () => {
    const r = resolveCapacity(undefined, { publishers: '2', subscribers: '3', warmup: '1s' }, { from: '2k', to: '8k', slo: ['mqtt.e2e.p99 < 20ms'], stepDuration: '3s' }, false);
    assert.ok('plan' in r, JSON.stringify('issues' in r ? r.issues : null));
    assert.equal(r.plan.scenario.cells.length, 1);
    assert.equal(r.plan.scenario.groups.find((g) => g.role === 'publish')?.qos, 1);
    assert.deepEqual(r.plan.settings, { from: 2000, to: 8000, step: 'x2', precision: '5%', confirm: 1, minDelivery: 0.95, warmupSeconds: 1, stepSeconds: 3, slo: ['mqtt.e2e.p99 < 20ms'] });
    const wrongScope = resolveCapacity(undefined, {}, { slo: ['ws.e2e.p99 < 20ms'] }, false);
    assert.ok('issues' in wrongScope && wrongScope.issues.some((i) => i.where === '--slo' && /selects no phase/.test(i.message)));
  });

  test("a file's thresholds: are not the search's SLO, and the search says so (not silently dropped)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mqbench-capacity-'));
    try {
      const file = join(dir, 'gated.yaml');
      await writeFile(file, ['name: gated', 'defaults: { qos: 1 }', 'groups:', '  - { name: p, role: publish, clients: 1, rate: 100/s }', '  - { name: s, role: subscribe, clients: 1 }', 'thresholds:', '  - mqtt.e2e.p99 < 50ms', 'slo:', '  - mqtt.e2e.p99 < 20ms'].join('\n'));
      const r = resolveCapacity(file, {}, { from: '100', to: '200' }, false);
      assert.ok('plan' in r, JSON.stringify('issues' in r ? r.issues : null));
      assert.deepEqual(r.plan.settings.slo, ['mqtt.e2e.p99 < 20ms'], 'the SLO is slo: alone');
      assert.equal(r.plan.scenario.thresholds.length, 0);
      assert.equal(r.notes.length, 1);
      assert.match(r.notes[0] ?? '', /thresholds: \(mqtt\.e2e\.p99 < 50ms\) gate `mqbench run`; a capacity search is judged by slo: and --slo only/);
      const none = resolveCapacity(undefined, {}, { slo: ['mqtt.e2e.p99 < 20ms'] }, false);
      assert.ok('plan' in none);
      assert.deepEqual(none.notes, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the scenario at a level', () => {
  const base = scenario([openGroup('pubs', 'publish', 100, { clients: 2 }), openGroup('more', 'publish', 300), group('subs', 'subscribe', { clients: 4 })]);

  test('rate: shared over the publishing groups in proportion to their rates', () => {
    const s = scenarioAtLevel(base, 'rate', 2000);
    assert.deepEqual(s.groups.map((g) => g.rate), [500, 1500, null]);
    assert.equal(base.groups[0]?.rate, 100, 'the base is not changed');
  });

  test('rate: a closed-model group becomes open', () => {
    const s = scenarioAtLevel(scenario([group('p', 'publish', { clients: 4 }), group('s', 'subscribe')]), 'rate', 1000);
    assert.equal(s.groups[0]?.rate, 1000);
    assert.equal(s.groups[0]?.inflight, null);
  });

  test('publishers keep their rate per client; subscribers and connections are counts', () => {
    const one = scenario([openGroup('p', 'publish', 100, { clients: 2 }), group('s', 'subscribe')]);
    assert.deepEqual(
      scenarioAtLevel(one, 'publishers', 10).groups.map((g) => [g.clients, g.rate]),
      [
        [10, 500],
        [1, null],
      ],
    );
    assert.equal(scenarioAtLevel(one, 'subscribers', 7).groups[1]?.clients, 7);
    const conn = scenarioAtLevel(one, 'connections', 300).groups.at(-1);
    assert.equal(conn?.role, 'connect-only');
    assert.equal(conn?.clients, 300);
  });
});

function levelPhase(name: string, fields: { rate: number; received: number; lost?: number; saturated?: boolean; p99?: number }): PhaseResult {
  const p = phase(name);
  const sent = fields.rate * 2;
  return {
    ...p,
    params: { ...p.params, rate: fields.rate },
    counters: { ...p.counters, sent, expected: sent, received: fields.received * 2, lost: fields.lost ?? 0 },
    rates: { ...p.rates, sentPerSecond: fields.rate, receivedPerSecond: fields.received },
    deliveryFailures: (fields.lost ?? 0) > 0 ? [`${fields.lost} QoS 1 message(s) lost`] : [],
    latency: { ...p.latency, e2e: { ...p.latency.e2e, p99: fields.p99 ?? p.latency.e2e.p99 } },
    generator: fields.saturated ? { ...p.generator, saturated: true, reasons: ['worker 0 sent late: p99 30.0ms behind schedule'] } : p.generator,
  };
}

describe('judging a level', () => {
  const conditions = { slo: [slo('mqtt.e2e.p99 < 50ms')], minDelivery: 0.95 };

  test('passes when everything held', () => {
    const j = judgeLevel(levelPhase('a', { rate: 1000, received: 990, p99: 2000 }), conditions);
    assert.equal(j.verdict, 'pass');
    assert.equal(j.expectedRate, 1000);
  });

  test('the received rate below 95% of expected fails first; loss and the SLO after it', () => {
    const j = judgeLevel(levelPhase('a', { rate: 4000, received: 3000, lost: 5, p99: 900_000 }), conditions);
    assert.equal(j.verdict, 'fail');
    assert.deepEqual(j.failures.map((f) => f.condition), ['received-rate', 'no-loss', 'mqtt.e2e.p99 < 50ms']);
    assert.match(j.why, /^received 3,000\/s, below 95% of the 4,000\/s expected \(75\.0%\); also failed: loss, mqtt\.e2e\.p99 < 50ms$/);
  });

  test('a saturated generator is no verdict on the target', () => {
    const j = judgeLevel(levelPhase('a', { rate: 4000, received: 100, saturated: true }), conditions);
    assert.equal(j.verdict, 'saturated');
    assert.deepEqual(j.failures, []);
    assert.match(j.why, /the load generator was the limit: worker 0 sent late/);
  });
});

describe('confirmations and the noise rule', () => {
  const searched = levelPhase('s', { rate: 3000, received: 3000 });
  test('a confirmation that held agrees', () => {
    assert.equal(judgeConfirmation(searched, searched, []).contradicts, false);
  });
  test('loss is an exact count: any loss where there was none contradicts', () => {
    const c = levelPhase('c', { rate: 3000, received: 3000, lost: 3 });
    const j = judgeConfirmation(searched, c, judgeLevel(c, { slo: [], minDelivery: 0.95 }).failures);
    assert.equal(j.contradicts, true, j.note);
  });
  test('a received rate just under the line, within the tolerance, is noise: the level is at the edge', () => {
    const c = levelPhase('c', { rate: 3000, received: 2840 });
    const failures = judgeLevel(c, { slo: [], minDelivery: 0.95 }).failures;
    assert.equal(failures[0]?.condition, 'received-rate');
    const j = judgeConfirmation(searched, c, failures);
    assert.equal(j.contradicts, false, j.note);
    assert.match(j.note, /within run-to-run noise/);
  });
  test('a phase that failed outright contradicts', () => {
    const c = { ...levelPhase('c', { rate: 3000, received: 0 }), status: 'failed' as const, error: 'clients could not connect' };
    assert.equal(judgeConfirmation(searched, c, judgeLevel(c, { slo: [], minDelivery: 0.95 }).failures).contradicts, true);
  });
});

function section(): { c: CapacitySection; phases: PhaseResult[] } {
  const conditions = { slo: [slo('mqtt.e2e.p99 < 50ms')], minDelivery: 0.95 };
  const runs: Array<[number, number, 'coarse' | 'binary' | 'confirm']> = [
    [1000, 1000, 'coarse'],
    [2000, 2000, 'coarse'],
    [4000, 3000, 'coarse'],
    [3000, 2990, 'binary'],
    [3500, 3000, 'binary'],
    [3000, 2995, 'confirm'],
  ];
  const phases = runs.map(([rate, received, kind], i) => levelPhase(`mqtt-tcp-qos1-rate${rate}${kind === 'confirm' ? '-confirm1' : ''}`, { rate, received, p99: 1000 * (i + 1) }));
  const levels = runs.map(([rate, , kind], i) => capacityLevel('rate', rate, kind, phases[i] as PhaseResult, judgeLevel(phases[i] as PhaseResult, conditions), kind === 'confirm' ? { contradicts: false, note: 'confirmed: held again' } : undefined));
  const c = capacitySection({
    dimension: 'rate',
    settings: { from: 1000, to: 10_000, step: 'x2', precision: '20%', confirm: 1, minDelivery: 0.95, warmupSeconds: 0.3, stepSeconds: 1, slo: ['mqtt.e2e.p99 < 50ms'] },
    levels,
    conclusion: { end: 'found', answer: 3000, firstFail: 3500, lowerBound: false, saturatedAt: null, bracket: { low: 3000, high: 3500 }, steppedDown: [] },
    cutShort: null,
    durationSeconds: 12.34,
  });
  return { c, phases };
}

describe('the capacity section and its reports', () => {
  test('the section: answer, first failure with its condition, the USL fitted to what held', () => {
    const { c } = section();
    assert.equal(c.answer, 3000);
    assert.deepEqual(c.firstFail, { level: 3500, phase: 'mqtt-tcp-qos1-rate3500', condition: 'received-rate', message: 'received 3,000/s, below 95% of the 3,500/s expected (85.7%)' });
    assert.match(c.summary, /^capacity 3,000 msg\/s: the highest level that held; 3,500 msg\/s failed: received 3,000\/s/);
    assert.ok(c.usl !== null && c.usl.points === 3 && /not a measurement/.test(c.usl.note));
    assert.equal(c.durationSeconds, 12.3);
  });

  test('a document with it matches the result schema, and every report renders it', () => {
    const { c, phases } = section();
    const doc = document(phases, { capacity: c });
    assertMatchesSchema(doc);
    const term = renderSummary(doc, 'results/x.json', false);
    assert.match(term, /^level \(msg\/s\) +kind +asked\/s +achieved/m);
    assert.match(term, /^3,500 +binary .* fail +received 3,000\/s, below 95%/m);
    assert.match(term, /USL model \(not a measurement\): sigma/);
    const md = renderMarkdown(doc);
    assert.match(md, /### Capacity \(rate\): ✅ capacity 3,000 msg\/s/);
    assert.match(md, /_Model, not a measurement:_ Universal Scalability Law/);
    assert.doesNotMatch(md, /### Gates/);
    const html = renderHtml(doc);
    assert.match(html, /<section id="capacity"/);
    assert.match(html, /<figure class="chart" id="fig-capacity-throughput">[\s\S]*<polyline[\s\S]*USL model \(fitted, not measured\)/);
    assert.match(html, /id="fig-capacity-latency"[\s\S]*SLO mqtt\.e2e\.p99 &lt; 50ms/);
    assert.match(html, /knee 3,000/);
    assert.match(html, /fail 3,500/);
  });

  test('the verdict is the search\'s; the gates kept are its own and those of the runs at the answer', () => {
    const { c, phases } = section();
    const gates = phases.map((p) => gate(`mqtt.e2e.p99 < 50ms [${p.name}]`, true, { phase: p.name }));
    const doc = withCapacityVerdict(document(phases, { gates: [...gates, gate('run completed', true, { kind: 'run', phase: null })], verdict: { passed: false, failures: ['a level failed'] } }), c);
    assert.deepEqual(doc.verdict, { passed: true, failures: [] });
    assert.deepEqual(
      (doc.gates ?? []).map((g) => g.name),
      ['capacity search (rate)', 'mqtt.e2e.p99 < 50ms [mqtt-tcp-qos1-rate3000]', 'mqtt.e2e.p99 < 50ms [mqtt-tcp-qos1-rate3000-confirm1]', 'run completed'],
    );
    const none = withCapacityVerdict(document(phases), { ...c, end: 'from-failed', answer: null, summary: 'no capacity found' });
    assert.deepEqual(none.verdict, { passed: false, failures: ['no capacity found'] });
  });

  test('a search cut short still says where it stood', () => {
    const { c: full } = section();
    const c = capacitySection({ dimension: 'rate', settings: full.settings, levels: full.levels.slice(0, 3), conclusion: null, cutShort: 'interrupted', durationSeconds: 3 });
    assert.equal(c.end, 'interrupted');
    assert.equal(c.answer, 2000);
    assert.match(c.summary, /search interrupted after 3 level\(s\); the highest level that held so far: 2,000 msg\/s \(not confirmed\)/);
  });
});
