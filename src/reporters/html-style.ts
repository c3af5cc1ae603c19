/** The HTML report's stylesheet, inlined (the page loads nothing). System fonts, tabular figures, print-friendly. */

/**
 * Okabe-Ito colours (distinguishable with every common colour-vision deficiency), yellow left
 * out for contrast on white; past seven series the cycle repeats with a dash pattern.
 */
export const PALETTE = { colors: ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#000000'], dashes: ['', '7 4', '2 3', '10 3 2 3'] };

export function seriesStyle(i: number): { color: string; dash: string } {
  const { colors, dashes } = PALETTE;
  return { color: colors[i % colors.length] ?? '#000', dash: dashes[Math.floor(i / colors.length) % dashes.length] ?? '' };
}

export const STYLE = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --soft:#f6f8fa; --ok:#0f7b3f; --bad:#b3261e; --warn:#8a5a00; --accent:#0072B2; color-scheme: light; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
.page { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px; border-bottom: 1px solid var(--line); padding-bottom: 16px; }
header.top h1 { font-size: 22px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
header.top h1 .sub { color: var(--muted); font-weight: 400; }
.verdict { display: inline-block; font-weight: 700; font-size: 15px; padding: 3px 12px; border-radius: 999px; letter-spacing: 0.04em; }
.verdict.pass { background: #dafbe1; color: var(--ok); border: 1px solid #aceebb; }
.verdict.fail { background: #ffebe9; color: var(--bad); border: 1px solid #ffcecb; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 24px; margin: 16px 0 0; width: 100%; }
dl.meta div { min-width: 0; }
dl.meta div.wide { grid-column: span 2; }
dl.meta dt { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav.toc { margin: 14px 0 0; font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section { margin-top: 34px; }
h2 { font-size: 18px; margin: 0 0 10px; font-weight: 650; }
h3 { font-size: 15px; margin: 0; font-weight: 600; }
p.intro { margin: 0 0 10px; color: var(--muted); max-width: 900px; }
.callout { margin-top: 18px; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.callout.bad { background: #fff5f4; border-color: #ffcecb; }
.callout.warn { background: #fff8e6; border-color: #f0d58a; }
.callout ul { margin: 4px 0 0; padding-left: 20px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; padding: 8px 12px; color: var(--muted); font-size: 13px; background: var(--soft); border-bottom: 1px solid var(--line); }
th, td { padding: 6px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
thead th { font-weight: 600; font-size: 13px; color: var(--muted); background: #fff; border-bottom: 1px solid var(--line); }
tbody th { font-weight: 600; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: #f6f8fa; }
.num { text-align: right; }
td:last-child:not(.num) { white-space: normal; min-width: 160px; }
td.wrap { white-space: normal; min-width: 130px; }
.item { white-space: nowrap; }
tr.failed th, tr.regression th { box-shadow: inset 3px 0 0 var(--bad); }
tr.failed, tr.regression { background: #fff8f7; }
tr.warn th { box-shadow: inset 3px 0 0 #e0a800; }
tr.group th { font-weight: 400; }
.indent { padding-left: 18px; display: inline-block; }
.mark { font-weight: 600; white-space: nowrap; }
.mark.ok { color: var(--ok); }
.mark.bad { color: var(--bad); white-space: normal; }
.mark.warn { color: var(--warn); }
.note { color: var(--muted); font-size: 13px; }
strong.best { color: #004f7c; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
.charts.small { grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
figure.chart { position: relative; margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px 10px; background: #fff; min-width: 0; }
.chart-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; margin-bottom: 6px; }
.chart-head button { font: inherit; font-size: 12px; color: var(--accent); background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 1px 8px; cursor: pointer; }
.chart-head button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
svg.chart-svg { display: block; width: 100%; height: auto; overflow: visible; }
svg .grid { stroke: #e6eaef; stroke-width: 1; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 12px; font-family: system-ui, sans-serif; }
svg .label { fill: var(--muted); font-size: 12px; font-family: system-ui, sans-serif; }
svg .series { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg .band-label { fill: #59636e; font-size: 11px; font-family: system-ui, sans-serif; }
svg .guide { stroke: #59636e; stroke-width: 1; stroke-dasharray: 3 3; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 16px; margin: 6px 0 0; padding: 0; font-size: 13px; }
ul.legend li { display: inline-flex; align-items: center; gap: 6px; }
ul.legend .band { display: inline-block; width: 14px; height: 12px; border: 1px solid #c8d1da; }
.tooltip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.97); border: 1px solid var(--line); border-radius: 5px; padding: 6px 9px; font-size: 12px; box-shadow: 0 2px 8px rgba(31,35,40,0.12); white-space: nowrap; font-variant-numeric: tabular-nums; z-index: 2; }
.tooltip b { font-weight: 600; }
.tooltip .sw { display: inline-block; width: 10px; height: 3px; margin-right: 5px; vertical-align: middle; }
.chart-error { color: var(--bad); }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 0; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
@media (max-width: 640px) { .page { padding: 16px; } .charts, .charts.small { grid-template-columns: 1fr; } }
@media print { .chart-head button { display: none; } figure.chart, .table-wrap { break-inside: avoid; } tbody tr:hover { background: none; } }
`;
