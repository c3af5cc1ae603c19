/**
 * The result as CSV (RFC 4180): one row per phase and metric, `phase,metric,unit,value`, for
 * spreadsheets and scripts. The metric names, units and readings are those of thresholds and
 * `compare` (metrics/names.ts), plus `errors.<kind>` for each kind a phase saw. A figure that was
 * not measured (no samples) has an empty value, never 0; `generator.saturated` reads true/false.
 */
import { METRICS, metricDef, type MetricDef } from '../metrics/names.js';
import type { PhaseResult, ResultDocument } from '../metrics/result.js';

export const CSV_HEADER = ['phase', 'metric', 'unit', 'value'] as const;

/** A field quoted when it holds a comma, a quote, a line break or surrounding spaces; quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function valueText(def: MetricDef, p: PhaseResult): string {
  const v = def.get(p);
  if (v === null || !Number.isFinite(v)) return '';
  return def.unit === 'bool' ? String(v !== 0) : String(v);
}

/** Every metric of every phase, the phases in the document's order and the metrics in names.ts's. */
export function renderCsv(doc: ResultDocument): string {
  const rows: string[][] = [[...CSV_HEADER]];
  for (const p of doc.phases) {
    const kinds = Object.keys(p.counters.errors ?? {}).sort();
    const defs = [...METRICS, ...kinds.map((k) => metricDef(`errors.${k}`)).filter((d): d is MetricDef => d !== null)];
    for (const def of defs) rows.push([p.name, def.name, def.unit, valueText(def, p)]);
  }
  // CRLF line ends, as RFC 4180 writes them (every CSV reader takes them).
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
