/** Markdown for CI summaries: tables, gates, the baseline comparison, escaping, and the size limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mdCell } from '../src/reporters/format.js';
import { MARKDOWN_LIMIT, renderMarkdown } from '../src/reporters/markdown.js';
import type { Comparison, ComparisonRow } from '../src/metrics/result.js';
import { document, gate, phase } from './helpers/report-docs.js';

/** The cells of a table row, split on pipes that are not escaped. */
function cells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The rows (header first, separator dropped) of the table right after `heading`. */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  let i = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(i >= 0, `no ${heading} in:\n${md}`);
  while (i < lines.length && !lines[i]!.startsWith('|')) i++;
  const rows: string[][] = [];
  for (; i < lines.length && lines[i]!.startsWith('|'); i++) if (!/^\|( -+:? \|)+$/.test(lines[i]!)) rows.push(cells(lines[i]!));
  return rows;
}

function row(phaseName: string, metric: string, verdict: ComparisonRow['verdict'], base: number, head: number): ComparisonRow {
  return { phase: phaseName, metric, unit: 'us', better: 'lower', base, head, change: (head - base) / base, verdict, pValue: 0.01, samples: { kind: 'seconds', base: 5, head: 5 }, note: 'why' };
}

const baseline: Comparison = {
  base: { file: 'results/main.json', runId: 'base01', startedAt: '2026-01-01T00:00:00.000Z' },
  head: { file: 'results/head.json', runId: 'abc123', startedAt: '2026-01-02T03:04:05.678Z' },
  maxRegression: 0.1,
  method: 'Welch t-test on per-second figures',
  rows: [row('p1', 'e2e.p50', 'unchanged', 1000, 1010), row('p1', 'e2e.p99', 'regression', 4000, 9800)],
  onlyInBase: ['gone-phase'],
  onlyInHead: [],
  regressions: 1,
};

describe('renderMarkdown', () => {
  test('verdict line, one phase row each, gates with ✅/❌ and the measured value, details closed', () => {
    const doc = document([phase('mqtt-tcp-qos0'), phase('mqtt-tcp-qos1', { deliveryFailures: ['3 QoS 1 message(s) lost'] })], {
      verdict: { passed: false, failures: ['mqtt-tcp-qos1: 3 QoS 1 message(s) lost'] },
      gates: [gate('e2e p99 < 20ms [mqtt-tcp-qos0]', true, { measured: '9.80ms' }), gate('lost == 0 [mqtt-tcp-qos1]', false, { measured: '3', message: 'lost 3 is not == 0' })],
    });
    const md = renderMarkdown(doc);
    assert.match(md.split('\n')[0]!, /^## ❌ mqbench FAIL · test scenario$/);
    assert.match(md, /mqtt-tcp-qos1: 3 QoS 1 message\(s\) lost/);
    const phases = tableAfter(md, '### Phases');
    assert.deepEqual(phases[0], ['phase', 'protocol', 'QoS', 'recv/s', 'p50', 'p99', 'p99.9', 'lost', 'dup']);
    assert.equal(phases.length, 3, 'a header and one row per phase');
    assert.equal(phases[1]![0], 'mqtt-tcp-qos0');
    assert.equal(phases[2]![0], '❌ mqtt-tcp-qos1', 'a phase that failed its delivery check is marked');
    for (const r of phases) assert.equal(r.length, 9);
    const gates = tableAfter(md, '### Gates');
    assert.deepEqual(gates.slice(1).map((r) => [r[0], r[2]]), [['❌', '3'], ['✅', '9.80ms']], 'failed first, each with its measured value');
    assert.equal((md.match(/<details>/g) ?? []).length, 1);
    assert.equal((md.match(/<\/details>/g) ?? []).length, 1);
    assert.ok(md.indexOf('<details>') < md.indexOf('</details>'));
  });

  test('a saturated phase is marked in the phase table, and the warning above says what the mark means', () => {
    const saturated = phase('mqtt-tcp-qos1');
    saturated.generator = { ...saturated.generator, saturated: true, reasons: ['worker 0 sent late: p99 39.3ms behind schedule'] };
    const md = renderMarkdown(document([phase('mqtt-tcp-qos0'), saturated]));
    const phases = tableAfter(md, '### Phases');
    assert.equal(phases[1]![0], 'mqtt-tcp-qos0', 'a phase that did not saturate is not marked');
    assert.equal(phases[2]![0], 'mqtt-tcp-qos1 ⚠️ saturated');
    assert.match(md, /^> ⚠️ \*\*The load generator was the limit, not the target\*\* in mqtt-tcp-qos1 \(marked ⚠️ saturated below\): those figures describe mqbench\.$/m);
  });

  test('a passing run: ✅ PASS, no gates section without gates, no comparison without a baseline', () => {
    const md = renderMarkdown(document([phase('p1')]));
    assert.match(md, /^## ✅ mqbench PASS/);
    assert.doesNotMatch(md, /### Gates/);
    assert.doesNotMatch(md, /baseline/i);
  });

  test('baseline: base, head, change and verdict per row, regressions bold and first', () => {
    const md = renderMarkdown(document([phase('p1')], { baseline }));
    assert.match(md, /\*\*1 regression\(s\)\*\*/);
    const t = tableAfter(md, '### Comparison with the baseline');
    assert.deepEqual(t[0], ['phase', 'metric', 'base', 'head', 'change', 'verdict']);
    assert.deepEqual(t[1], ['**p1**', '**e2e.p99**', '**4.00ms**', '**9.80ms**', '**+145%**', '**regression**']);
    assert.deepEqual(t[2], ['p1', 'e2e.p50', '1.00ms', '1.01ms', '+1%', 'unchanged']);
    assert.match(md, /Only in the base: gone-phase/);
  });

  test('cells escape pipes, markup and line breaks', () => {
    assert.equal(mdCell('a|b'), 'a\\|b');
    assert.equal(mdCell('<script>x</script>'), '\\<script\\>x\\</script\\>');
    assert.equal(mdCell('two\nlines'), 'two lines');
    assert.equal(mdCell('*bold* _it_ `code` [link]'), '\\*bold\\* \\_it\\_ \\`code\\` \\[link\\]');
    const doc = document([phase('weird|name')], { gates: [gate('rate > 1 | p99 < 2ms <b>', false, { measured: 'a|b' })] });
    const md = renderMarkdown(doc);
    const phases = tableAfter(md, '### Phases');
    assert.equal(phases[1]!.length, 9, 'the pipe in the phase name does not add a column');
    assert.equal(phases[1]![0], 'weird\\|name');
    const gates = tableAfter(md, '### Gates');
    assert.equal(gates[1]!.length, 4);
    assert.doesNotMatch(md, /<b>/);
  });

  test('a large matrix stays under the limit, most important rows first, with a note on what was left out', () => {
    const phases = Array.from({ length: 1500 }, (_, i) => phase(`mqtt-tcp-qos1-${i}-${'x'.repeat(20)}`));
    const gates = Array.from({ length: 3000 }, (_, i) => gate(`mqtt.e2e.qos1.p99 < 20ms [phase-${i}]`, i !== 2999, { measured: `${i}us` }));
    const rows = Array.from({ length: 3000 }, (_, i) => row(`phase-${i}`, 'e2e.p99', i === 2998 ? 'regression' : 'unchanged', 1000, 1000 + i));
    const md = renderMarkdown(document(phases, { gates, baseline: { ...baseline, rows, regressions: 1 } }));
    assert.ok(md.length < MARKDOWN_LIMIT, `${md.length} characters`);
    assert.ok(md.length > MARKDOWN_LIMIT - 5000, 'the budget is used, not thrown away');
    assert.match(md, /more row\(s\) not shown/);
    assert.match(md, /Left out to stay under GitHub's limit/);
    const g = tableAfter(md, '### Gates');
    assert.deepEqual(g[1]!.slice(0, 2), ['❌', 'mqtt.e2e.qos1.p99 \\< 20ms [phase-2999]'.replace('[', '\\[').replace(']', '\\]')], 'the failed gate comes first');
    assert.equal((md.match(/<details>/g) ?? []).length, (md.match(/<\/details>/g) ?? []).length, 'details open and closed alike');
  });

  test('maxChars: a smaller budget is kept too', () => {
    const phases = Array.from({ length: 200 }, (_, i) => phase(`p${i}`));
    const md = renderMarkdown(document(phases), { maxChars: 5000 });
    assert.ok(md.length < 5000, `${md.length}`);
    assert.match(md, /not shown/);
  });
});
