/** Report formats from a flag, and report files written beside the result (temp file + rename). */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseReportFormats, renderReport, reportPath, writeReports, type ReportFormat } from '../src/reporters/write.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { tempDir } from './helpers/cli.js';
import { document, phase } from './helpers/report-docs.js';

describe('parseReportFormats', () => {
  const table: Array<[string, ReturnType<typeof parseReportFormats>]> = [
    ['html', ['html']],
    ['html,md,junit', ['html', 'md', 'junit']],
    [' MD , html ', ['md', 'html']],
    ['markdown', ['md']],
    ['html,html', ['html']],
  ];
  for (const [input, want] of table) test(JSON.stringify(input), () => assert.deepEqual(parseReportFormats(input), want));

  for (const bad of ['pdf', 'html,pdf', '', ' , ']) {
    test(`${JSON.stringify(bad)} is an error naming the valid formats`, () => {
      const r = parseReportFormats(bad);
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /html, md, junit/);
      if (bad.includes('pdf')) assert.match(r.error, /'pdf'/);
    });
  }
});

describe('writeReports', () => {
  test('one file per format beside the result, same base name, no temporary files left', async () => {
    const dir = await tempDir('mqbench-report-');
    try {
      const result = join(dir, 'mqbench-2026-01-02T03-04-05Z-abc123.json');
      const written = await writeReports(document([phase('p1'), phase('p2')]), result, ['html', 'md', 'junit']);
      assert.deepEqual(written, ['.html', '.md', '.junit.xml'].map((ext) => join(dir, `mqbench-2026-01-02T03-04-05Z-abc123${ext}`)));
      assert.deepEqual((await readdir(dir)).sort(), written.map((w) => w.slice(dir.length + 1)).sort());
      assert.match(await readFile(written[0]!, 'utf8'), /^<!DOCTYPE html>/);
      assert.match(await readFile(written[1]!, 'utf8'), /^## ✅ mqbench PASS/);
      assert.match(await readFile(written[2]!, 'utf8'), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('outDir: the files go there, created when missing', async () => {
    const dir = await tempDir('mqbench-report-');
    try {
      const out = join(dir, 'a', 'b');
      const [file] = await writeReports(document([phase('p1')]), '/elsewhere/run.json', ['md'], out);
      assert.equal(file, join(out, 'run.md'));
      assert.equal(reportPath('/x/run.json', 'junit'), '/x/run.junit.xml');
      assert.match(await readFile(file!, 'utf8'), /### Phases/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('results of older versions (no groups, stages, connect stages, wire, gates) render in every format', () => {
  const old = JSON.parse(JSON.stringify(document([phase('q0'), phase('q1')]))) as Record<string, unknown> & { phases: Array<Record<string, unknown>> };
  for (const p of old.phases) {
    delete p['groups'];
    delete p['cell'];
    delete p['wire'];
    delete (p['counters'] as Record<string, unknown>)['disconnects'];
    for (const k of ['connectTcp', 'connectTls', 'connectWs']) delete (p['latency'] as Record<string, unknown>)[k];
    for (const t of p['timeline'] as Array<Record<string, unknown>>) delete t['stage'];
    for (const w of (p['generator'] as { workers: Array<Record<string, unknown>> }).workers) {
      delete w['sendLagP99'];
      delete w['windowStalls'];
    }
  }
  const doc = old as unknown as ResultDocument;
  for (const f of ['html', 'md', 'junit'] as ReportFormat[]) {
    const text = renderReport(doc, f);
    assert.ok(text.includes('q1'), `${f} names the phases`);
  }
  assert.match(renderReport(doc, 'html'), /warm-up \(not counted\)/, 'the warm-up flag still shades the timeline');
});
