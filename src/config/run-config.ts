/**
 * The validated, plain-data configuration of a run. Flags (and later scenario files)
 * are turned into this once; nothing downstream reads raw flags.
 */
import { availableParallelism } from 'node:os';
import { parseDuration, parseQosList, parseRate, parseSize, type Qos } from './units.js';
import { HEADER_BYTES } from '../metrics/payload.js';

export type { Qos } from './units.js';

export interface Target {
  /** The URL as the user wrote it, for messages and the result. */
  url: string;
  /** 'mqtt' is MQTT over TCP. */
  scheme: 'mqtt';
  host: string;
  port: number;
}

export interface RunConfig {
  /** null: start the bundled broker and aim at it. */
  target: Target | null;
  /** Publishing clients per phase. Default 1. */
  publishers: number;
  /** Subscribing clients per phase; each receives every publisher's messages. Default 1. */
  subscribers: number;
  /** One phase per listed QoS, run in this order. Default [0, 1, 2]. */
  qos: Qos[];
  /** Open model: total publish rate in messages per second over all publishers; null: closed model. */
  rate: number | null;
  /** Closed model: messages in flight per publisher (unacknowledged or not yet delivered). Default 100. */
  inflight: number;
  /** Bytes per message payload, including the 16-byte measurement header. Default 16. */
  payloadBytes: number;
  /** Measured steady duration per phase in milliseconds. Default 10 000. */
  durationMs: number;
  /** Warm-up before the steady window, measured but excluded from figures, in milliseconds. Default 2 000. */
  warmupMs: number;
  /** Grace period after publishing stops in which in-flight messages are awaited, in milliseconds. Default 5 000. */
  drainMs: number;
  /** Topic template for publishers: {client}, {n}, {worker}, {run}. */
  topic: string;
  /** Load worker threads. Default: available cores. */
  workers: number;
  /** New connections per second over all workers. Default 500. */
  connectRate: number;
  /** Time allowed for TCP connect + CONNACK, in milliseconds. Default 5 000. */
  connectTimeoutMs: number;
  /** MQTT keepalive in seconds. Default 30. */
  keepaliveSeconds: number;
  /** TCP_NODELAY on every client socket. Default true (Nagle off). */
  noDelay: boolean;
  /** Directory for the result file. Default 'results'. */
  outDir: string;
  /** Print the result document on stdout and nothing else there. */
  json: boolean;
  /** Process id of an external broker on this machine, so its CPU per message is measured too. */
  targetPid: number | null;
  /** Render colour and the progress line (a TTY). Decided by the CLI, not validated here. */
  interactive: boolean;
}

export interface ConfigIssue {
  /** Where the problem is: a flag name such as '--rate'. */
  where: string;
  /** What is wrong and what would be valid. */
  message: string;
}

/** Raw flag values as yargs hands them over (strings or numbers, possibly undefined). */
export interface RawRunFlags {
  target?: string | undefined;
  publishers?: unknown;
  subscribers?: unknown;
  qos?: unknown;
  rate?: unknown;
  inflight?: unknown;
  payload?: unknown;
  duration?: unknown;
  warmup?: unknown;
  drain?: unknown;
  topic?: unknown;
  workers?: unknown;
  connectRate?: unknown;
  connectTimeout?: unknown;
  keepalive?: unknown;
  nodelay?: unknown;
  out?: unknown;
  json?: unknown;
  targetPid?: unknown;
}

export const RUN_DEFAULTS = {
  publishers: 1,
  subscribers: 1,
  qos: '0,1,2',
  inflight: 100,
  payload: '16B',
  duration: '10s',
  warmup: '2s',
  drain: '5s',
  topic: 'mqbench/{run}/{client}',
  connectRate: '500/s',
  connectTimeout: '5s',
  keepalive: 30,
  out: 'results',
} as const;

/** Validates every flag and returns the config, or every problem found. */
export function buildRunConfig(raw: RawRunFlags, interactive: boolean): { config: RunConfig } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const add = (where: string, message: string): void => {
    issues.push({ where, message });
  };

  const int = (where: string, value: unknown, fallback: number, min: number, max: number): number => {
    const v = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(v) || v < min || v > max) {
      add(where, `'${String(value)}' must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return v;
  };
  const unit = <T>(where: string, value: unknown, fallback: string | number, parse: (s: string | number) => { ok: true; value: T } | { ok: false; error: string }, fb: T): T => {
    const r = parse(value === undefined ? fallback : (value as string | number));
    if (!r.ok) {
      add(where, r.error);
      return fb;
    }
    return r.value;
  };

  const target = raw.target === undefined || raw.target === '' ? null : parseTarget(raw.target, add);
  const publishers = int('--publishers', raw.publishers, RUN_DEFAULTS.publishers, 0, 1_000_000);
  const subscribers = int('--subscribers', raw.subscribers, RUN_DEFAULTS.subscribers, 0, 1_000_000);
  if (publishers === 0 && !issues.some((i) => i.where === '--publishers')) add('--publishers', 'at least one publisher is needed to measure anything; use --publishers 1 or more');
  const qos = unit('--qos', raw.qos, RUN_DEFAULTS.qos, parseQosList, [0] as Qos[]);
  const rate = raw.rate === undefined ? null : unit('--rate', raw.rate, 1, parseRate, 1);
  const inflight = int('--inflight', raw.inflight, RUN_DEFAULTS.inflight, 1, 65_000);
  if (rate !== null && raw.inflight !== undefined) {
    add('--rate/--inflight', 'choose one load model: --rate N (open model, constant arrival) or --inflight N (closed model, fixed window), not both');
  }
  if (rate !== null && publishers > 0 && rate / publishers > 100_000) {
    add('--rate', `${rate}/s over ${publishers} publisher(s) is more than 100000/s per client; add publishers or lower the rate`);
  }
  const payloadBytes = unit('--payload', raw.payload, RUN_DEFAULTS.payload, parseSize, 16);
  if (payloadBytes < HEADER_BYTES) add('--payload', `${payloadBytes} bytes cannot hold the ${HEADER_BYTES}-byte measurement header; use --payload ${HEADER_BYTES}B or more`);
  if (payloadBytes > 256 * 1024 * 1024) add('--payload', 'payloads above 256MiB exceed the MQTT maximum packet size; use a smaller size');
  const durationMs = unit('--duration', raw.duration, RUN_DEFAULTS.duration, parseDuration, 10_000);
  if (durationMs < 1000 && !issues.some((i) => i.where === '--duration')) add('--duration', `${durationMs}ms is too short to measure per-second throughput; use 1s or more`);
  const warmupMs = unit('--warmup', raw.warmup, RUN_DEFAULTS.warmup, parseDuration, 2000);
  const drainMs = unit('--drain', raw.drain, RUN_DEFAULTS.drain, parseDuration, 5000);
  const topic = raw.topic === undefined ? RUN_DEFAULTS.topic : String(raw.topic);
  validateTopicTemplate(topic, add);
  const workers = int('--workers', raw.workers, availableParallelism(), 1, 256);
  const connectRate = unit('--connect-rate', raw.connectRate, RUN_DEFAULTS.connectRate, parseRate, 500);
  const connectTimeoutMs = unit('--connect-timeout', raw.connectTimeout, RUN_DEFAULTS.connectTimeout, parseDuration, 5000);
  if (connectTimeoutMs < 100 && !issues.some((i) => i.where === '--connect-timeout')) add('--connect-timeout', 'must be at least 100ms');
  const keepaliveSeconds = int('--keepalive', raw.keepalive, RUN_DEFAULTS.keepalive, 0, 65_535);
  const outDir = raw.out === undefined ? RUN_DEFAULTS.out : String(raw.out);
  if (outDir.trim() === '') add('--out', 'must name a directory');
  const targetPid = raw.targetPid === undefined ? null : int('--target-pid', raw.targetPid, 0, 1, 2 ** 22);
  if (targetPid !== null && target === null && !issues.some((i) => i.where === '--target')) add('--target-pid', 'only applies with --target (the bundled broker is measured anyway)');

  if (issues.length > 0) return { issues };
  return {
    config: {
      target,
      publishers,
      subscribers,
      qos,
      rate,
      inflight,
      payloadBytes,
      durationMs,
      warmupMs,
      drainMs,
      topic,
      workers,
      connectRate,
      connectTimeoutMs,
      keepaliveSeconds,
      noDelay: raw.nodelay === undefined ? true : Boolean(raw.nodelay),
      outDir,
      json: Boolean(raw.json),
      targetPid,
      interactive,
    },
  };
}

function parseTarget(input: string, add: (where: string, message: string) => void): Target | null {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    add('--target', `'${input}' is not a URL; use mqtt://host:port, e.g. mqtt://127.0.0.1:1883`);
    return null;
  }
  if (url.protocol !== 'mqtt:') {
    add('--target', `'${url.protocol}//' is not supported yet; use mqtt://host:port (MQTT over TCP)`);
    return null;
  }
  if (url.hostname === '') {
    add('--target', `'${input}' has no host; use mqtt://host:port`);
    return null;
  }
  const port = url.port === '' ? 1883 : Number(url.port);
  // IPv6 literals come back bracketed from URL; net.connect wants them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url: input, scheme: 'mqtt', host, port };
}

const TEMPLATE_VARS = new Set(['client', 'n', 'worker', 'run']);

function validateTopicTemplate(topic: string, add: (where: string, message: string) => void): void {
  if (topic === '') {
    add('--topic', 'must not be empty; use e.g. mqbench/{run}/{client}');
    return;
  }
  if (/[#+]/.test(topic)) add('--topic', `'${topic}' contains a wildcard (+ or #); publish topics cannot, use e.g. mqbench/{run}/{client}`);
  for (const m of topic.matchAll(/\{([^}]*)\}/g)) {
    if (!TEMPLATE_VARS.has(m[1] ?? '')) add('--topic', `'{${m[1]}}' is not a template variable; use {client}, {n}, {worker} or {run}`);
  }
}
