/**
 * Typed readers for scenario file values: each returns the value, or reports what is wrong at
 * its position and returns undefined (the caller falls back so checking can go on).
 */
import { parseDuration, parseRate, parseSize, type Parsed, type Qos } from './units.js';
import type { Path } from './load.js';
import type { Problems } from './context.js';

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Readers bound to one Problems collector. */
export function valueReaders(p: Problems) {
  const add = (path: Path, message: string): undefined => {
    p.add({ path }, message);
    return undefined;
  };
  const unit = <T>(path: Path, v: unknown, parse: (s: string | number) => Parsed<T>, what: string): T | undefined => {
    if (typeof v !== 'string' && typeof v !== 'number') return add(path, `must be ${what}, not ${typeName(v)}`);
    const r = parse(v);
    return r.ok ? r.value : add(path, r.error);
  };
  return {
    record(path: Path, v: unknown, example: string): Record<string, unknown> | undefined {
      return isRecord(v) ? v : add(path, `must be a mapping, e.g. ${example}, not ${typeName(v)}`);
    },
    string(path: Path, v: unknown, example: string): string | undefined {
      return typeof v === 'string' ? v : add(path, `must be a string, e.g. ${example}, not ${typeName(v)}`);
    },
    bool(path: Path, v: unknown): boolean | undefined {
      return typeof v === 'boolean' ? v : add(path, `must be true or false, not ${typeName(v)}`);
    },
    int(path: Path, v: unknown, min: number, max: number): number | undefined {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      return Number.isInteger(n) && n >= min && n <= max ? n : add(path, `'${String(v)}' must be a whole number from ${min} to ${max}`);
    },
    oneOf<T extends string | number>(path: Path, v: unknown, allowed: readonly T[]): T | undefined {
      const hit = allowed.find((a) => a === v || String(a) === String(v));
      if (hit !== undefined && (typeof v === 'string' || typeof v === 'number')) return hit;
      return add(path, `${typeof v === 'string' ? `'${v}'` : typeName(v)} is not one of ${allowed.join(', ')}`);
    },
    qos(path: Path, v: unknown): Qos | undefined {
      return v === 0 || v === 1 || v === 2 || v === '0' || v === '1' || v === '2' ? (Number(v) as Qos) : add(path, `${typeName(v)} is not a QoS level; use 0, 1 or 2`);
    },
    /** Milliseconds from '10s', '500ms', or a number of seconds. */
    durationMs(path: Path, v: unknown): number | undefined {
      return unit(path, v, parseDuration, 'a duration such as 500ms, 10s or 2m');
    },
    /** Whole seconds from a duration ('1h') or a number of seconds, at most max. */
    seconds(path: Path, v: unknown, max: number): number | undefined {
      const ms = unit(path, v, parseDuration, 'a duration such as 30s or 1h, or a number of seconds');
      if (ms === undefined) return undefined;
      if (ms % 1000 !== 0) return add(path, `${ms}ms is not a whole number of seconds; MQTT counts this in seconds, use e.g. ${Math.max(1, Math.round(ms / 1000))}s`);
      return ms / 1000 <= max ? ms / 1000 : add(path, `${ms / 1000}s is more than the most MQTT allows (${max}s)`);
    },
    rate(path: Path, v: unknown): number | undefined {
      return unit(path, v, parseRate, 'a rate such as 1000/s, 10k/s or 600/m');
    },
    size(path: Path, v: unknown): number | undefined {
      return unit(path, v, parseSize, 'a size such as 16B, 1KiB or 1MiB');
    },
    /** A share such as '50%' as a fraction (0.5). */
    percent(path: Path, v: unknown): number | undefined {
      const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
      return m?.[1] !== undefined ? Number(m[1]) / 100 : add(path, `${typeName(v)} is not a percentage; write e.g. 50% or 100%`);
    },
    /** A string or a list of strings (target, localAddress, subscribe). */
    strings(path: Path, v: unknown, example: string): string[] | undefined {
      if (typeof v === 'string') return [v];
      if (Array.isArray(v) && v.length > 0) {
        let ok = true;
        v.forEach((s, i) => {
          if (typeof s !== 'string') {
            ok = false;
            add([...path, i], `must be a string, e.g. ${example}, not ${typeName(s)}`);
          }
        });
        return ok ? (v as string[]) : undefined;
      }
      return add(path, `must be a string or a non-empty list of strings, e.g. ${example}`);
    },
  };
}

export type ValueReaders = ReturnType<typeof valueReaders>;
