/**
 * The validated, plain-data configuration of a run. Flags (and later scenario files)
 * are turned into this once; nothing downstream reads raw flags.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Transport } from '../drivers/transports.js';
import { parseDuration, parseQosList, parseRate, parseSize, type Qos } from './units.js';
import { HEADER_BYTES } from '../metrics/payload.js';

export type { Qos } from './units.js';

export interface Target {
  /** The URL as the user wrote it, for messages and the result. */
  url: string;
  /** From the scheme: mqtt:// tcp, mqtts:// tls, ws:// ws, wss:// wss. */
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket path ('/mqtt' when the URL has none); '' on tcp and tls. */
  path: string;
}

/** URL scheme per transport, and the port a URL without one means. */
export const SCHEMES: Record<Transport, { scheme: string; port: number }> = {
  tcp: { scheme: 'mqtt', port: 1883 },
  tls: { scheme: 'mqtts', port: 8883 },
  ws: { scheme: 'ws', port: 80 },
  wss: { scheme: 'wss', port: 443 },
};

export interface RunConfig {
  /** null: start the bundled broker and aim at it. */
  target: Target | null;
  /** mqtt, or plain WebSocket (ws) against an echo/broadcast server. Default mqtt. */
  protocol: Protocol;
  /** Plain WebSocket: echo (round trip per client) or broadcast (one sender, many receivers). Default echo. */
  wsRole: WsRole;
  /** From --target's scheme, else --transport. Default tcp for mqtt, ws for plain WebSocket. */
  transport: Transport;
  /** PEM certificate(s) to trust for tls/wss from --ca; null: the bundled CA or the system store. */
  caPem: string | null;
  /** --ca as given, for messages. */
  caPath: string | null;
  /** Skip server certificate verification (--insecure). Default false. */
  insecure: boolean;
  /** Source addresses connections are spread over (--local-address); empty: the OS picks. */
  localAddresses: string[];
  /** Idle connect-only clients held for the phase beside publishers and subscribers. Default 0. */
  connections: number;
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

export type Protocol = 'mqtt' | 'ws';
export type WsRole = 'echo' | 'broadcast';

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
  transport?: unknown;
  ca?: unknown;
  insecure?: unknown;
  localAddress?: unknown;
  connections?: unknown;
  protocol?: unknown;
  role?: unknown;
}

/** Most load worker threads; the default (one per core) is capped here too. */
export const MAX_WORKERS = 256;

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
    // Number('') and Number(' ') are 0: a blank value is an error, not zero.
    const v = value === undefined ? fallback : typeof value === 'string' && value.trim() === '' ? Number.NaN : Number(value);
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
  const protocol = oneOf('--protocol', raw.protocol, ['mqtt', 'ws'] as const, 'mqtt', add);
  const wsRole = oneOf('--role', raw.role, ['echo', 'broadcast'] as const, 'echo', add);
  if (raw.role !== undefined && protocol !== 'ws') add('--role', 'applies to --protocol ws only (MQTT phases publish and subscribe)');
  const transport = resolveTransport(raw.transport, target, protocol, add);
  const publishers = int('--publishers', raw.publishers, RUN_DEFAULTS.publishers, 0, 1_000_000);
  const subscribers = int('--subscribers', raw.subscribers, RUN_DEFAULTS.subscribers, 0, 1_000_000);
  const connections = int('--connections', raw.connections, 0, 0, 10_000_000);
  if (publishers === 0 && connections === 0 && !issues.some((i) => i.where === '--publishers')) {
    add('--publishers', 'at least one publisher (or --connections N idle clients) is needed to measure anything; use --publishers 1 or more');
  }
  const insecure = Boolean(raw.insecure);
  const caPath = raw.ca === undefined || raw.ca === '' ? null : String(raw.ca);
  const caPem = caPath === null ? null : readCa(caPath, add);
  if (caPath !== null && insecure) add('--ca/--insecure', 'choose one: --ca FILE verifies the broker against that CA, --insecure skips verification');
  const localAddresses = parseLocalAddresses(raw.localAddress, add);
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
  const workers = int('--workers', raw.workers, Math.min(availableParallelism(), MAX_WORKERS), 1, MAX_WORKERS);
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
      protocol,
      wsRole,
      transport,
      caPem,
      caPath,
      insecure,
      localAddresses,
      connections,
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
  const scheme = url.protocol.slice(0, -1);
  const transport = (Object.keys(SCHEMES) as Transport[]).find((t) => SCHEMES[t].scheme === scheme);
  if (transport === undefined) {
    add('--target', `'${url.protocol}//' is not an MQTT URL; use mqtt:// (TCP), mqtts:// (TLS), ws:// or wss:// (WebSocket, path /mqtt by default)`);
    return null;
  }
  if (url.hostname === '') {
    add('--target', `'${input}' has no host; use ${scheme}://host:port`);
    return null;
  }
  const port = url.port === '' ? SCHEMES[transport].port : Number(url.port);
  if (port === 0) {
    add('--target', `'${input}' names port 0, which nothing listens on; give the broker's port`);
    return null;
  }
  // IPv6 literals come back bracketed from URL; net.connect wants them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const ws = transport === 'ws' || transport === 'wss';
  // An empty path is filled in by the protocol: /mqtt, /echo or /broadcast.
  const path = ws ? (url.pathname === '/' ? '' : url.pathname) + url.search : '';
  return { url: input, transport, host, port, path };
}

function oneOf<T extends string>(where: string, raw: unknown, allowed: readonly T[], fallback: T, add: (where: string, message: string) => void): T {
  if (raw === undefined || raw === '') return fallback;
  const value = String(raw);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  add(where, `'${value}' is not one of ${allowed.join(', ')}`);
  return fallback;
}

function resolveTransport(raw: unknown, target: Target | null, protocol: Protocol, add: (where: string, message: string) => void): Transport {
  const fallback: Transport = target?.transport ?? (protocol === 'ws' ? 'ws' : 'tcp');
  if (protocol === 'ws' && (fallback === 'tcp' || fallback === 'tls')) {
    add('--target', `plain WebSocket needs a ws:// or wss:// target, not ${target?.url ?? fallback}`);
  }
  if (raw === undefined || raw === '') return fallback;
  const value = String(raw);
  if (protocol === 'ws' && value !== 'ws' && value !== 'wss') {
    add('--transport', `plain WebSocket runs over ws or wss, not ${value}`);
    return 'ws';
  }
  if (!Object.hasOwn(SCHEMES, value)) {
    add('--transport', `'${value}' is not a transport; use tcp, tls, ws or wss`);
    return 'tcp';
  }
  const transport = value as Transport;
  if (target !== null && target.transport !== transport) {
    add('--transport', `--transport ${transport} contradicts --target ${target.url} (${target.transport}); the target's scheme decides, drop --transport or use ${SCHEMES[transport].scheme}://`);
  }
  return transport;
}

function readCa(path: string, add: (where: string, message: string) => void): string | null {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      add('--ca', `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate file in PEM form`);
      return null;
    }
    return pem;
  } catch (err) {
    add('--ca', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; give a readable PEM file`);
    return null;
  }
}

function parseLocalAddresses(raw: unknown, add: (where: string, message: string) => void): string[] {
  if (raw === undefined || raw === '') return [];
  const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const a of list) {
    if (isIP(a) === 0) add('--local-address', `'${a}' is not an IP address; give addresses of this machine, e.g. 127.0.0.2,127.0.0.3`);
  }
  return list;
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
