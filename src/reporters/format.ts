/**
 * Text shared by the HTML, Markdown and JUnit reports: how a phase, a verdict, a metric value
 * and a change read. Pure functions of the result document. Results written by older versions
 * of mqbench (still schemaVersion 1) may lack fields added since (groups, timeline stages,
 * gates, wire bytes): every reader here falls back instead of throwing.
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { GroupResult, PhaseResult, ResultDocument, TimelinePoint } from '../metrics/result.js';
import { formatMicros, formatRate } from '../metrics/format.js';

/** The verdict in one word, the same in every report: PASS, FAIL (a gate failed, or the run could not complete), or INTERRUPTED. */
export function verdictWord(doc: ResultDocument): 'PASS' | 'FAIL' | 'INTERRUPTED' {
  if (doc.verdict.passed) return 'PASS';
  return doc.status === 'interrupted' ? 'INTERRUPTED' : 'FAIL';
}

export function scenarioName(doc: ResultDocument): string {
  const s = doc.scenario as { name?: unknown };
  return typeof s.name === 'string' && s.name !== '' ? s.name : 'flags';
}

/** Where the load went: each distinct target of the phases, '(bundled)' for the servers mqbench started. */
export function targets(doc: ResultDocument): string[] {
  const seen = new Set<string>();
  for (const p of doc.phases) {
    if (p.target === undefined) continue;
    seen.add(`${p.target.url}${p.target.kind === 'bundled' ? (p.target.broker === undefined ? ' (bundled)' : ` (bundled ${p.target.broker})`) : ''}`);
  }
  return [...seen];
}

export function targetText(doc: ResultDocument): string {
  const t = targets(doc);
  return t.length === 0 ? 'no target reached' : t.join(', ');
}

/** Wall time of the run, seconds (0 when the times are missing or out of order). */
export function runSeconds(doc: ResultDocument): number {
  const s = Date.parse(doc.startedAt);
  const e = Date.parse(doc.endedAt);
  return Number.isFinite(s) && Number.isFinite(e) && e > s ? (e - s) / 1000 : 0;
}

/** Wall time of one phase: connecting, ramp, warm-up, steady window and drain, seconds. */
export function phaseSeconds(p: PhaseResult): number {
  const sum = (p.connectSeconds ?? 0) + (p.params.rampSeconds ?? 0) + (p.params.warmupSeconds ?? 0) + (p.durationSeconds ?? 0) + (p.drain?.seconds ?? 0);
  return Math.round(sum * 1000) / 1000;
}

/** 'MQTT 3.1.1 / tcp', 'MQTT 5 / wss', 'WebSocket / ws broadcast'. */
export function protocolText(p: PhaseResult): string {
  const t = p.params.transport;
  if (p.params.protocol === 'ws') return `WebSocket / ${t} ${p.params.role}`;
  return `MQTT ${p.params.mqttVersion === 5 ? '5' : '3.1.1'} / ${t}`;
}

export function qosText(p: PhaseResult): string {
  return p.params.qos === null || p.params.qos === undefined ? '-' : String(p.params.qos);
}

/** The offered load: '500/s open' or 'window 100 closed'. */
export function loadText(p: PhaseResult): string {
  if (p.params.rate !== null && p.params.rate !== undefined) return `${formatRate(p.params.rate)} (open)`;
  if (p.params.inflight !== null && p.params.inflight !== undefined) return `window ${p.params.inflight} (closed)`;
  return '-';
}

/** A latency figure, or '-' when the histogram recorded nothing (0 samples is not 0 us). */
export function latency(s: LatencySummary | undefined, key: 'min' | 'mean' | 'p50' | 'p90' | 'p99' | 'p999' | 'p9999' | 'max'): string {
  return s === undefined || s.count === 0 ? '-' : formatMicros(s[key]);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US');
}

export function rate(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : formatRate(n);
}

/** Bytes on the wire per delivered message; 'n/a' when the result has no wire figures. */
export function wireBytesPerMessage(p: PhaseResult): string {
  const b = p.wire?.bytesPerMessage;
  return b === null || b === undefined ? 'n/a' : `${Math.round(b * 10) / 10} B`;
}

export function cpuPerMessage(us: number | null | undefined): string {
  return us === null || us === undefined ? 'n/a' : `${formatMicros(us)}/msg`;
}



/** The load generator, not the target, was the limit: the phase's figures describe mqbench. */
export function isSaturated(p: PhaseResult): boolean {
  return p.generator?.saturated === true;
}

/** Why a saturated phase is marked and never ranked, in the words every report uses. */
export const SATURATED_NOTE = 'the load generator, not the target, was the limit: its figures describe mqbench';

/** The stage of a timeline second; results before stages existed only had the warm-up flag. */
export function stageOf(t: TimelinePoint): TimelinePoint['stage'] {
  return t.stage ?? (t.warmup ? 'warmup' : 'steady');
}

export function groupsOf(p: PhaseResult): GroupResult[] {
  return Array.isArray(p.groups) ? p.groups : [];
}

/** Errors of a phase by kind, 'refused:2, timeout:1', or '0'. */
export function errorsText(p: PhaseResult): string {
  const e = Object.entries(p.counters.errors ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}:${n}`);
  return e.length === 0 ? '0' : e.join(', ');
}

/** Why a phase failed its delivery check or did not complete, one line each. */
export function phaseProblems(p: PhaseResult): string[] {
  const out = [...(p.deliveryFailures ?? [])];
  if (p.status === 'failed') out.push(p.error ?? 'failed');
  return out;
}

/**
 * Text for one table cell: '|' escaped, line breaks flattened, and the characters Markdown or
 * inline HTML would act on escaped, so a gate named '<b>|x' reads as written.
 */
export function mdCell(text: string | number): string {
  return String(text)
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]<>|~&]/g, (ch) => `\\${ch}`);
}

/** Text inside a Markdown code span in a table cell: the backtick would end the span, '|' the cell. */
export function codeSpan(text: string): string {
  return text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
