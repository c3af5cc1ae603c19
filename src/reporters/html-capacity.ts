/**
 * The HTML report's capacity section: the levels as a table and two charts drawn here as inline
 * SVG (no script needed, nothing loaded): achieved against offered level with the fitted USL
 * curve (labelled a model) and the ideal line, and p50/p99 latency against level with the SLO
 * line; the knee (the answer) and the first failure are marked on both.
 */
import { parseThreshold } from '../gates/threshold.js';
import { uslThroughput } from '../metrics/usl.js';
import { formatLevel, levelMark } from '../metrics/capacity.js';
import type { CapacityLevel, CapacitySection } from '../metrics/capacity-result.js';
import { seriesStyle } from './html-style.js';
import { esc, section, table } from './html-util.js';
import { formatMicros } from '../metrics/format.js';

const W = 720;
const H = 340;
const M = { l: 70, r: 20, t: 16, b: 46 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;

interface Scale {
  lo: number;
  hi: number;
  ticks: number[];
}

/** Round ticks from 0 to a little above max. */
export function niceScale(max: number): Scale {
  const top = max > 0 ? max : 1;
  const raw = top / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag) as number;
  const hi = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= hi + step / 2; v += step) ticks.push(Math.round(v * 1e9) / 1e9);
  return { lo: 0, hi, ticks };
}

const px = (v: number, s: Scale): number => M.l + ((v - s.lo) / (s.hi - s.lo)) * PW;
const py = (v: number, s: Scale): number => M.t + PH - ((v - s.lo) / (s.hi - s.lo)) * PH;
const f1 = (v: number): string => v.toFixed(1);
const count = (v: number): string => Math.round(v).toLocaleString('en-US');

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, yFmt: (v: number) => string): string {
  const out: string[] = [];
  for (const t of y.ticks) out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${f1(py(t, y))}" y2="${f1(py(t, y))}" stroke="#eaeef2"/><text x="${M.l - 6}" y="${f1(py(t, y) + 4)}" text-anchor="end" font-size="11" fill="#59636e">${esc(yFmt(t))}</text>`);
  for (const t of x.ticks) out.push(`<text x="${f1(px(t, x))}" y="${H - M.b + 16}" text-anchor="middle" font-size="11" fill="#59636e">${esc(count(t))}</text>`);
  out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${M.t + PH}" y2="${M.t + PH}" stroke="#59636e"/><line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${M.t + PH}" stroke="#59636e"/>`);
  out.push(`<text x="${M.l + PW / 2}" y="${H - 8}" text-anchor="middle" font-size="12" fill="#1f2328">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${M.t + PH / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#1f2328">${esc(yLabel)}</text>`);
  return out.join('');
}

/** Vertical markers: the knee (the answer) and the first level that failed. */
function markers(c: CapacitySection, x: Scale): string {
  const out: string[] = [];
  // The knee's label to the left of its line, the failure's to the right: the two lines are often close.
  const mark = (v: number, color: string, dash: string, label: string, left: boolean): void => {
    const X = f1(px(v, x));
    out.push(`<line x1="${X}" x2="${X}" y1="${M.t}" y2="${M.t + PH}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${dash}"/><text x="${X}" y="${M.t + 11}" dx="${left ? -4 : 4}" text-anchor="${left ? 'end' : 'start'}" font-size="11" fill="${color}">${esc(label)}</text>`);
  };
  if (c.answer !== null) mark(c.answer, '#0f7b3f', '5 3', `${c.lowerBound ? 'at least ' : 'knee '}${count(c.answer)}`, true);
  if (c.firstFail !== null) mark(c.firstFail.level, '#b3261e', '2 3', `fail ${count(c.firstFail.level)}`, false);
  else if (c.saturatedAt !== null) mark(c.saturatedAt, '#8a5a00', '2 3', `generator ${count(c.saturatedAt)}`, false);
  return out.join('');
}

function dot(l: CapacityLevel, cx: number, cy: number, color: string): string {
  const tip = `<title>${esc(`${l.kind} ${count(l.level)}: ${levelMark(l)} · ${l.why}`)}</title>`;
  if (l.verdict === 'saturated') return `<circle cx="${f1(cx)}" cy="${f1(cy)}" r="5" fill="#fff" stroke="#8a5a00" stroke-width="2">${tip}</circle>`;
  if (l.verdict === 'fail') return `<g stroke="#b3261e" stroke-width="2.5"><line x1="${f1(cx - 5)}" y1="${f1(cy - 5)}" x2="${f1(cx + 5)}" y2="${f1(cy + 5)}"/><line x1="${f1(cx - 5)}" y1="${f1(cy + 5)}" x2="${f1(cx + 5)}" y2="${f1(cy - 5)}"/>${tip}</g>`;
  return `<circle cx="${f1(cx)}" cy="${f1(cy)}" r="4.5" fill="${color}">${tip}</circle>`;
}

function svg(id: string, title: string, description: string, body: string, legend: string[]): string {
  return `<figure class="chart" id="fig-${id}">
<div class="chart-head"><h3 id="${id}-h">${esc(title)}</h3></div>
<svg class="chart-svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"><title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(description)}</desc>${body}</svg>
<ul class="legend">${legend.map((l) => `<li>${l}</li>`).join('')}</ul>
</figure>`;
}

function swatch(color: string, dash: string): string {
  return `<svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/></svg>`;
}

/** Achieved against level: the points, the ideal (achieved = offered, rate only), the USL model. */
export function throughputChart(c: CapacitySection): string {
  const levels = c.levels;
  const maxX = Math.max(...levels.map((l) => l.level), c.answer ?? 0);
  const maxY = Math.max(...levels.map((l) => l.achieved), c.dimension === 'rate' ? maxX : 0);
  const x = niceScale(maxX);
  const y = niceScale(maxY);
  const main = seriesStyle(0);
  const model = seriesStyle(1);
  const parts = [axes(x, y, `level (${c.unit})`, c.dimension === 'rate' ? 'achieved (msg/s delivered per message offered)' : 'achieved (msg/s)', count)];
  const legend = [`${swatch(main.color, '')}achieved (measured)`];
  if (c.dimension === 'rate') {
    parts.push(`<line x1="${px(0, x)}" y1="${py(0, y)}" x2="${f1(px(Math.min(x.hi, y.hi), x))}" y2="${f1(py(Math.min(x.hi, y.hi), y))}" stroke="#8c959f" stroke-dasharray="4 4"/>`);
    legend.push(`${swatch('#8c959f', '4 4')}ideal: achieved = offered`);
  }
  const u = c.usl;
  if (u !== null) {
    const pts: string[] = [];
    for (let i = 0; i <= 80; i++) {
      const n = Math.max(1, (x.hi * i) / 80);
      const v = uslThroughput(n, u);
      if (Number.isFinite(v)) pts.push(`${f1(px(n, x))},${f1(py(Math.min(v, y.hi), y))}`);
    }
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${model.color}" stroke-width="2" stroke-dasharray="7 4"/>`);
    legend.push(`${swatch(model.color, '7 4')}USL model (fitted, not measured): σ ${u.sigma.toPrecision(3)}, κ ${u.kappa.toPrecision(3)}, λ ${u.lambda.toPrecision(4)}, R² ${u.rSquared.toFixed(3)}`);
  }
  parts.push(markers(c, x));
  for (const l of levels) parts.push(dot(l, px(l.level, x), py(l.achieved, y), main.color));
  legend.push('✕ failed level · ○ generator saturated');
  return svg('capacity-throughput', 'Achieved against offered level', `Capacity search over ${c.dimension}: achieved throughput at each level, ${c.usl === null ? 'no model (fewer than 3 levels held)' : 'with the Universal Scalability Law fitted to the levels that held'}; the knee and the first failing level are marked.`, parts.join(''), legend);
}

/** The SLO bounds on e2e p50/p99 (microseconds), to draw as horizontal lines. */
export function latencySloLines(c: CapacitySection): Array<{ label: string; value: number }> {
  const out: Array<{ label: string; value: number }> = [];
  for (const text of c.settings.slo) {
    const t = parseThreshold(text, 'flag');
    if (t.ok && (t.threshold.metric === 'e2e.p99' || t.threshold.metric === 'e2e.p50') && (t.threshold.op === '<' || t.threshold.op === '<=')) out.push({ label: `SLO ${t.threshold.expression}`, value: t.threshold.value });
  }
  return out;
}

/** p50 and p99 against level, the SLO line, the knee. */
export function latencyChart(c: CapacitySection): string {
  const levels = [...c.levels].filter((l) => l.p99 !== null).sort((a, b) => a.level - b.level);
  if (levels.length === 0) return '';
  const slo = latencySloLines(c);
  const x = niceScale(Math.max(...c.levels.map((l) => l.level)));
  const y = niceScale(Math.max(...levels.map((l) => l.p99 ?? 0), ...slo.map((s) => s.value)));
  const parts = [axes(x, y, `level (${c.unit})`, 'end-to-end latency', formatMicros)];
  const legend: string[] = [];
  (['p50', 'p99'] as const).forEach((k, i) => {
    const st = seriesStyle(i === 0 ? 2 : 4);
    const pts = levels.map((l) => `${f1(px(l.level, x))},${f1(py(l[k] ?? 0, y))}`);
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${st.color}" stroke-width="1.5" opacity="0.6"/>`);
    for (const l of levels) parts.push(dot(l, px(l.level, x), py(l[k] ?? 0, y), st.color));
    legend.push(`${swatch(st.color, '')}${k} (measured)`);
  });
  for (const s of slo) {
    const Y = f1(py(s.value, y));
    parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${Y}" y2="${Y}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="8 3"/><text x="${W - M.r}" y="${Y}" dy="-4" text-anchor="end" font-size="11" fill="#b3261e">${esc(s.label)}</text>`);
    legend.push(`${swatch('#b3261e', '8 3')}${esc(s.label)}`);
  }
  parts.push(markers(c, x));
  return svg('capacity-latency', 'Latency against level', `End-to-end p50 and p99 at each level of the capacity search${slo.length > 0 ? ', with the SLO bound' : ''}; the knee and the first failing level are marked.`, parts.join(''), legend);
}

export function capacityHtmlSection(c: CapacitySection | undefined): string {
  if (c === undefined) return '';
  const lat = (v: number | null): string => (v === null ? '-' : esc(formatMicros(v)));
  const rows = c.levels.map((l) => ({
    cells: [esc(formatLevel(c.unit, l.level)), esc(l.kind), esc(count(l.achieved)), esc(count(l.receivedRate)), lat(l.p50), lat(l.p99), esc(count(l.lost)), esc(levelMark(l)), esc(l.why)],
    className: l.verdict === 'pass' ? '' : l.verdict === 'saturated' ? 'warn' : 'bad',
  }));
  const levelsTable = table(
    'Levels of the search, in the order they ran',
    [{ label: 'level' }, { label: 'kind' }, { label: 'achieved', num: true }, { label: 'recv/s', num: true }, { label: 'p50', num: true }, { label: 'p99', num: true }, { label: 'lost', num: true }, { label: 'result' }, { label: 'why', wrap: true }],
    rows,
  );
  const conditions = [`received ≥ ${Math.round(c.settings.minDelivery * 1000) / 10}% of expected`, 'no loss at QoS 1/2', ...c.settings.slo];
  const intro = `${esc(c.summary)}. Conditions: ${conditions.map((x) => `<code>${esc(x)}</code>`).join(' · ')}. ${c.levels.length} level(s) in ${c.durationSeconds}s, each ${c.settings.warmupSeconds}s warm-up + ${c.settings.stepSeconds}s steady.`;
  const charts = `<div class="charts">${throughputChart(c)}\n${latencyChart(c)}</div>`;
  return section('capacity', `Capacity (${c.dimension})`, `${charts}\n${levelsTable}`, intro);
}
