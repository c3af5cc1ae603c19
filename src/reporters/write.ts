/**
 * Report files next to a result: same base name, `.html`, `.md`, `.junit.xml`, `.csv`. Each is written
 * to a temporary file and renamed into place (as the result itself), so no reader sees half a report.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultDocument } from '../metrics/result.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export type ReportFormat = 'html' | 'md' | 'junit' | 'csv';

export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'junit', 'csv'];

const ALIASES: Record<string, ReportFormat> = { html: 'html', md: 'md', markdown: 'md', junit: 'junit', xml: 'junit', csv: 'csv' };

const EXTENSION: Record<ReportFormat, string> = { html: '.html', md: '.md', junit: '.junit.xml', csv: '.csv' };

/** 'html,md' -> ['html', 'md']: comma-separated, case-insensitive, each once, in the order given. */
export function parseReportFormats(text: string): ReportFormat[] | { error: string } {
  const out: ReportFormat[] = [];
  const valid = `${REPORT_FORMATS.join(', ')} (comma-separated, e.g. html,md)`;
  const parts = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) return { error: `no report format given; use ${valid}` };
  for (const part of parts) {
    const f = ALIASES[part.toLowerCase()];
    if (f === undefined) return { error: `'${part}' is not a report format; use ${valid}` };
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

export function renderReport(doc: ResultDocument, format: ReportFormat): string {
  switch (format) {
    case 'html':
      return renderHtml(doc);
    case 'md':
      return renderMarkdown(doc);
    case 'junit':
      return renderJunit(doc);
    case 'csv':
      return renderCsv(doc);
  }
}

/** Where a report of `resultFile` goes: outDir (default: the result's directory), same base name. */
export function reportPath(resultFile: string, format: ReportFormat, outDir?: string): string {
  const base = path.basename(resultFile).replace(/\.json$/i, '');
  return path.join(outDir ?? path.dirname(resultFile), `${base}${EXTENSION[format]}`);
}

/** Writes one file per format; returns their paths in the order of `formats`. */
export async function writeReports(doc: ResultDocument, resultFile: string, formats: readonly ReportFormat[], outDir?: string): Promise<string[]> {
  const written: string[] = [];
  for (const format of formats) {
    const file = reportPath(resultFile, format, outDir);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, renderReport(doc, format));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    written.push(file);
  }
  return written;
}
