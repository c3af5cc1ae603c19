/**
 * How figures read, in every report, gate message and error: microseconds, rates, bytes, a
 * metric in its unit, a relative change and a p-value, each written one way.
 */
import type { MetricUnit } from '../config/units.js';

/** Formats microseconds for people: 850us, 12.3ms, 1.20s. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '-';
  // The unit is chosen by the value as it will be rounded, so 999.6us reads 1.00ms, not 1000us.
  if (Math.round(us) < 1000) return `${Math.round(us)}us`;
  const ms = us / 1000;
  if (ms < 9.995) return `${ms.toFixed(2)}ms`;
  if (ms < 999.95) return `${ms.toFixed(1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** Formats a count per second with thousands separators. */
export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)}MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)}GiB`;
}

/** A metric value for people, in its unit. */
export function formatMetric(unit: MetricUnit, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  switch (unit) {
    case 'us':
      return formatMicros(v);
    case 'us/msg':
      return `${formatMicros(v)}/msg`;
    case '/s':
      return `${Math.round(v).toLocaleString('en-US')}/s`;
    case 'B/s':
      return `${formatBytes(v)}/s`;
    case 'B':
      return formatBytes(v);
    case 'B/msg':
      return `${Math.round(v * 10) / 10}B/msg`;
    case '%':
      return `${Number(v.toPrecision(3))}%`;
    case 'bool':
      return v === 0 ? 'false' : 'true';
    case 'count':
      return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Math.round(v * 1000) / 1000);
    default:
      // A unit added by a later mqbench, in a result read by this one: the bare number still reads.
      return String(v);
  }
}

/** A fraction as a percent (0.1 -> '10%'): three significant digits, whole percent from 100% up. */
export function formatPercent(fraction: number): string {
  const pct = fraction * 100;
  return `${Math.abs(pct) >= 100 ? Math.round(pct) : Number(pct.toPrecision(3))}%`;
}

/** A relative change (0.123 -> '+12.3%'): three significant digits, whole percent from 100% up; '' when there is none. */
export function formatChange(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '';
  return `${fraction > 0 ? '+' : ''}${formatPercent(fraction)}`;
}

/** A p-value: two significant digits, 'p<0.001' below that; '' when there is none. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '';
  return p < 0.001 ? 'p<0.001' : `p=${Number(p.toPrecision(2))}`;
}
