/**
 * Output a user can find and reports that never mislead: the CSV report parsed back, the block of
 * files written, the terminal summary's saturated phases and closing legend, and the progress
 * line. On a committed real result (test/fixtures/repeats, whose phases saturated the generator)
 * and documents built from it; the CLI through main() with a test Io.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { phaseSecondsLeft } from '../src/coordinator/phase-clock.js';
import { METRICS, metricDef } from '../src/metrics/names.js';
import type { Progress } from '../src/metrics/reports.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { CSV_HEADER, renderCsv } from '../src/reporters/csv.js';
import { renderFilesBlock } from '../src/reporters/files.js';
import { formatSecondsLeft, renderProgress } from '../src/reporters/progress.js';
import { PHASES_LEGEND, renderSummary } from '../src/reporters/terminal.js';
import { tempDir } from './helpers/cli.js';
import { phase as specOf, openGroup } from './helpers/fixtures.js';
import { memoryIo } from './helpers/io.js';

const fixture = (name: string): ResultDocument => JSON.parse(readFileSync(new URL(`../../test/fixtures/repeats/${name}.json`, import.meta.url), 'utf8')) as ResultDocument;

/** RFC 4180, strictly: fields separated by commas, records by CRLF, quoted fields with "" for a quote. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        assert.ok(q >= 0, `unterminated quoted field at ${i}`);
        field += text.slice(i, q);
        i = q + 1;
        if (text[i] !== '"') break;
        field += '"';
        i++;
      }
    } else {
      const end = text.slice(i).search(/[,\r\n"]/);
      field = end < 0 ? text.slice(i) : text.slice(i, i + end);
      i += field.length;
      assert.notEqual(text[i], '"', `a quote inside an unquoted field at ${i}`);
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    assert.equal(text.slice(i, i + 2), '\r\n', `a record ends with CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
    if (i === text.length) return rows;
  }
}

/** full-1.json with phase 0 no longer saturated; phase 1 stays saturated (as the real run measured it). */
function oneSaturated(): ResultDocument {
  const doc = fixture('full-1');
  const first = doc.phases[0]!;
  first.generator = { ...first.generator, saturated: false, reasons: [] };
  assert.equal(doc.phases[1]!.generator.saturated, true, 'the fixture phase saturated');
  return doc;
}

describe('CSV report', () => {
  test('one row per phase and metric (names.ts), values read back exactly, empty where nothing was measured', () => {
    const doc = fixture('full-1');
    doc.phases[1]!.counters.errors = { timeout: 2, closed: 1 };
    const rows = parseCsv(renderCsv(doc));
    assert.deepEqual(rows[0], [...CSV_HEADER]);
    const body = rows.slice(1);
    const want = doc.phases.flatMap((p) => [...METRICS.map((d) => d.name), ...Object.keys(p.counters.errors).sort().map((k) => `errors.${k}`)].map((m) => [p.name, m]));
    assert.deepEqual(body.map((r) => [r[0], r[1]]), want, 'every phase x metric, in order');
    for (const [name, metric, unit, value] of body) {
      const p = doc.phases.find((x) => x.name === name)!;
      const def = metricDef(metric!)!;
      assert.equal(unit, def.unit, metric);
      const v = def.get(p);
      if (v === null) assert.equal(value, '', `${name} ${metric}: not measured reads empty, not 0`);
      else if (def.unit === 'bool') assert.equal(value, String(v !== 0));
      else assert.equal(Number(value), v, `${name} ${metric}`);
    }
    const cell = (phase: string, metric: string): string | undefined => body.find((r) => r[0] === phase && r[1] === metric)?.[3];
    assert.equal(cell('mqtt-tcp-qos0', 'ack.p99'), '', 'QoS 0 has no acknowledgement latency');
    assert.equal(cell('mqtt-tcp-qos1', 'errors.timeout'), '2');
    assert.equal(cell('mqtt-tcp-qos1', 'generator.saturated'), 'true');
  });

  test('names with commas, quotes and line breaks are quoted and read back as written', () => {
    const doc = fixture('full-1');
    const hostile = ['a,b', 'say "hi"', 'two\nlines', ' padded ', '=1+1'];
    doc.phases = hostile.map((name, i) => ({ ...structuredClone(doc.phases[i % 2]!), name }));
    const rows = parseCsv(renderCsv(doc));
    assert.deepEqual([...new Set(rows.slice(1).map((r) => r[0]))], hostile);
    assert.ok(rows.every((r) => r.length === 4), 'four fields in every record');
  });

  test('mqbench report --format csv: the file beside the result, its path on stdout, the files block on stderr', async () => {
    const dir = await tempDir('mqbench-csv-');
    try {
      const file = join(dir, 'mqbench-2026-01-02T03-04-05Z-bd7491.json');
      await writeFile(file, JSON.stringify(fixture('full-1')));
      const t = memoryIo();
      const code = await main(['report', file, '--format', 'csv,html'], t.io);
      assert.equal(code, 0, t.err());
      const csv = file.replace(/\.json$/, '.csv');
      const html = file.replace(/\.json$/, '.html');
      assert.equal(t.out(), `${csv}\n${html}\n`);
      assert.equal(t.err(), `files written (2):\n  csv   ${csv}\n  html  ${html}\n`);
      assert.equal(parseCsv(await readFile(csv, 'utf8')).length, 1 + 2 * METRICS.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('the files block: every file with what it is, and what could not be written', () => {
  assert.equal(
    renderFilesBlock([
      { what: 'result', path: 'results/r.json' },
      { what: 'latest', path: 'results/latest.json', note: '(a copy of the result)' },
      { what: 'md', path: 'results/r.md' },
    ]),
    'files written (3):\n  result  results/r.json\n  latest  results/latest.json (a copy of the result)\n  md      results/r.md\n',
  );
  assert.equal(renderFilesBlock([], ['the result']), 'files written: none\nnot written: the result (see the error above)\n');
});

describe('terminal summary', () => {
  test('a saturated phase is marked in the phase table; the summary ends with the legend', () => {
    const text = renderSummary(oneSaturated(), 'results/r.json', false);
    const lines = text.trimEnd().split('\n');
    const row = (name: string): string | undefined => lines.find((l) => l.startsWith(`${name} `));
    assert.match(row('mqtt-tcp-qos1') ?? '', /^mqtt-tcp-qos1 \(saturated\) /);
    assert.doesNotMatch(row('mqtt-tcp-qos0') ?? '', /saturated/);
    assert.equal(lines.at(-1), PHASES_LEGEND, 'the last line is the legend');
    assert.equal(lines.filter((l) => l.startsWith('legend: ')).length, 1, 'one line');
  });

  test('the legend explains every abbreviation the summary prints', () => {
    const text = renderSummary(oneSaturated(), 'results/r.json', false);
    const header = text.split('\n').find((l) => l.startsWith('phase '))!.split(/\s{2,}/).slice(1);
    // Column heads, and the short words of the lines under the table.
    const under = ['saturated', 'w0', 'busy', 'loop', 'wire', 'cpu', 'us/msg', 'tcp'];
    for (const word of under) assert.ok(new RegExp(`\\b${word}\\b`).test(text), `the summary prints '${word}'`);
    const used = [...header.flatMap((h) => h.split(' ')), ...under];
    for (const word of ['ooo', 'dup']) assert.ok(used.includes(word), `${word} is a column`);
    const known = new Set(['phase', 'lost', 'errors', 'max', 'p50', 'p90', 'p99', 'p99.9']);
    for (const word of used.filter((w) => !known.has(w))) {
      assert.ok(new RegExp(`(^|[ ·/])${word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[ /]`).test(PHASES_LEGEND.slice('legend:'.length)), `the legend explains '${word}'`);
    }
  });
});

describe('progress line', () => {
  const base: Progress = { phase: 'mqtt-ws-qos1', stage: 'steady', elapsed: 3.2, length: 5, sentPerSecond: 500, receivedPerSecond: 2000, p99: 1200, lost: 3, errors: 1 };

  test('phase i/N, the stage, time left for the run, rates, p99, live lost and errors', () => {
    assert.equal(renderProgress({ ...base, index: 2, count: 3, leftSeconds: 14.2 }), 'phase 2/3 mqtt-ws-qos1 steady 3/5s · 15s left · sent 500/s recv 2,000/s p99 1.20ms · lost 3 errors 1');
    // A capacity search does not know how many levels it will run.
    assert.equal(renderProgress({ ...base, p99: 0, lost: 0, errors: 0 }), 'mqtt-ws-qos1 steady 3/5s · sent 500/s recv 2,000/s p99 - · lost 0 errors 0');
  });

  test('time left reads in s, m and h, rounded up', () => {
    for (const [s, text] of [
      [0, '0s'],
      [0.2, '1s'],
      [59, '59s'],
      [60, '1m00s'],
      [185, '3m05s'],
      [3720, '1h02m'],
    ] as const) {
      assert.equal(formatSecondsLeft(s), text, String(s));
    }
  });

  test("a phase's planned seconds left: the rest of its stage, the stages after it and the drain", () => {
    // 2 s ramp, 1 s warm-up, 5 s steady, 3 s drain.
    const spec = { ...specOf([openGroup('p', 'publish', 100)]), rampMs: 2000, warmupMs: 1000, durationMs: 5000, drainMs: 3000 };
    assert.equal(phaseSecondsLeft(spec, 'ramp', 0.5, 2), 1.5 + 1 + 5 + 3);
    assert.equal(phaseSecondsLeft(spec, 'warmup', 1, 1), 0 + 5 + 3);
    assert.equal(phaseSecondsLeft(spec, 'steady', 2, 5), 3 + 3);
    assert.equal(phaseSecondsLeft(spec, 'drain', 1, 3), 2);
    assert.equal(phaseSecondsLeft(spec, 'drain', 4, 3), 0, 'never below 0');
  });
});
