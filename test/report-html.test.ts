/**
 * The HTML report of a real run (the quickstart scenario, shortened: MQTT/TCP, MQTT/WebSocket and
 * plain WebSocket against the bundled servers), written by `mqbench report` and opened in headless
 * Chromium: no console error, no page error, no request but the file itself, and every chart drawn.
 * One run and one browser for the whole file. Nothing asserted depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { main } from '../src/cli/main.js';
import { runCommand } from '../src/cli/run-command.js';
import { embedJson, renderHtml } from '../src/reporters/html.js';
import type { Comparison, PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { launchChromium, openPage, type Browser, type PageProblems } from './helpers/chromium.js';
import { readOnlyResult, tempDir } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';

const QUICKSTART = fileURLToPath(new URL('../../scenarios/quickstart.yaml', import.meta.url));


let dir = '';
let resultFile = '';
let doc: ResultDocument;
let browser: Browser | undefined;

before(async () => {
  dir = await tempDir('mqbench-report-html-');
  const out = join(dir, 'results');
  const t = memoryIo();
  const flags = { duration: '1s', warmup: '1s', drain: '2s', workers: '1', out };
  const code = await runCommand(QUICKSTART, flags, ['run', QUICKSTART, '--duration', '1s', '--warmup', '1s', '--drain', '2s', '--workers', '1', '--out', out], t.io);
  assert.equal(code, 0, `the run failed:\n${t.err()}\n${t.out()}`);
  ({ file: resultFile, doc } = await readOnlyResult(out));
  assert.ok(doc.phases.length >= 2, 'the quickstart has several phases');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function assertClean(problems: PageProblems, url: string): void {
  assert.deepEqual(problems.consoleErrors, [], 'console errors');
  assert.deepEqual(problems.pageErrors, [], 'page errors');
  assert.deepEqual(problems.failedRequests, [], 'failed requests');
  assert.deepEqual(problems.dialogs, [], 'dialogs');
  assert.deepEqual(
    problems.requests.filter((r) => r !== url && !r.startsWith('data:')),
    [],
    'the page requests nothing but itself',
  );
}

interface ChartState {
  id: string;
  role: string | null;
  title: string;
  labelledBy: string;
  width: number;
  height: number;
  error: string | null;
  paths: Array<{ d: string; series: string; width: number; height: number }>;
}

/** Each chart's state in the page. Plain JavaScript in a string: the tests compile without the DOM library. */
const CHART_STATES = `Array.from(document.querySelectorAll('figure.chart')).map((fig) => {
  const svg = fig.querySelector('svg.chart-svg');
  const r = svg.getBoundingClientRect();
  const ids = (svg.getAttribute('aria-labelledby') || '').split(' ').filter((s) => s !== '');
  return {
    id: fig.id,
    role: svg.getAttribute('role'),
    title: svg.querySelector('title') ? svg.querySelector('title').textContent : '',
    labelledBy: ids.map((i) => (document.getElementById(i) || {}).textContent || '').join(' '),
    width: r.width,
    height: r.height,
    error: fig.querySelector('.chart-error') ? fig.querySelector('.chart-error').textContent : null,
    paths: Array.from(svg.querySelectorAll('path.series')).map((p) => {
      const b = p.getBBox();
      return { d: p.getAttribute('d') || '', series: p.getAttribute('data-series') || '', width: b.width, height: b.height };
    }),
  };
})`;

function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate(CHART_STATES) as Promise<ChartState[]>;
}

describe('HTML report of a real run', () => {
  let htmlFile = '';

  test('mqbench report --format html,md,junit --out writes the three files and prints their paths', async () => {
    const out = join(dir, 'reports');
    const t = memoryIo();
    const code = await main(['report', resultFile, '--format', 'html,md,junit', '--out', out], t.io);
    assert.equal(code, 0, t.err());
    const base = resultFile.slice(resultFile.lastIndexOf('/') + 1).replace(/\.json$/, '');
    const want = ['.html', '.md', '.junit.xml'].map((ext) => join(out, `${base}${ext}`));
    assert.deepEqual(t.out().trim().split('\n'), want);
    htmlFile = want[0]!;
    const html = await readFile(htmlFile, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resource');
  });

  test('opens in Chromium with no console error, no page error and no request', async () => {
    assert.ok(browser && htmlFile !== '');
    const url = pathToFileURL(htmlFile).href;
    const { page, problems } = await openPage(browser, url);
    try {
      assertClean(problems, url);
      assert.equal(await page.locator('.verdict').innerText(), '✓ PASS');
      assert.match(await page.title(), /mqbench PASS · quickstart/);

      const charts = await chartStates(page);
      // e2e, ack and connect percentile curves, and one throughput chart per phase.
      assert.ok(charts.some((c) => c.id === 'fig-latency-e2e'), 'an e2e percentile chart');
      assert.ok(charts.some((c) => c.id === 'fig-latency-ack'), 'an ack percentile chart (QoS 1 phases)');
      assert.equal(charts.filter((c) => c.id.startsWith('fig-timeline-')).length, doc.phases.length, 'one throughput chart per phase');
      for (const c of charts) {
        assert.equal(c.error, null, `${c.id}: ${c.error}`);
        assert.equal(c.role, 'img', `${c.id} is an image to assistive technology`);
        assert.ok(c.title.length > 10 && c.labelledBy === c.title, `${c.id} has an accessible title: ${c.title}`);
        assert.ok(c.width > 100 && c.height > 50, `${c.id} has a size: ${c.width}x${c.height}`);
        assert.ok(c.paths.length > 0, `${c.id} draws a line`);
        for (const p of c.paths) assert.match(p.d, /^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+$/, `${c.id} ${p.series}: path data`);
        assert.ok(c.paths.some((p) => p.width > 0 && p.height > 0), `${c.id}: a line with a non-zero bounding box`);
      }
      const e2e = charts.find((c) => c.id === 'fig-latency-e2e');
      assert.deepEqual(e2e?.paths.map((p) => p.series), doc.phases.map((p) => p.name), 'one line per phase in the e2e percentile chart');
      for (const c of charts.filter((x) => x.id.startsWith('fig-timeline-'))) assert.deepEqual(c.paths.map((p) => p.series), ['sent', 'received']);

      const comparisonRows = await page.locator('#comparison tbody tr').allInnerTexts();
      assert.equal(comparisonRows.length, doc.phases.length, 'a comparison row per phase');
      for (const [i, p] of doc.phases.entries()) assert.ok(comparisonRows[i]?.startsWith(p.name), comparisonRows[i]);
      assert.equal(await page.locator('#phases tbody tr').count(), doc.phases.length);
      assert.ok((await page.locator('#delivery tbody tr').count()) >= doc.phases.length);
      assert.equal(await page.locator('#generator tbody tr').count(), doc.phases.length);

      // Hovering a chart reads out every series.
      const svg = page.locator('#fig-latency-e2e svg.chart-svg');
      await svg.scrollIntoViewIfNeeded();
      const box = await svg.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      const tip = page.locator('#fig-latency-e2e .tooltip');
      assert.equal(await tip.isVisible(), true);
      for (const p of doc.phases) assert.match(await tip.innerText(), new RegExp(`${p.name}: `));
      // The log/linear switch redraws without an error.
      await page.locator('#fig-latency-e2e button.scale').click();
      assert.equal((await chartStates(page)).find((c) => c.id === 'fig-latency-e2e')?.paths.length, doc.phases.length);
      assertClean(problems, url);
    } finally {
      await page.close();
    }
  });

  test('hostile names, gates, a baseline and no wire figures: escaped, regressions marked, still clean', async () => {
    assert.ok(browser);
    const evil = '</script><script>alert(1)</script><!--';
    const first = doc.phases[0]!;
    const baseline: Comparison = {
      base: { file: 'results/base.json', runId: 'base01', startedAt: doc.startedAt },
      head: { file: resultFile, runId: doc.runId, startedAt: doc.startedAt },
      maxRegression: 0.1,
      method: 'Welch t-test on per-second figures',
      rows: [
        { phase: first.name, metric: 'e2e.p99', unit: 'us', better: 'lower', base: 1000, head: 5000, change: 4, verdict: 'regression', pValue: 0.001, samples: { kind: 'seconds', base: 5, head: 5 }, note: 'slower' },
        { phase: first.name, metric: 'received.rate', unit: '/s', better: 'higher', base: 2000, head: 2001, change: 0.0005, verdict: 'unchanged', pValue: 0.9, samples: { kind: 'seconds', base: 5, head: 5 }, note: 'same' },
      ],
      onlyInBase: [],
      onlyInHead: [],
      regressions: 1,
    };
    const variant: ResultDocument = {
      ...doc,
      scenario: { ...doc.scenario, name: evil },
      phases: doc.phases.map((p, i) => {
        const { wire: _wire, ...rest } = p;
        return i === 1 ? { ...rest, name: `${p.name} ${evil}` } : rest;
      }),
      gates: [
        { kind: 'run', name: 'run completed', phase: null, passed: true, message: 'ok' },
        { kind: 'threshold', name: `e2e p99 < 1ms & "x" ${evil}`, phase: first.name, passed: false, measured: '5.00ms', value: 5000, message: 'too slow' },
      ],
      baseline,
      verdict: { passed: false, failures: [`${first.name}: threshold ${evil}`] },
    };
    const html = renderHtml(variant);
    assert.ok(!html.includes('</script><script>alert(1)'), 'no raw closing script tag from the data');
    const file = join(dir, 'variant.html');
    await writeFile(file, html);
    const url = pathToFileURL(file).href;
    const { page, problems } = await openPage(browser, url);
    try {
      assertClean(problems, url);
      assert.equal(await page.locator('.verdict').innerText(), '✗ FAIL');
      assert.ok((await page.locator('header.top h1').innerText()).includes(evil), 'the name shows as text');
      const charts = await chartStates(page);
      const e2e = charts.find((c) => c.id === 'fig-latency-e2e');
      assert.deepEqual(e2e?.paths.map((p) => p.series), variant.phases.map((p) => p.name), 'the embedded JSON round-trips the names');
      assert.equal(await page.locator('#gates tbody tr.failed').count(), 1);
      assert.match(await page.locator('#gates tbody tr.failed').innerText(), /5\.00ms/);
      assert.equal(await page.locator('#baseline tbody tr.regression').count(), 1);
      assert.match(await page.locator('#baseline tbody tr.regression').innerText(), /e2e\.p99[\s\S]*\+400%[\s\S]*regression/);
      const wire = await page.locator('#comparison tbody tr td:nth-child(8)').allInnerTexts();
      assert.deepEqual(wire, variant.phases.map(() => 'n/a'), 'bytes on the wire read n/a when the result has none');
    } finally {
      await page.close();
    }
  });
});

/**
 * A real result whose phases saturated the generator (test/fixtures/repeats/full-1.json), doctored:
 * mqtt-tcp-qos0 did not saturate; mqtt-tcp-qos1 did, with the best figure of every comparison
 * column, 8 workers and three reasons (wider than the page on one line); a copy of qos0 with worse
 * figures, so a phase that did not saturate is the best of each column.
 */
function saturatedDocument(): ResultDocument {
  const d = JSON.parse(readFileSync(new URL('../../test/fixtures/repeats/full-1.json', import.meta.url), 'utf8')) as ResultDocument;
  const [calm, busy] = d.phases as [PhaseResult, PhaseResult];
  assert.equal(busy.generator.saturated, true, 'the fixture phase saturated');
  calm.generator = { ...calm.generator, saturated: false, reasons: [] };
  busy.rates = { ...busy.rates, receivedPerSecond: 1e6 };
  busy.latency.e2e = { ...busy.latency.e2e, p50: 1, p99: 2 };
  busy.wire = { ...busy.wire!, bytesPerMessage: 1 };
  const worker = busy.generator.workers[0]!;
  busy.generator = {
    ...busy.generator,
    cpuMicrosPerMessage: 1,
    workers: Array.from({ length: 8 }, (_, i) => ({ ...worker, workerIndex: i, cpuPercent: 90 + i })),
    reasons: ['worker 0 sent late: p99 39.3ms behind schedule', 'worker 3 busy 93% of the time (90% or more)', 'sent 80.2% of the asked rate (less than 95%): the generator could not keep up'],
  };
  const worse = structuredClone(calm);
  worse.name = 'mqtt-tcp-qos0-copy';
  worse.rates = { ...worse.rates, receivedPerSecond: calm.rates.receivedPerSecond / 2 };
  worse.latency.e2e = { ...worse.latency.e2e, p50: calm.latency.e2e.p50 * 2, p99: calm.latency.e2e.p99 * 2 };
  worse.wire = { ...worse.wire!, bytesPerMessage: calm.wire!.bytesPerMessage! * 2 };
  worse.generator = { ...worse.generator, cpuMicrosPerMessage: calm.generator.cpuMicrosPerMessage! * 2 };
  d.phases = [calm, busy, worse];
  return d;
}

test('a saturated phase in Chromium: marked in the phase and comparison tables, never bold-best; the generator health table fits the page', async () => {
  assert.ok(browser);
  const file = join(dir, 'saturated.html');
  await writeFile(file, renderHtml(saturatedDocument()));
  const url = pathToFileURL(file).href;
  const { page, problems } = await openPage(browser, url);
  try {
    assertClean(problems, url);
    const rowOf = (section: string, name: string) => page.locator(`#${section} tbody tr`).filter({ has: page.locator('th', { hasText: new RegExp(`^${name}( |$)`) }) });
    for (const section of ['phases', 'comparison']) {
      assert.match(await rowOf(section, 'mqtt-tcp-qos1').locator('th').innerText(), /^mqtt-tcp-qos1 ⚠ saturated$/, `${section}: the saturated phase is marked`);
      for (const calm of ['mqtt-tcp-qos0', 'mqtt-tcp-qos0-copy']) assert.doesNotMatch(await rowOf(section, calm).locator('th').innerText(), /saturated/, `${section}: ${calm} is not`);
    }
    // Best in every column by its figures, yet never bold: the five columns' best is qos0's.
    assert.equal(await rowOf('comparison', 'mqtt-tcp-qos1').locator('strong.best').count(), 0, 'the saturated phase is never shown as best');
    assert.equal(await rowOf('comparison', 'mqtt-tcp-qos0').locator('strong.best').count(), 5, 'the best phase that did not saturate is');
    assert.equal(await page.locator('#comparison strong.best').count(), 5);
    assert.match(await page.locator('#comparison caption').innerText(), /saturated phases are never ranked best: the load generator, not the target, was the limit/);

    // The generator health table fits its container at 1280 px: the reasons and the 8 workers wrap.
    const fit = (await page.evaluate(`(() => {
      const wrap = document.querySelector('#generator .table-wrap');
      return { scroll: wrap.scrollWidth, client: wrap.clientWidth, page: document.documentElement.scrollWidth, viewport: window.innerWidth };
    })()`)) as { scroll: number; client: number; page: number; viewport: number };
    assert.ok(fit.scroll <= fit.client, `the generator health table is ${fit.scroll}px wide in a ${fit.client}px container`);
    assert.ok(fit.page <= fit.viewport, `the page is ${fit.page}px wide in a ${fit.viewport}px window`);
    assert.match(await rowOf('generator', 'mqtt-tcp-qos1').innerText(), /w7 97%/);
  } finally {
    await page.close();
  }
});

test('embedJson: nothing in the data can end the script element', () => {
  const text = embedJson({ a: '</script><!-- \u2028 \u2029 <b>' });
  assert.ok(!text.includes('<'), text);
  assert.deepEqual(JSON.parse(text), { a: '</script><!-- \u2028 \u2029 <b>' });
});
