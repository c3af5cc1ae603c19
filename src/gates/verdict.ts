/**
 * The verdict of a run: every gate (the run itself, delivery per phase, each threshold on each
 * phase it selects, each judged comparison with a baseline), and the failures among them.
 * A pure function of the document, the thresholds and the comparison, settled once by the CLI
 * after the run's repeats are merged and a baseline compared (the run itself leaves it unsettled).
 */
import type { Comparison, GateResult, PhaseResult, ResultDocument } from '../metrics/result.js';
import type { Threshold } from '../config/model.js';
import { checkThresholds, compare, scopeMatches } from './threshold.js';
import { formatChange, formatMetric } from '../metrics/format.js';

export function settleVerdict(doc: ResultDocument, thresholds: readonly Threshold[], baseline?: Comparison): ResultDocument {
  const gates: GateResult[] = [];
  const failures: string[] = [];

  for (const p of doc.phases) {
    const problems = [...p.deliveryFailures, ...(p.status === 'failed' ? [p.error ?? 'failed'] : [])];
    for (const f of problems) failures.push(`${p.name}: ${f}`);
    gates.push({
      kind: 'delivery',
      name: `delivery [${p.name}]`,
      phase: p.name,
      passed: problems.length === 0,
      message: problems.length > 0 ? problems.join('; ') : deliveryLine(p),
    });
  }
  const runError = doc.status !== 'completed' ? (doc.error ?? doc.status) : undefined;
  if (runError !== undefined && !failures.some((f) => f.endsWith(runError))) failures.push(runError);
  gates.push({ kind: 'run', name: 'run completed', phase: null, passed: doc.status === 'completed', message: doc.status === 'completed' ? `${doc.phases.length} phase(s) completed` : `${doc.status}: ${runError ?? ''}` });

  for (const c of checkThresholds(thresholds, doc.phases)) {
    if (!c.passed) failures.push(`${c.phase}: threshold ${c.message}`);
    gates.push({
      kind: 'threshold',
      name: `${c.threshold.expression} [${c.phase}]`,
      phase: c.phase,
      expression: c.threshold.expression,
      source: c.threshold.source,
      passed: c.passed,
      value: c.value,
      measured: formatMetric(c.threshold.unit, c.value),
      message: c.message,
    });
  }

  if (baseline !== undefined) {
    const tolerance = `${Math.round(baseline.maxRegression * 1000) / 10}%`;
    for (const r of baseline.rows) {
      if (r.better === null || r.verdict === 'missing') continue;
      const passed = r.verdict !== 'regression';
      const line = `${r.metric} ${formatMetric(r.unit, r.base)} -> ${formatMetric(r.unit, r.head)}${r.change === null ? '' : ` (${formatChange(r.change)})`}: ${r.verdict}; ${r.note}`;
      if (!passed) failures.push(`${r.phase}: regression against the baseline beyond ${tolerance}: ${line}`);
      gates.push({ kind: 'baseline', name: `baseline ${r.metric} [${r.phase}]`, phase: r.phase, passed, value: r.head, measured: formatMetric(r.unit, r.head), message: line });
    }
  }

  const out: ResultDocument = { ...doc, gates, verdict: { passed: doc.status === 'completed' && failures.length === 0, failures } };
  if (baseline !== undefined) out.baseline = baseline;
  return out;
}

function deliveryLine(p: PhaseResult): string {
  const c = p.counters;
  return `sent ${c.sent}, expected ${c.expected}, received ${c.received}, lost ${c.lost}, duplicated ${c.duplicated}, out of order ${c.outOfOrder}`;
}

/** Latencies that only grow while a phase runs, so a broken upper bound cannot recover. */
const GROWING: Record<string, 'e2e' | 'e2eUncorrected' | 'ack'> = { 'e2e.max': 'e2e', 'e2eUncorrected.max': 'e2eUncorrected', 'ack.max': 'ack' };

/**
 * --abort-on-fail while a phase runs: an upper bound on a maximum latency (e2e.max, ack.max)
 * that the steady window has already exceeded. Other figures can still recover until the phase ends.
 */
export function liveBreach(
  thresholds: readonly Threshold[],
  phase: { name: string; params: { protocol: string; qos: number | null } },
  steadyMax: Record<'e2e' | 'e2eUncorrected' | 'ack', number>,
): string | null {
  for (const t of thresholds) {
    const hist = GROWING[t.metric];
    if (hist === undefined || (t.op !== '<' && t.op !== '<=' && t.op !== '==') || !scopeMatches(t.scope, t.qos, phase)) continue;
    const now = steadyMax[hist];
    if (now > 0 && !compare(now, t.op === '==' ? '<=' : t.op, t.value)) {
      return `${t.expression}: ${phase.name} already measured ${formatMetric('us', now)}, and a maximum only grows`;
    }
  }
  return null;
}

/** --abort-on-fail after a phase: its first failed gate (a delivery failure or a threshold), or null. */
export function phaseBreach(thresholds: readonly Threshold[], phase: PhaseResult): string | null {
  const delivery = phase.deliveryFailures[0];
  if (delivery !== undefined) return `${phase.name}: ${delivery}`;
  const failed = checkThresholds(thresholds, [phase]).find((c) => !c.passed);
  return failed === undefined ? null : failed.message;
}
