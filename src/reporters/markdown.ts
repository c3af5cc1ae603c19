/**
 * GitHub-flavoured Markdown for CI job summaries ($GITHUB_STEP_SUMMARY) and PR comments: the
 * verdict, the gates, one table of phases, the baseline comparison, generator health folded.
 * Kept under GitHub's limit (65,536 characters for a comment): rows past the budget are left
 * out with a note saying how many, most important first (failed gates, regressions).
 */
import { deliverySentence, outageSentence } from './faults.js';
import type { ComparisonRow, GateResult, ResultDocument } from '../metrics/result.js';
import type { CapacitySection } from '../metrics/capacity-result.js';
import { formatLevel, levelMark } from '../metrics/capacity.js';
import { formatChange, formatMetric, formatMicros } from '../metrics/format.js';
import {
  count,
  cpuPerMessage,
  isSaturated,
  latency,
  mdCell,
  protocolText,
  qosText,
  rate,
  runSeconds,
  scenarioName,
  targetText,
  verdictWord,
  wireBytesPerMessage,
} from './format.js';

/** Characters; GitHub refuses comments past 65,536 and cuts job summaries. */
export const MARKDOWN_LIMIT = 65_000;
/** Kept free for the closing note and tags. */
const RESERVE = 1000;

export interface MarkdownOptions {
  /** Total length to stay under, characters (default MARKDOWN_LIMIT). */
  maxChars?: number;
}


function row(cells: Array<string | number>): string {
  return `| ${cells.map((c) => (c === '' ? ' ' : String(c))).join(' | ')} |`;
}

/** Lines under a character budget; what does not fit is counted, not cut mid-row. */
class Budget {
  readonly lines: string[] = [];
  private size = 0;
  readonly omitted: string[] = [];
  constructor(private readonly limit: number) {}

  fits(text: string): boolean {
    return this.size + text.length + 1 <= this.limit - RESERVE;
  }

  push(...lines: string[]): boolean {
    const text = lines.join('\n');
    if (!this.fits(text)) return false;
    this.lines.push(text);
    this.size += text.length + 1;
    return true;
  }

  /** Adds a line past the budget (the notes and closing tags the reserve is kept for). */
  force(...lines: string[]): void {
    for (const l of lines) {
      this.lines.push(l);
      this.size += l.length + 1;
    }
  }

  /**
   * A table: header and separator, then as many rows as fit in `share` of what is left of the
   * budget (so one long table cannot crowd out the tables after it), then a note for the rest.
   */
  table(what: string, header: string[], align: Array<'l' | 'r'>, rows: string[][], share = 1): void {
    const cap = this.size + Math.floor((this.limit - RESERVE - this.size) * share);
    const head = [row(header), `|${align.map((a) => (a === 'r' ? ' ---: ' : ' --- ')).join('|')}|`];
    const first = rows[0];
    if (first !== undefined && !this.push(...head, row(first))) {
      this.omitted.push(`${what} (${rows.length} rows)`);
      return;
    }
    if (first === undefined) return;
    let shown = 1;
    for (const r of rows.slice(1)) {
      const line = row(r);
      if (this.size + line.length + 1 > cap || !this.push(line)) break;
      shown++;
    }
    if (shown < rows.length) {
      const left = rows.length - shown;
      this.force('', `_${left} more row(s) not shown (GitHub's size limit); the HTML report has them all._`);
      this.omitted.push(`${left} row(s) of ${what.toLowerCase()}`);
    }
  }
}

const VERDICT_ICON = { PASS: '✅', FAIL: '❌', INTERRUPTED: '⚠️' } as const;

function gateRows(gates: GateResult[]): string[][] {
  const ordered = [...gates.filter((g) => !g.passed), ...gates.filter((g) => g.passed)];
  return ordered.map((g) => [g.passed ? '✅' : '❌', mdCell(g.name), mdCell(g.measured ?? ''), mdCell(g.message)]);
}

function comparisonRows(rows: ComparisonRow[]): string[][] {
  const ordered = [...rows].sort((a, b) => Number(b.verdict === 'regression') - Number(a.verdict === 'regression'));
  return ordered.map((r) => {
    const cells = [r.phase, r.metric, formatMetric(r.unit, r.base), formatMetric(r.unit, r.head), formatChange(r.change), r.verdict].map(mdCell);
    return r.verdict === 'regression' ? cells.map((c) => (c.trim() === '' ? c : `**${c}**`)) : cells;
  });
}

function phasesMarkdown(out: Budget, doc: ResultDocument): void {
  out.push('### Phases', '');
  out.table(
    'Phases',
    ['phase', 'protocol', 'QoS', 'recv/s', 'p50', 'p99', 'p99.9', 'lost', 'dup'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    doc.phases.map((p) => {
      const bad = p.status === 'failed' || (p.deliveryFailures ?? []).length > 0;
      const name = `${mdCell(p.name)}${p.status === 'completed' ? '' : ` (${p.status})`}${isSaturated(p) ? ' ⚠️ saturated' : ''}`;
      const e = p.latency.e2e;
      return [bad ? `❌ ${name}` : name, mdCell(protocolText(p)), qosText(p), rate(p.rates.receivedPerSecond), latency(e, 'p50'), latency(e, 'p99'), latency(e, 'p999'), count(p.counters.lost), count(p.counters.duplicated)];
    }),
    // Leave room for the comparison when there is one, and for generator health.
    doc.baseline !== undefined ? 0.55 : 0.85,
  );
  out.push('');
}

/** The capacity search: the answer, the conditions, one row per level, the USL model. */
function capacityMarkdown(out: Budget, c: CapacitySection): void {
  const icon = c.end === 'found' || c.end === 'reached-to' ? '✅' : c.lowerBound ? '⚠️' : '❌';
  out.push(`### Capacity (${mdCell(c.dimension)}): ${icon} ${mdCell(c.summary)}`, '');
  const conditions = [`received ≥ ${Math.round(c.settings.minDelivery * 1000) / 10}% of expected`, 'no loss at QoS 1/2', ...c.settings.slo];
  out.push(`conditions: ${conditions.map((x) => `\`${x.replace(/`/g, '')}\``).join(' · ')} · ${c.levels.length} level(s) in ${c.durationSeconds}s (${c.settings.warmupSeconds}s warm-up + ${c.settings.stepSeconds}s each)`, '');
  out.table(
    'Capacity levels',
    ['level', 'kind', 'achieved', 'recv/s', 'p50', 'p99', 'lost', 'result', 'why'],
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
    c.levels.map((l) => {
      const mark = levelMark(l);
      const lat = (v: number | null): string => (v === null ? '-' : formatMicros(v));
      return [formatLevel(c.unit, l.level), l.kind, count(l.achieved), rate(l.receivedRate), lat(l.p50), lat(l.p99), count(l.lost), mark === 'pass' ? '✅ pass' : mark === 'generator' ? '⚠️ generator' : `❌ ${mark}`, mdCell(l.why)];
    }),
    0.6,
  );
  out.push('');
  if (c.usl !== null) {
    const u = c.usl;
    out.push(`_Model, not a measurement:_ Universal Scalability Law fitted to the ${u.points} level(s) that held: σ ${u.sigma.toPrecision(3)} (contention), κ ${u.kappa.toPrecision(3)} (coherency), λ ${u.lambda.toPrecision(4)}, R² ${u.rSquared.toFixed(3)}${u.peakN === null ? '' : `, modelled peak ${mdCell(formatLevel(c.unit, u.peakN))}`}.`, '');
  }
}

/** Title, run line, failures and the saturation warning. */
function header(out: Budget, doc: ResultDocument): void {
  const word = verdictWord(doc);
  const secs = runSeconds(doc);
  out.push(`## ${VERDICT_ICON[word]} mqbench ${word} · ${mdCell(scenarioName(doc))}`, '');
  out.push(
    [`run \`${doc.runId.replace(/`/g, '')}\``, `${doc.phases.length} phase(s)`, mdCell(targetText(doc)), doc.startedAt, secs > 0 ? `${secs.toFixed(1)}s` : '', `mqbench ${mdCell(doc.tool.version)}`]
      .filter((s) => s !== '')
      .join(' · '),
    '',
  );
  const failures = doc.verdict.failures;
  if (failures.length > 0 || (doc.status !== 'completed' && doc.error !== undefined)) {
    const items = failures.length > 0 ? failures : [doc.error ?? doc.status];
    out.push(`> **${items.length} failure(s)**`);
    let shown = 0;
    for (const f of items) {
      if (shown >= 20 || !out.push(`> - ${mdCell(f)}`)) break;
      shown++;
    }
    if (shown < items.length) out.push(`> - _and ${items.length - shown} more_`);
    out.push('');
  }
  const saturated = doc.phases.filter((p) => p.generator?.saturated);
  if (saturated.length > 0) {
    out.push(`> ⚠️ **The load generator was the limit, not the target** in ${mdCell(saturated.map((p) => p.name).join(', '))}${doc.capacity === undefined ? ' (marked ⚠️ saturated below)' : ''}: those figures describe mqbench.`, '');
  }
}

/** The generator's health per phase, folded (a <details> block, always closed). */
function health(out: Budget, doc: ResultDocument): void {
  if (out.push('<details><summary>Generator health</summary>', '')) {
    out.table(
      'Generator health',
      ['phase', 'saturated', 'CPU/msg', 'loop delay p99', 'busy', 'target CPU/msg', 'wire B/msg'],
      ['l', 'l', 'r', 'r', 'l', 'r', 'r'],
      doc.phases.map((p) => {
        const g = p.generator;
        const ws = g?.workers ?? [];
        const loop = ws.length === 0 ? '-' : formatMicros(Math.max(...ws.map((w) => w.eventLoopDelayP99)));
        return [
          mdCell(p.name),
          g?.saturated ? `⚠️ yes: ${mdCell(g.reasons.join('; '))}` : 'no',
          cpuPerMessage(g?.cpuMicrosPerMessage),
          loop,
          ws.map((w) => `w${w.workerIndex} ${w.cpuPercent}%`).join(', ') || '-',
          cpuPerMessage(p.target?.cpuMicrosPerMessage),
          wireBytesPerMessage(p),
        ];
      }),
    );
    // Always closed, or the rest of a PR comment would fold into it.
    out.force('', '</details>');
  }
}

export function renderMarkdown(doc: ResultDocument, options: MarkdownOptions = {}): string {
  const out = new Budget(options.maxChars ?? MARKDOWN_LIMIT);
  header(out, doc);

  // A capacity search: its levels are the story; each level's gates failing is the search working.
  if (doc.capacity !== undefined) capacityMarkdown(out, doc.capacity);
  else if (doc.gates !== undefined && doc.gates.length > 0) {
    const failed = doc.gates.filter((g) => !g.passed).length;
    out.push(`### Gates: ${doc.gates.length - failed} passed, ${failed} failed`, '');
    out.table('Gates', ['', 'gate', 'measured', 'detail'], ['l', 'l', 'r', 'l'], gateRows(doc.gates), 0.35);
    out.push('');
  }

  if (doc.capacity === undefined) phasesMarkdown(out, doc);
  // The target's faults in words: drops and outages, and where lost messages stopped.
  const faults = doc.capacity !== undefined ? [] : doc.phases.flatMap((p) => [outageSentence(p), deliverySentence(p)].filter((x): x is string => x !== null).map((x) => `- **${mdCell(p.name)}**: ${mdCell(x)}`));
  if (faults.length > 0) out.push(...faults, '');

  const b = doc.baseline;
  if (b !== undefined) {
    const tolerance = `${Math.round(b.maxRegression * 1000) / 10}%`;
    out.push('### Comparison with the baseline', '');
    out.push(`base \`${b.base.runId.replace(/`/g, '')}\` → this run \`${b.head.runId.replace(/`/g, '')}\`, tolerance ${tolerance}: **${b.regressions} regression(s)**. ${mdCell(b.method)}`, '');
    out.table('Comparison rows', ['phase', 'metric', 'base', 'head', 'change', 'verdict'], ['l', 'l', 'r', 'r', 'r', 'l'], comparisonRows(b.rows), 0.85);
    if (b.onlyInBase.length > 0) out.push('', `Only in the base: ${mdCell(b.onlyInBase.join(', '))}`);
    if (b.onlyInHead.length > 0) out.push('', `Only in this run: ${mdCell(b.onlyInHead.join(', '))}`);
    out.push('');
  }

  health(out, doc);
  if (out.omitted.length > 0) {
    out.force('', `_Left out to stay under GitHub's limit of 65,536 characters: ${out.omitted.join('; ')}._`);
  }
  return `${out.lines.join('\n')}\n`;
}
