/**
 * Thresholds: `<scope>[.qosN].<metric> <op> <value><unit>`, e.g. `mqtt.e2e.qos1.p99 < 20ms`,
 * `mqtt.lost.qos1 == 0`, `mqtt.received.rate > 10k/s`, `ws.rtt.p99 < 5ms`,
 * `mqtt-tcp-qos1.generator.cpuPerMessage < 50us`. A threshold is checked on every phase its
 * scope and QoS select, each phase on its own (one gate per phase); it fails when any fails.
 */
import type { Op, Threshold } from '../config/model.js';
import type { MetricUnit } from '../config/units.js';
import type { PhaseResult } from '../metrics/result.js';
import { metricDef, similarMetrics } from '../metrics/names.js';
import { formatMetric } from '../metrics/format.js';

/** The part of a phase a scope is matched against (a planned phase or a finished one). */
export interface PhaseIdentity {
  name: string;
  params: { protocol: string; qos: number | null };
}

export type ParsedThreshold = { ok: true; threshold: Threshold } | { ok: false; error: string };

const GRAMMAR = /^\s*([A-Za-z0-9_*][A-Za-z0-9_.*-]*)\s*(<=|>=|==|!=|<|>)\s*(\S(?:.*\S)?)\s*$/;
const OPS_HELP = 'write <metric> <op> <value>, op one of < <= > >= == !=, e.g. mqtt.e2e.qos1.p99 < 20ms';

export function parseThreshold(text: string, source: Threshold['source'], index = 0): ParsedThreshold {
  const m = GRAMMAR.exec(text);
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
    return { ok: false, error: `'${text}' is not a threshold; ${OPS_HELP}` };
  }
  const [, path, op, rawValue] = m;
  const parts = path.split('.');
  const scope = parts.shift() ?? '';
  if (parts.length === 0) {
    return { ok: false, error: `'${path}' names no metric after the scope '${scope}'; e.g. ${scope}.e2e.p99 or ${scope}.received.rate (README: "Thresholds")` };
  }
  let qos: Threshold['qos'] = null;
  const rest: string[] = [];
  for (const part of parts) {
    const q = /^qos([0-2])$/.exec(part)?.[1];
    if (q === undefined) {
      rest.push(part);
      continue;
    }
    if (qos !== null) return { ok: false, error: `'${path}' names a QoS twice; keep one qos0, qos1 or qos2` };
    qos = Number(q) as 0 | 1 | 2;
  }
  const name = rest.join('.');
  const metric = metricDef(name);
  if (metric === null) {
    const close = similarMetrics(name);
    return { ok: false, error: `'${name}' in '${text}' is not a metric${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''} (every metric is listed in the README under "Thresholds")` };
  }
  if (metric.unit === 'bool' && op !== '==' && op !== '!=') {
    return { ok: false, error: `'${text}': ${metric.name} is true or false; compare it with == or != (e.g. ${scope}.${metric.name} == false)` };
  }
  const value = parseValue(rawValue, metric.unit);
  if (typeof value === 'string') return { ok: false, error: `'${text}': ${value}` };
  return { ok: true, threshold: { expression: text.trim(), scope, qos, metric: metric.name, unit: metric.unit, op: op as Op, value, source, index } };
}

const TIME_US: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const SIZE_B: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1024 * 1024, gb: 1e9, gib: 1024 ** 3 };
const COUNT_MULT: Record<string, number> = { '': 1, k: 1000, m: 1_000_000 };

/** A threshold value in the metric's unit, or what is wrong with it. */
export function parseValue(raw: string, unit: MetricUnit): number | string {
  const s = raw.trim();
  if (unit === 'bool') {
    const b = s.toLowerCase();
    return b === 'true' || b === '1' ? 1 : b === 'false' || b === '0' ? 0 : `'${raw}' is not true or false`;
  }
  const num = /^(-?\d+(?:\.\d+)?)\s*(.*)$/.exec(s);
  if (num === null || num[1] === undefined) return `'${raw}' is not a number with a unit; ${example(unit)}`;
  const n = Number(num[1]);
  const suffix = (num[2] ?? '').trim();
  const lower = suffix.toLowerCase();
  switch (unit) {
    case 'us':
    case 'us/msg': {
      const u = unit === 'us/msg' ? lower.replace(/\/msg$/, '') : lower;
      const f = TIME_US[u];
      if (u === '') return `'${raw}' needs a time unit (us, ms, s); ${example(unit)}`;
      if (f === undefined) return `'${suffix}' is not a time unit; use us, ms or s (${example(unit)})`;
      return n * f;
    }
    case '/s': {
      const r = /^(k|m)?\s*(?:\/\s*(s|m|h))?$/i.exec(suffix);
      if (r === null) return `'${suffix}' is not a rate unit; use /s, k/s or M/s (${example(unit)})`;
      const per = (r[2] ?? 's').toLowerCase();
      return (n * (COUNT_MULT[(r[1] ?? '').toLowerCase()] ?? 1)) / (per === 's' ? 1 : per === 'm' ? 60 : 3600);
    }
    case 'B/s': {
      const r = /^([kmg]i?b|b)?\s*\/\s*s$/i.exec(suffix);
      if (r === null) return `'${suffix}' is not a byte rate; use B/s, KiB/s, MiB/s (${example(unit)})`;
      return n * (SIZE_B[(r[1] ?? 'b').toLowerCase()] ?? 1);
    }
    case 'B':
    case 'B/msg': {
      const u = lower.replace(/\/msg$/, '');
      const f = SIZE_B[u === '' ? 'b' : u];
      if (f === undefined) return `'${suffix}' is not a size unit; use B, KiB or MiB (${example(unit)})`;
      return n * f;
    }
    case '%':
      if (suffix !== '%') return `'${raw}' is a percentage: write the % sign (${example(unit)})`;
      return n;
    case 'count': {
      const f = COUNT_MULT[lower];
      if (f === undefined) return `'${suffix}' is not a unit for a count; write a plain number such as 0 or 1000 (or 10k)`;
      return n * f;
    }
  }
}

function example(unit: MetricUnit): string {
  const e: Record<MetricUnit, string> = {
    us: 'e.g. 20ms, 500us, 1.5s',
    'us/msg': 'e.g. 50us',
    '/s': 'e.g. 10000, 10k/s',
    'B/s': 'e.g. 10MiB/s',
    B: 'e.g. 1KiB',
    'B/msg': 'e.g. 120B',
    '%': 'e.g. 0.1%',
    count: 'e.g. 0',
    bool: 'true or false',
  };
  return e[unit];
}

/** Does the scope select this phase? */
export function scopeMatches(scope: string, qos: Threshold['qos'], phase: PhaseIdentity): boolean {
  if (qos !== null && phase.params.qos !== qos) return false;
  if (scope === 'all' || scope === '*') return true;
  if (scope === 'mqtt' || scope === 'ws') return phase.params.protocol === scope;
  return phase.name === scope || phase.name.startsWith(`${scope}-`);
}

/** Thresholds that select none of these phases: each an error naming the phases there are. */
export function unmatchedThresholds(thresholds: readonly Threshold[], phases: readonly PhaseIdentity[]): Array<{ where: string; message: string }> {
  const names = phases.map((p) => `${p.name} (${p.params.protocol}${p.params.qos !== null ? `, qos${p.params.qos}` : ''})`).join(', ');
  return thresholds
    .filter((t) => !phases.some((p) => scopeMatches(t.scope, t.qos, p)))
    .map((t) => ({
      where: t.source === 'flag' ? '--threshold' : `thresholds[${t.index}]`,
      message: `'${t.expression}' selects no phase of this run (scope '${t.scope}'${t.qos !== null ? `, qos${t.qos}` : ''}); the phases are ${names}; scopes are all, mqtt, ws, a phase name or its prefix such as mqtt-tcp`,
    }));
}

export function compare(v: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<':
      return v < limit;
    case '<=':
      return v <= limit;
    case '>':
      return v > limit;
    case '>=':
      return v >= limit;
    case '==':
      return v === limit;
    case '!=':
      return v !== limit;
  }
}

export interface ThresholdCheck {
  threshold: Threshold;
  phase: string;
  value: number | null;
  passed: boolean;
  message: string;
}

/** Checks one threshold on one phase. A figure that was not measured cannot pass a gate. */
export function checkPhase(t: Threshold, phase: PhaseResult): ThresholdCheck {
  const base = { threshold: t, phase: phase.name };
  if (phase.status === 'skipped') return { ...base, value: null, passed: false, message: `${t.expression}: phase ${phase.name} did not run` };
  const value = metricDef(t.metric)?.get(phase) ?? null;
  if (value === null) {
    return { ...base, value, passed: false, message: `${t.expression}: ${t.metric} was not measured in ${phase.name} (no samples)${t.qos === null ? '; narrow the scope, e.g. with qos1' : ''}` };
  }
  const passed = compare(value, t.op, t.value);
  const measured = formatMetric(t.unit, value);
  return { ...base, value, passed, message: `${t.expression}: ${phase.name} measured ${measured}` };
}

/** Every check of these thresholds on the phases they select. */
export function checkThresholds(thresholds: readonly Threshold[], phases: readonly PhaseResult[]): ThresholdCheck[] {
  return thresholds.flatMap((t) => phases.filter((p) => scopeMatches(t.scope, t.qos, p)).map((p) => checkPhase(t, p)));
}
