/**
 * Limits and readers shared by flags and scenario files, so `--duration 500ms` and
 * `load.duration: 500ms` are refused with the same words.
 */
import { HEADER_BYTES } from '../metrics/payload.js';
import type { AddIssue } from './endpoints.js';
import { BROKERS, DRIVERS, type BrokerName, type DriverName } from './model.js';
import type { Parsed } from './units.js';

/** Most load worker threads; the default (one per core) is capped here too. */
export const MAX_WORKERS = 256;
/** Most clients of one group (or one client flag). */
export const MAX_CLIENTS = 10_000_000;
/** Closed model window per client. */
export const MAX_INFLIGHT = 65_000;
/** Open model: the most one client is asked to send. */
export const MAX_RATE_PER_CLIENT = 100_000;
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
/** MQTT keepalive is a 16-bit number of seconds. */
export const MAX_KEEPALIVE_SECONDS = 65_535;

/** Messages for values outside the limits; null when fine. `how` shows the fix, e.g. '--payload 16B' or 'payload: 16B'. */
export const rules = {
  payload(bytes: number, how: (size: string) => string): string | null {
    if (bytes < HEADER_BYTES) return `${bytes} bytes cannot hold the ${HEADER_BYTES}-byte measurement header; use ${how(`${HEADER_BYTES}B`)} or more`;
    if (bytes > MAX_PAYLOAD_BYTES) return 'payloads above 256MiB exceed the MQTT maximum packet size; use a smaller size';
    return null;
  },
  duration(ms: number): string | null {
    return ms < 1000 ? `${ms}ms is too short to measure per-second throughput; use 1s or more` : null;
  },
  connectTimeout(ms: number): string | null {
    return ms < 100 ? 'must be at least 100ms' : null;
  },
  ratePerClient(rate: number, clients: number, unit: string): string | null {
    return clients > 0 && rate / clients > MAX_RATE_PER_CLIENT ? `${rate}/s over ${clients} ${unit} is more than ${MAX_RATE_PER_CLIENT}/s per client; add ${unit.replace(/\(s\)$/, 's')} or lower the rate` : null;
  },
};

export interface Readers {
  /** A whole number in [min, max]; undefined takes the fallback. Blank strings are errors, not zero. */
  int(where: string, value: unknown, fallback: number, min: number, max: number): number;
  /** A unit value ('10s', '1KiB', '500/s'); undefined parses the fallback. On error `fb` is returned. */
  unit<T>(where: string, value: unknown, fallback: string | number, parse: (s: string | number) => Parsed<T>, fb: T): T;
}

/** A whole number as text: optional sign, decimal digits (a sign so '-1' gets the range message). */
const DECIMAL = /^\s*[+-]?\d+\s*$/;

export function readers(add: AddIssue): Readers {
  return {
    int(where, value, fallback, min, max) {
      // Text must be decimal digits: Number() also reads '' and ' ' as 0, '0x3' as 3 and '1e1' as 10.
      const v = value === undefined ? fallback : typeof value === 'string' ? (DECIMAL.test(value) ? Number(value) : Number.NaN) : Number(value);
      if (!Number.isInteger(v) || v < min || v > max) {
        // '0x3', '1e1': say which number to write instead.
        const other = typeof value === 'string' && value.trim() !== '' && !DECIMAL.test(value) ? Number(value) : Number.NaN;
        const digits = Number.isInteger(other) ? ` in plain decimal digits${other >= min && other <= max ? ` (write ${other})` : ''}` : '';
        add(where, `'${String(value)}' must be a whole number from ${min} to ${max}${digits}`);
        return fallback;
      }
      return v;
    },
    unit(where, value, fallback, parse, fb) {
      const r = parse(value === undefined ? fallback : (value as string | number));
      if (!r.ok) {
        add(where, r.error);
        return fb;
      }
      return r.value;
    },
  };
}

/** One of a fixed set of words (a flag's value); '' or not given: the fallback. */
export function oneOf<T extends string>(where: string, raw: unknown, allowed: readonly T[], fallback: T, add: AddIssue): T {
  if (raw === undefined || raw === '') return fallback;
  const value = String(raw);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  add(where, `'${value}' is not one of ${allowed.join(', ')}`);
  return fallback;
}

/** `--driver` (or the scenario's `driver:`): lean or mqttjs; null when not given or wrong (reported). */
export function readDriver(raw: unknown, where: string, add: AddIssue): DriverName | null {
  if (raw === undefined || raw === null) return null;
  const v = String(raw);
  if ((DRIVERS as readonly string[]).includes(v)) return v as DriverName;
  add(where, `'${v}' is not a driver; use lean (mqbench's own MQTT engine) or mqttjs (MQTT.js, the reference client)`);
  return null;
}

/** A broker mqbench starts (--broker, the file's broker:, matrix.broker), or null when not given or wrong (reported). */
export function readBroker(raw: unknown, where: string, add: AddIssue): BrokerName | null {
  if (raw === undefined || raw === null) return null;
  const v = String(raw);
  if ((BROKERS as readonly string[]).includes(v)) return v as BrokerName;
  add(where, `'${v}' is not a broker mqbench starts; use aedes (embedded, MQTT 3.1.1, the default) or mosquitto (Debian's, MQTT 5 and shared subscriptions)`);
  return null;
}
