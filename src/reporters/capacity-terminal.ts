/**
 * The terminal view of a capacity search: one row per level (offered, achieved, p50/p99, lost,
 * pass/fail, why), the answer, and the fitted USL stated as a model. Returns text.
 */
import type { Chalk } from 'chalk';
import { formatLevel, levelMark } from '../metrics/capacity.js';
import type { CapacityLevel, CapacitySection } from '../metrics/capacity-result.js';
import { formatMicros } from '../metrics/format.js';

type Paint = InstanceType<typeof Chalk>;

const n = (v: number | null): string => (v === null ? '-' : Math.round(v).toLocaleString('en-US'));
const us = (v: number | null): string => (v === null ? '-' : formatMicros(v));

/** The live line printed as each level is judged. */
export function capacityLevelLine(l: CapacityLevel, unit: string): string {
  return `level ${formatLevel(unit, l.level)} (${l.kind}): ${levelMark(l).toUpperCase()} · achieved ${n(l.achieved)} · p50 ${us(l.p50)} p99 ${us(l.p99)} · lost ${l.lost} · ${l.why}`;
}

export function capacityLines(s: CapacitySection, c: Paint): string[] {
  // level: in the dimension's unit (for rate, the messages/s offered); asked/s: the publishers' rate.
  const header = [`level (${s.unit})`, 'kind', 'asked/s', 'achieved', 'sent/s', 'recv/s', 'p50', 'p99', 'lost', 'result', 'why'];
  const rows = s.levels.map((l) => [n(l.level), l.kind, n(l.offeredRate), n(l.achieved), n(l.sentRate), n(l.receivedRate), us(l.p50), us(l.p99), String(l.lost), levelMark(l), l.why]);
  const widths = header.map((h, i) => (i === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const fmt = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : i <= 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const lines = [c.bold(`capacity search: ${s.dimension} from ${n(s.settings.from)} to ${n(s.settings.to)} ${s.unit}, step ${s.settings.step}, precision ${s.settings.precision}, ${s.settings.confirm} confirmation(s), ${s.settings.warmupSeconds}s warm-up + ${s.settings.stepSeconds}s per level`)];
  const slo = [`received >= ${Math.round(s.settings.minDelivery * 1000) / 10}% of expected`, 'no loss at QoS 1/2', ...s.settings.slo];
  lines.push(c.dim(`conditions: ${slo.join(' · ')}`));
  lines.push(c.bold(fmt(header)));
  for (const [i, r] of rows.entries()) {
    const l = s.levels[i] as CapacityLevel;
    const line = fmt(r);
    lines.push(l.verdict === 'pass' ? line : l.verdict === 'saturated' ? c.yellow(line) : c.red(line));
  }
  lines.push('');
  if (s.usl !== null) {
    const u = s.usl;
    const peak = u.peakN === null ? 'no peak (kappa 0)' : `modelled peak at ${formatLevel(s.unit, u.peakN)}`;
    lines.push(c.dim(`USL model (not a measurement): sigma ${u.sigma.toPrecision(3)} (contention), kappa ${u.kappa.toPrecision(3)} (coherency), lambda ${u.lambda.toPrecision(4)}, R² ${u.rSquared.toFixed(3)} over ${u.points} level(s) that held; ${peak}`));
  }
  const bracket = s.bracket.high === null ? '' : ` · bracket ${n(s.bracket.low)}-${n(s.bracket.high)}`;
  lines.push(c.dim(`search took ${s.durationSeconds}s over ${s.levels.length} level(s)${bracket}`));
  const mark = s.end === 'found' || s.end === 'reached-to' ? c.green.bold : s.lowerBound ? c.yellow.bold : c.red.bold;
  lines.push(mark(s.summary));
  lines.push('');
  return lines;
}
