/**
 * A Comparison for people: a terminal table per phase (colour only when the caller says so)
 * and Markdown for pull-request comments and CI job summaries. Both return text.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Comparison, ComparisonRow, ComparisonVerdict } from '../metrics/result.js';
import { formatChange, formatMetric, formatP, formatPercent } from '../metrics/format.js';
import { codeSpan, mdCell } from './format.js';

const VERDICT_TEXT: Record<ComparisonVerdict, string> = {
  regression: 'x REGRESSION',
  improved: 'improved',
  unchanged: 'unchanged',
  'within-noise': 'within noise',
  missing: 'missing',
};

export function renderComparison(c: Comparison, colour: boolean): string {
  const k = new Chalk({ level: colour ? 1 : 0 });
  const lines: string[] = [];
  lines.push(k.bold('mqbench compare') + k.dim(` · base ${side(c.base)} · head ${side(c.head)}`));
  lines.push('');
  const header = ['metric', 'base', 'head', 'change', 'p', 'verdict', 'why'];
  for (const [phase, rows] of byPhase(c.rows)) {
    lines.push(k.bold(phase));
    const cells = rows.map((r) => [r.metric, formatMetric(r.unit, r.base), formatMetric(r.unit, r.head), changeCell(r), r.pValue === null ? '-' : formatP(r.pValue), VERDICT_TEXT[r.verdict], r.note]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
    // The note is last and not padded: long notes must not widen the table.
    const fmt = (row: string[]): string =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : i === 0 || i === 5 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    lines.push(`  ${k.dim(fmt(header))}`);
    for (const [i, row] of cells.entries()) lines.push(`  ${paint(k, rows[i]!.verdict, fmt(row))}`);
    lines.push('');
  }
  for (const line of unmatched(c)) lines.push(k.yellow(line));
  if (c.onlyInBase.length > 0 || c.onlyInHead.length > 0) lines.push('');
  const summary = summaryLine(c);
  lines.push(c.regressions > 0 ? k.red.bold(summary) : k.green.bold(summary));
  lines.push(k.dim(`method: ${c.method}`));
  return `${lines.join('\n')}\n`;
}

export function renderComparisonMarkdown(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`### mqbench compare: ${c.regressions > 0 ? ':x: ' : ''}${mdCell(summaryLine(c))}`);
  lines.push('');
  lines.push(`base \`${codeSpan(c.base.file)}\` (run ${mdCell(c.base.runId)}, ${mdCell(c.base.startedAt)}) · head \`${codeSpan(c.head.file)}\` (run ${mdCell(c.head.runId)}, ${mdCell(c.head.startedAt)})`);
  lines.push('');
  for (const [phase, rows] of byPhase(c.rows)) {
    lines.push(`#### ${mdCell(phase)}`);
    lines.push('');
    lines.push('| metric | base | head | change | p | verdict | why |');
    lines.push('|---|---:|---:|---:|---:|---|---|');
    for (const r of rows) {
      const verdict = r.verdict === 'regression' ? '**regression**' : VERDICT_TEXT[r.verdict];
      const cells = [`\`${codeSpan(r.metric)}\``, mdCell(formatMetric(r.unit, r.base)), mdCell(formatMetric(r.unit, r.head)), mdCell(changeCell(r)), r.pValue === null ? '-' : mdCell(formatP(r.pValue)), verdict, mdCell(r.note)];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  for (const line of unmatched(c)) lines.push(`- ${mdCell(line)}`);
  if (c.onlyInBase.length > 0 || c.onlyInHead.length > 0) lines.push('');
  lines.push(`<sub>${mdCell(`method: ${c.method}`)}</sub>`);
  return `${lines.join('\n')}\n`;
}

/** "2 regressions beyond 10% and noise", or "no regression beyond 10%; 3 changes within noise". */
export function summaryLine(c: Comparison): string {
  const tol = formatPercent(c.maxRegression);
  const count = (v: ComparisonVerdict): number => c.rows.filter((r) => r.verdict === v).length;
  const noise = count('within-noise');
  const improved = count('improved');
  const extra = [noise > 0 ? `${noise} ${noise === 1 ? 'change' : 'changes'} within noise` : '', improved > 0 ? `${improved} improved` : ''].filter((s) => s !== '');
  const head = c.regressions > 0 ? `${c.regressions} ${c.regressions === 1 ? 'regression' : 'regressions'} beyond ${tol} and noise` : `no regression beyond ${tol}`;
  return [head, ...extra].join('; ');
}

function paint(k: ChalkInstance, verdict: ComparisonVerdict, line: string): string {
  switch (verdict) {
    case 'regression':
      return k.red.bold(line);
    case 'improved':
      return k.green(line);
    case 'within-noise':
      return k.dim(line);
    case 'missing':
      return k.yellow(line);
    case 'unchanged':
      return line;
  }
}

function changeCell(r: ComparisonRow): string {
  if (r.change !== null) return formatChange(r.change);
  if (r.base === 0 && r.head !== null && r.head !== 0) return 'from 0';
  return '-';
}

function byPhase(rows: readonly ComparisonRow[]): Map<string, ComparisonRow[]> {
  const out = new Map<string, ComparisonRow[]>();
  for (const r of rows) out.set(r.phase, [...(out.get(r.phase) ?? []), r]);
  return out;
}

function unmatched(c: Comparison): string[] {
  const out: string[] = [];
  if (c.onlyInBase.length > 0) out.push(`only in base (not compared): ${c.onlyInBase.join(', ')}`);
  if (c.onlyInHead.length > 0) out.push(`only in head (not compared): ${c.onlyInHead.join(', ')}`);
  return out;
}

function side(s: Comparison['base']): string {
  return `${s.file} (run ${s.runId}, ${s.startedAt})`;
}

