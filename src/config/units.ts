/**
 * Unit parsing for flags and scenario values: durations ('10s'), sizes ('1KiB'),
 * rates ('500/s'). Pure functions returning a value or an error message; callers
 * collect the messages so every problem is reported at once.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
/** '-2s', ' -1KiB': a value with a minus sign, told apart from other typos (`--warmup -2s` reaches here whole: cli/argv.ts). */
const NEGATIVE = /^\s*-\s*\.?\d/;
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

const DURATION_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses '250ms', '10s', '1.5m', '1h', '500us' into milliseconds. A bare number means seconds. */
export function parseDuration(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    if (input < 0) return fail(`'${input}': a duration must not be negative; use e.g. 500ms, 10s, 2m`);
    return Number.isFinite(input) ? ok(input * 1000) : fail(`'${input}' is not a duration; use e.g. 500ms, 10s, 2m`);
  }
  if (NEGATIVE.test(input)) return fail(`'${input}': a duration must not be negative; use e.g. 500ms, 10s, 2m`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/i.exec(input);
  if (!m || m[1] === undefined) return fail(`'${input}' is not a duration; use e.g. 500ms, 10s, 2m`);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = DURATION_MS[unit];
  if (factor === undefined) return fail(`'${input}' has an unknown duration unit; use us, ms, s, m or h`);
  return ok(Number(m[1]) * factor);
}

/**
 * A duration given as a flag or an MQBENCH_ variable: as parseDuration, but a number without a
 * unit is refused (`--duration 5` could mean 5 ms or 5 s); 0 needs none.
 */
export function parseFlagDuration(input: string | number): Parsed<number> {
  const bare = typeof input === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*$/.exec(input)?.[1] : undefined;
  if (bare !== undefined && Number(bare) !== 0) return fail(`'${input}' has no unit; write ${bare}s (or ${bare}ms, ${bare}m)`);
  return parseDuration(input);
}

const SIZE_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1_000_000,
  mib: 1024 * 1024,
};

/** Parses '16', '16B', '1KiB', '1KB' (1000), '2MiB' into bytes (whole numbers only). */
export function parseSize(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    if (input < 0) return fail(`'${input}': a size must not be negative; use e.g. 16B, 1KiB`);
    return Number.isInteger(input) ? ok(input) : fail(`'${input}' is not a size in bytes; use e.g. 16B, 1KiB`);
  }
  if (NEGATIVE.test(input)) return fail(`'${input}': a size must not be negative; use e.g. 16B, 512B, 1KiB, 1MiB`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?\s*$/i.exec(input);
  if (!m || m[1] === undefined) return fail(`'${input}' is not a size; use e.g. 16B, 512B, 1KiB, 1MiB`);
  const factor = SIZE_BYTES[(m[2] ?? 'b').toLowerCase()];
  if (factor === undefined) return fail(`'${input}' has an unknown size unit; use B, KB, KiB, MB or MiB`);
  const bytes = Number(m[1]) * factor;
  if (!Number.isInteger(bytes)) return fail(`'${input}' is not a whole number of bytes`);
  return ok(bytes);
}

/** Parses '500', '500/s', '10k/s', '2.5k', '600/m' into events per second. */
export function parseRate(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input > 0 ? ok(input) : fail(`'${input}' is not a positive rate; use e.g. 1000 or 1000/s`);
  }
  if (NEGATIVE.test(input)) return fail(`'${input}': a rate must not be negative; use one above zero, e.g. 1000, 1000/s, 10k/s`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m)?\s*(?:\/\s*(s|m|h))?\s*$/i.exec(input);
  if (!m || m[1] === undefined) return fail(`'${input}' is not a rate; use e.g. 1000, 1000/s, 10k/s, 600/m`);
  const mult = m[2] === undefined ? 1 : m[2].toLowerCase() === 'k' ? 1000 : 1_000_000;
  const per = (m[3] ?? 's').toLowerCase();
  const divisor = per === 's' ? 1 : per === 'm' ? 60 : 3600;
  const rate = (Number(m[1]) * mult) / divisor;
  if (!(rate > 0)) return fail(`'${input}' must be greater than zero`);
  return ok(rate);
}

export type Qos = 0 | 1 | 2;

/** Parses '0,1,2' or '1' into a list of distinct QoS levels in the given order. */
export function parseQosList(input: string | number | ReadonlyArray<string | number>): Parsed<Qos[]> {
  const parts = Array.isArray(input)
    ? input.flatMap((p) => String(p).split(','))
    : String(input).split(',');
  const out: Qos[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p !== '0' && p !== '1' && p !== '2') return fail(`'${raw}' is not a QoS level; use 0, 1 or 2, comma-separated (e.g. 0,1,2)`);
    const q = Number(p) as Qos;
    if (out.includes(q)) return fail(`QoS ${q} is listed twice`);
    out.push(q);
  }
  if (out.length === 0) return fail('no QoS level given; use 0, 1 or 2, comma-separated');
  return ok(out);
}

/** The unit of a metric's value: microseconds, per second, a count, percent, bytes, ... */
export type MetricUnit = 'us' | '/s' | 'count' | '%' | 'B' | 'B/s' | 'us/msg' | 'B/msg' | 'bool';
