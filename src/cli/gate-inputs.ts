/**
 * The gates and outputs `run` and `merge` share beyond the verdict's thresholds, read from the
 * flag layer's extras (config/run-extras.ts): the --baseline file read and checked against the
 * result's phases, the --report formats checked. One reading, so both commands judge alike.
 */
import type { ConfigIssue } from '../config/issue.js';
import type { RunExtras } from '../config/flag-overlay.js';
import { readResultFile } from '../metrics/result-file.js';
import type { ResultDocument } from '../metrics/result.js';
import { parseReportFormats, type ReportFormat } from '../reporters/write.js';

/** What `run` does besides the run itself: repeats, a baseline to compare with, reports to write. */
export interface Extras {
  repeat: number;
  baseline: { file: string; doc: ResultDocument } | null;
  maxRegression: number;
  latencyFloorUs: number;
  reports: ReportFormat[];
  /** --hdr-log: where the HdrHistogram interval log goes, or null. */
  hdrLog: string | null;
}

/** The extras the flag layer read, with the baseline file read and the report formats checked; every problem as an issue. */
export async function readExtras(run: RunExtras): Promise<{ extras: Extras; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const extras: Extras = { repeat: run.repeat, baseline: null, maxRegression: run.maxRegression, latencyFloorUs: run.latencyFloorUs, reports: [], hdrLog: run.hdrLog };
  if (run.baseline !== null) {
    const read = await readResultFile(run.baseline);
    if (read.ok) extras.baseline = { file: run.baseline, doc: read.doc };
    else issues.push({ where: '--baseline', message: read.error });
  }
  if (run.reports !== null) {
    const formats = parseReportFormats(run.reports);
    if ('error' in formats) issues.push({ where: '--report', message: formats.error });
    else extras.reports = formats;
  }
  return { extras, issues };
}

/**
 * A baseline must share a phase (by name) with this run, or the comparison gates nothing: a CI
 * regression gate that silently passes. Checked against the planned phases, before any load.
 */
export function baselineIssues(baseline: { file: string; doc: ResultDocument }, planned: readonly string[]): ConfigIssue[] {
  const theirs = baseline.doc.phases.map((p) => p.name);
  if (theirs.some((n) => planned.includes(n))) return [];
  const list = (names: readonly string[]): string => (names.length === 0 ? 'no phases' : names.join(', '));
  return [
    {
      where: '--baseline',
      message: `no phase in common with ${baseline.file}: it has ${list(theirs)}, this run plans ${list(planned)}; give a baseline from the same scenario, QoS levels and transports (phases are matched by name)`,
    },
  ];
}

