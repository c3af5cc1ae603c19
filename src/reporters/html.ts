/**
 * The HTML report: one self-contained file (inline CSS and script, data embedded as JSON, no
 * request of any kind; a Content-Security-Policy forbids them). Tables are rendered here and
 * read without JavaScript; the script only draws the charts from points computed here.
 */
import type { ResultDocument } from '../metrics/result.js';
import { percentileCharts, timelineChart, type ChartSpec, type TimelineChart } from './curves.js';
import { runSeconds, scenarioName, targets, verdictWord } from './format.js';
import { deliverySection, detailsSection, generatorSection } from './html-health.js';
import { SCRIPT } from './html-script.js';
import { PALETTE, seriesStyle, STYLE } from './html-style.js';
import { baselineSection, gatesSection, phasesSection, protocolComparisonSection } from './html-tables.js';
import { capacityHtmlSection } from './html-capacity.js';
import { esc, section } from './html-util.js';
import { formatBytes } from '../metrics/format.js';

/** JSON for a <script type="application/json">: '<' as \u003c, so no '</script>' or '<!--' can end it early. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function lineSwatch(color: string, dash: string): string {
  return `<svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/></svg>`;
}

function figure(c: ChartSpec): string {
  const legend =
    c.kind === 'percentile'
      ? c.series.map((s, i) => {
          const st = seriesStyle(i);
          return `<li>${lineSwatch(st.color, st.dash)}${esc(s.name)}</li>`;
        })
      : timelineLegend(c);
  const button = c.kind === 'percentile' ? '<button type="button" class="scale" hidden>linear scale</button>' : '';
  return `<figure class="chart" id="fig-${c.id}">
<div class="chart-head"><h3 id="${c.id}-h">${esc(c.title)}</h3>${button}</div>
<svg class="chart-svg" viewBox="0 0 720 340" role="img" aria-labelledby="${c.id}-title" aria-describedby="${c.id}-desc" data-chart="${c.id}"><title id="${c.id}-title">${esc(c.title)}</title><desc id="${c.id}-desc">${esc(c.description)}</desc></svg>
<ul class="legend">${legend.join('')}</ul>
<div class="tooltip" role="status" hidden></div>
</figure>`;
}

function timelineLegend(c: TimelineChart): string[] {
  const items = [`<li>${lineSwatch(seriesStyle(0).color, '')}sent</li>`, `<li>${lineSwatch(seriesStyle(1).color, '7 4')}received</li>`];
  const fills = { ramp: '#ece6f6', warmup: '#fdf0d5', drain: '#e3ecf5' } as const;
  const names = { ramp: 'ramp', warmup: 'warm-up', drain: 'drain' } as const;
  for (const stage of ['ramp', 'warmup', 'drain'] as const) {
    if (c.bands.some((b) => b[2] === stage)) items.push(`<li><span class="band" style="background:${fills[stage]}"></span>${names[stage]} (not counted)</li>`);
  }
  return items;
}

function header(doc: ResultDocument): string {
  const word = verdictWord(doc);
  const secs = runSeconds(doc);
  const e = doc.env;
  const t = targets(doc);
  const meta: Array<[string, string]> = [
    ['status', doc.status],
    ['scenario', scenarioName(doc)],
    [t.length > 1 ? 'targets' : 'target', t.length === 0 ? 'no target reached' : t.join('\n')],
    ['run', `${doc.runId} · ${doc.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}${secs > 0 ? ` · ${secs.toFixed(1)}s` : ''}`],
    ['phases', String(doc.phases.length)],
    ['tool', `mqbench ${doc.tool.version} · Node ${e.node}`],
    ['host', `${e.hostname} · ${e.cpus} CPU(s) · ${formatBytes(e.memoryBytes)}`],
    ['generator', `${doc.sockets.workers} worker(s) · Nagle ${doc.sockets.noDelay ? 'off' : 'on'}`],
  ];
  const dl = meta.map(([k, v]) => `<div${k.startsWith('target') ? ' class="wide"' : ''}><dt>${esc(k)}</dt><dd>${esc(v).replace(/\n/g, '<br>')}</dd></div>`).join('');
  return `<header class="top">
<h1>mqbench report <span class="sub">· ${esc(scenarioName(doc))}</span></h1>
<span class="verdict ${word === 'PASS' ? 'pass' : 'fail'}" role="status">${word === 'PASS' ? '✓' : '✗'} ${word}</span>
<dl class="meta">${dl}</dl>
</header>`;
}

function callouts(doc: ResultDocument): string {
  const out: string[] = [];
  const failures = doc.verdict.failures;
  if (failures.length > 0 || doc.error !== undefined) {
    const items = failures.length > 0 ? failures : [doc.error ?? ''];
    out.push(`<div class="callout bad" role="alert"><strong>${failures.length > 0 ? `${failures.length} failure(s)` : `The run ${esc(doc.status)}`}</strong><ul>${items.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></div>`);
  }
  const saturated = doc.phases.filter((p) => p.generator?.saturated);
  if (saturated.length > 0) {
    const items = saturated.map((p) => `<li>${esc(p.name)}: ${esc(p.generator.reasons.join('; '))}</li>`).join('');
    out.push(`<div class="callout warn"><strong>The load generator was the limit, not the target</strong>: these phases’ figures describe mqbench.<ul>${items}</ul></div>`);
  }
  return out.join('\n');
}

function toc(parts: Array<[string, string]>): string {
  return `<nav class="toc" aria-label="Sections">${parts.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join('')}</nav>`;
}

export function renderHtml(doc: ResultDocument): string {
  const curves = percentileCharts(doc.phases);
  const timelines = doc.phases.map((p, i) => timelineChart(p, i)).filter((c): c is TimelineChart => c !== null);
  const sections: Array<[string, string, string]> = [
    ['capacity', 'Capacity', capacityHtmlSection(doc.capacity)],
    // A capacity search's levels fail gates by design (that is how the knee is found): its table of levels stands in for them.
    ['gates', 'Gates', doc.capacity === undefined ? gatesSection(doc) : ''],
    ['phases', 'Phases', phasesSection(doc)],
    ['comparison', 'Protocol comparison', protocolComparisonSection(doc)],
    ['baseline', 'Baseline', baselineSection(doc)],
    [
      'latency',
      'Latency',
      section(
        'latency',
        'Latency percentiles',
        curves.length > 0 ? `<div class="charts">${curves.map(figure).join('\n')}</div>` : '<p class="note">No latency was recorded.</p>',
        'HdrHistogram percentile curves of the steady window: the further right, the rarer. Hover a chart for values; the button switches the latency axis between log and linear.',
      ),
    ],
    [
      'throughput',
      'Throughput',
      section(
        'throughput',
        'Throughput over time',
        timelines.length > 0 ? `<div class="charts small">${timelines.map(figure).join('\n')}</div>` : '<p class="note">No timeline was recorded.</p>',
      ),
    ],
    ['delivery', 'Delivery', deliverySection(doc)],
    ['generator', 'Generator health', generatorSection(doc)],
    ['details', 'Run details', detailsSection(doc)],
  ];
  const present = sections.filter(([, , html]) => html !== '');
  const data = { palette: PALETTE, charts: [...curves, ...timelines] };
  const title = `mqbench ${verdictWord(doc)} · ${scenarioName(doc)} · run ${doc.runId}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="mqbench ${esc(doc.tool.version)}">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div class="page">
${header(doc)}
${toc(present.map(([id, label]) => [id, label]))}
${callouts(doc)}
<noscript><p class="note">The charts are drawn by the page's inline script; the tables read without it.</p></noscript>
<main>
${present.map(([, , html]) => html).join('\n')}
</main>
<footer>Generated by mqbench ${esc(doc.tool.version)} from run ${esc(doc.runId)}. Latencies in microseconds (us, µs on the charts) and milliseconds (ms); figures from the steady window unless a table says otherwise.</footer>
</div>
<script type="application/json" id="mqbench-data">${embedJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
