/**
 * The units of baseline gating, for `mqbench compare` and `mqbench run --baseline`: the
 * tolerated regression ('10%', '0.1') and the latency floor ('250us'; '0' turns it off).
 */
import { parseDuration, type Parsed } from './units.js';

/**
 * '10%' is ten percent; a bare number is a fraction ('0.1' is the same). A bare number above 1
 * is refused rather than guessed: '10' could mean 10% or 1000%; write '1000%' for the latter.
 */
export function parseTolerance(input: string): Parsed<number> {
  const text = input.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (pct?.[1] !== undefined) return { ok: true, value: Number(pct[1]) / 100 };
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const v = Number(text);
    if (v <= 1) return { ok: true, value: v };
    return { ok: false, error: `'${input}' is ambiguous: a bare number is a fraction (0.1 = 10%); write ${v}% if you mean ${v} percent` };
  }
  return { ok: false, error: `'${input}' is not a tolerance; use a percentage such as 10% or a fraction such as 0.1 (0 or more)` };
}

/** A duration with a unit ('250us', '1ms') in microseconds; '0' turns the floor off. */
export function parseLatencyFloor(input: string): Parsed<number> {
  const text = input.trim();
  if (/^0+(?:\.0+)?$/.test(text)) return { ok: true, value: 0 };
  // parseDuration reads a bare number as seconds: surprising for a latency, so a unit is required.
  if (/^\d+(?:\.\d+)?$/.test(text)) return { ok: false, error: `'${input}' has no unit; write e.g. 250us or 1ms (0 turns the floor off)` };
  const parsed = parseDuration(text);
  if (!parsed.ok) return { ok: false, error: `${parsed.error.replace(/; use e\.g\..*$/, '')}; use e.g. 250us or 1ms (0 turns the floor off)` };
  return { ok: true, value: parsed.value * 1000 };
}
