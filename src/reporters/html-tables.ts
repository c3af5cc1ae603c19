/** The HTML report's tables of figures: gates, phases, the protocol comparison, the baseline comparison. */
import type { ComparisonRow, ComparisonVerdict, PhaseResult, ResultDocument } from '../metrics/result.js';
import {
  count,
  cpuPerMessage,
  errorsText,
  isSaturated,
  latency,
  loadText,
  protocolText,
  qosText,
  rate,
  SATURATED_NOTE,
  wireBytesPerMessage,
} from './format.js';
import { esc, passMark, section, table, type Row } from './html-util.js';
import { formatBytes, formatChange, formatP, formatMetric } from '../metrics/format.js';

export function gatesSection(doc: ResultDocument): string {
  const gates = doc.gates;
  if (gates === undefined || gates.length === 0) return '';
  const failed = gates.filter((g) => !g.passed).length;
  // Failed gates first: they are what a reader opened the report for.
  const ordered = [...gates.filter((g) => !g.passed), ...gates.filter((g) => g.passed)];
  const rows: Row[] = ordered.map((g) => ({
    className: g.passed ? '' : 'failed',
    cells: [esc(g.name), esc(g.kind), esc(g.measured ?? ''), passMark(g.passed), esc(g.message)],
  }));
  return section(
    'gates',
    'Gates',
    table(`${gates.length} gate(s), ${failed} failed`, [{ label: 'gate' }, { label: 'kind' }, { label: 'measured', num: true }, { label: 'result' }, { label: 'detail' }], rows),
  );
}

/** '1 → 4 · 64B · 500/s (open)': publishers to subscribers (plus idle connections), payload, offered load. */
function workloadText(p: PhaseResult): string {
  const idle = (p.params.connections ?? 0) > 0 ? ` + ${p.params.connections} idle` : '';
  return `${p.params.publishers} → ${p.params.subscribers}${idle} · ${formatBytes(p.params.payloadBytes)} · ${loadText(p)}`;
}

/** The phase's name, its status when not completed, and a mark when the generator was the limit. */
function phaseNameCell(p: PhaseResult): string {
  const status = p.status === 'completed' ? '' : ` <span class="note" title="${esc(p.error ?? '')}">(${esc(p.status)})</span>`;
  const saturated = isSaturated(p) ? ` <span class="mark warn saturated" title="${esc(`${SATURATED_NOTE} (${p.generator.reasons.join('; ')})`)}">⚠ saturated</span>` : '';
  return esc(p.name) + status + saturated;
}

export function phasesSection(doc: ResultDocument): string {
  // With several phases the protocol comparison right below lists protocol and QoS: the table stays one screen wide.
  const keep = (_: unknown, i: number): boolean => doc.phases.length < 2 || (i !== 1 && i !== 2);
  const rows: Row[] = doc.phases.map((p) => {
    const l = p.latency.e2e;
    const bad = p.status === 'failed' || (p.deliveryFailures ?? []).length > 0;
    return {
      className: bad ? 'failed' : isSaturated(p) ? 'warn' : '',
      cells: [
        phaseNameCell(p),
        esc(protocolText(p)),
        esc(qosText(p)),
        esc(workloadText(p)),
        esc(rate(p.rates.sentPerSecond)),
        esc(rate(p.rates.receivedPerSecond)),
        esc(latency(l, 'p50')),
        esc(latency(l, 'p90')),
        esc(latency(l, 'p99')),
        esc(latency(l, 'p999')),
        esc(latency(l, 'max')),
        esc(latency(p.latency.ack, 'p99')),
        esc(count(p.counters.lost)),
        esc(count(p.counters.duplicated)),
        esc(errorsText(p)),
      ].filter(keep),
    };
  });
  const cols = [
    { label: 'phase' },
    { label: 'protocol' },
    { label: 'QoS', num: true },
    { label: 'workload', wrap: true, title: 'publishers → subscribers, payload size, and the offered load: a total rate (open model) or a window per publisher (closed model)' },
    { label: 'sent/s', num: true },
    { label: 'recv/s', num: true, title: 'deliveries per second in the steady window, over all subscribers' },
    { label: 'e2e p50', num: true },
    { label: 'p90', num: true },
    { label: 'p99', num: true },
    { label: 'p99.9', num: true },
    { label: 'max', num: true },
    { label: 'ack p99', num: true, title: 'publish to PUBACK (QoS 1) or PUBCOMP (QoS 2)' },
    { label: 'lost', num: true },
    { label: 'dup', num: true },
    { label: 'errors', num: true },
  ].filter(keep);
  const caption = `Steady-window figures per phase${doc.phases.some(isSaturated) ? ` (⚠ saturated: ${SATURATED_NOTE})` : ''}`;
  return section('phases', 'Phases', table(caption, cols, rows));
}

/** Marks the best value of a column (the highest or the lowest) when more than one phase has a figure. */
function bestOf(values: Array<number | null>, better: 'higher' | 'lower'): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length < 2) return null;
  return better === 'higher' ? Math.max(...present) : Math.min(...present);
}

function marked(text: string, v: number | null, best: number | null): string {
  return v !== null && best !== null && v === best ? `<strong class="best" title="best of the phases">${esc(text)}</strong>` : esc(text);
}

export function protocolComparisonSection(doc: ResultDocument): string {
  if (doc.phases.length < 2) return '';
  const ps = doc.phases;
  const e2e = (p: PhaseResult, k: 'p50' | 'p99'): number | null => (p.latency.e2e.count > 0 ? p.latency.e2e[k] : null);
  // A saturated phase is never ranked: its figures are the generator's limit, not the target's.
  const ranked = <T>(p: PhaseResult, v: T): T | null => (isSaturated(p) ? null : v);
  const cols = {
    recv: ps.map((p) => ranked(p, p.rates.receivedPerSecond)),
    p50: ps.map((p) => ranked(p, e2e(p, 'p50'))),
    p99: ps.map((p) => ranked(p, e2e(p, 'p99'))),
    wire: ps.map((p) => ranked(p, p.wire?.bytesPerMessage ?? null)),
    cpu: ps.map((p) => ranked(p, p.generator?.cpuMicrosPerMessage ?? null)),
  };
  const best = {
    recv: bestOf(cols.recv, 'higher'),
    p50: bestOf(cols.p50, 'lower'),
    p99: bestOf(cols.p99, 'lower'),
    wire: bestOf(cols.wire, 'lower'),
    cpu: bestOf(cols.cpu, 'lower'),
  };
  const rows: Row[] = ps.map((p, i) => ({
    className: isSaturated(p) ? 'warn' : '',
    cells: [
      phaseNameCell(p),
      esc(protocolText(p)),
      esc(qosText(p)),
      esc(formatBytes(p.params.payloadBytes)),
      marked(rate(p.rates.receivedPerSecond), cols.recv[i] ?? null, best.recv),
      marked(latency(p.latency.e2e, 'p50'), cols.p50[i] ?? null, best.p50),
      marked(latency(p.latency.e2e, 'p99'), cols.p99[i] ?? null, best.p99),
      marked(wireBytesPerMessage(p), cols.wire[i] ?? null, best.wire),
      marked(cpuPerMessage(p.generator?.cpuMicrosPerMessage), cols.cpu[i] ?? null, best.cpu),
    ],
  }));
  return section(
    'comparison',
    'Protocol comparison',
    table(
      `The phases side by side (best value of each column in bold${ps.some(isSaturated) ? `; ⚠ saturated phases are never ranked best: ${SATURATED_NOTE}` : ''})`,
      [
        { label: 'phase' },
        { label: 'protocol / transport' },
        { label: 'QoS', num: true },
        { label: 'payload', num: true },
        { label: 'received/s', num: true },
        { label: 'e2e p50', num: true },
        { label: 'e2e p99', num: true },
        { label: 'bytes on the wire / msg', num: true, title: 'every client socket, both directions, TCP payload, per delivered message' },
        { label: 'generator CPU / msg', num: true, title: 'CPU time of the mqbench process per delivered message' },
      ],
      rows,
      'comparison',
    ),
  );
}

const VERDICT_MARK: Record<ComparisonVerdict, string> = {
  regression: '✗ regression',
  improved: '✓ improved',
  unchanged: '= unchanged',
  'within-noise': '≈ within noise',
  missing: '? missing',
};

function comparisonRow(r: ComparisonRow): Row {
  const verdict = VERDICT_MARK[r.verdict] ?? r.verdict;
  return {
    className: r.verdict === 'regression' ? 'regression' : r.verdict === 'improved' ? 'improved' : '',
    cells: [
      esc(r.phase),
      esc(r.metric),
      esc(formatMetric(r.unit, r.base)),
      esc(formatMetric(r.unit, r.head)),
      esc(formatChange(r.change)),
      r.verdict === 'regression' ? `<strong>${esc(verdict)}</strong>` : esc(verdict),
      esc([formatP(r.pValue), r.samples ? `${r.samples.kind}: ${r.samples.base} vs ${r.samples.head}` : ''].filter((s) => s !== '').join(', ')),
      esc(r.note),
    ],
  };
}

export function baselineSection(doc: ResultDocument): string {
  const b = doc.baseline;
  if (b === undefined) return '';
  const tolerance = `${Math.round(b.maxRegression * 1000) / 10}%`;
  const intro = [
    `Base <code>${esc(b.base.runId)}</code> (${esc(b.base.file)}, ${esc(b.base.startedAt)}) against this run <code>${esc(b.head.runId)}</code>.`,
    `Tolerance ${esc(tolerance)}; ${esc(b.method)}`,
    `<strong>${b.regressions} regression(s)</strong>.`,
  ].join(' ');
  const only: string[] = [];
  if (b.onlyInBase.length > 0) only.push(`<p class="note">Only in the base: ${esc(b.onlyInBase.join(', '))}</p>`);
  if (b.onlyInHead.length > 0) only.push(`<p class="note">Only in this run: ${esc(b.onlyInHead.join(', '))}</p>`);
  const rows = [...b.rows].sort((x, y) => Number(y.verdict === 'regression') - Number(x.verdict === 'regression')).map(comparisonRow);
  const body = table(
    'Base against head, regressions first',
    [{ label: 'phase' }, { label: 'metric' }, { label: 'base', num: true }, { label: 'head', num: true }, { label: 'change', num: true }, { label: 'verdict' }, { label: 'samples' }, { label: 'why' }],
    rows,
    'baseline',
  );
  return section('baseline', 'Comparison with the baseline', body + only.join(''), intro);
}
