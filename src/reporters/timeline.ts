/**
 * --timeline rows: one per second per phase, the fields of the result's timeline points with
 * the run id and the phase in front; CSV (a header line first) or NDJSON (one JSON object per
 * line). Each row is one whole line, so a file cut short by a killed run ends on a complete row.
 */
import type { TimelineFormat } from '../config/live-outputs.js';
import type { LiveSecond } from '../metrics/live.js';
import type { TimelinePoint } from '../metrics/result.js';

/** The point's fields, in the order of the result's timeline; p50 and p99 in microseconds as there. */
export const TIMELINE_FIELDS = ['t', 'stage', 'warmup', 'sent', 'received', 'bytesSent', 'bytesReceived', 'p50', 'p99', 'connections', 'down'] as const satisfies ReadonlyArray<keyof TimelinePoint>;

export const TIMELINE_COLUMNS = ['runId', 'phase', ...TIMELINE_FIELDS] as const;

/** What the file starts with: the CSV header line, nothing for NDJSON. */
export function timelineHeader(format: TimelineFormat): string {
  return format === 'csv' ? `${TIMELINE_COLUMNS.join(',')}\n` : '';
}

/** One second's line, newline included. */
export function timelineRow(format: TimelineFormat, s: LiveSecond): string {
  const values: Record<(typeof TIMELINE_COLUMNS)[number], unknown> = { runId: s.runId, phase: s.spec.name, ...pick(s.point) };
  if (format === 'ndjson') return `${JSON.stringify(values)}\n`;
  return `${TIMELINE_COLUMNS.map((c) => csvField(values[c])).join(',')}\n`;
}

function pick(p: TimelinePoint): Record<(typeof TIMELINE_FIELDS)[number], unknown> {
  return Object.fromEntries(TIMELINE_FIELDS.map((f) => [f, p[f] ?? null])) as Record<(typeof TIMELINE_FIELDS)[number], unknown>;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(v: unknown): string {
  const text = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
