/**
 * The fields of one group (or of `defaults`) as written, parsed into typed values. Merging
 * defaults with a group's own fields and the rules between fields are in group.ts.
 */
import { GROUP_ROLES, type GroupRole, type MqttVersion, type PayloadSpec, type Protocol, type WillSpec } from './model.js';
import type { Qos } from './units.js';
import { TRANSPORTS, type Transport } from '../drivers/transports.js';
import { HEADER_BYTES } from '../metrics/payload.js';
import { MAX_CLIENTS, MAX_INFLIGHT, MAX_KEEPALIVE_SECONDS, MAX_RATE_PER_CLIENT, rules } from './value-rules.js';
import { checkKeys, type Problems } from './context.js';
import type { Path } from './load.js';
import { filterProblems, PAYLOAD_VARS, templateVarProblems, topicProblems } from './topics.js';
import { isRecord, valueReaders } from './values.js';

export const GROUP_KEYS = [
  'name', 'protocol', 'transport', 'mqttVersion', 'clients', 'connectRate', 'role', 'topic', 'subscribe', 'qos', 'payload', 'retain',
  'rate', 'ratePerClient', 'inflight', 'messages', 'session', 'will', 'keepalive', 'properties', 'start', 'offline', 'drop',
] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** Fields plain WebSocket groups do not have (a `defaults` value for them skips ws groups). */
export const MQTT_ONLY: readonly GroupKey[] = ['mqttVersion', 'qos', 'retain', 'session', 'will', 'properties', 'subscribe', 'offline'];
/** Fields of publishing roles only (publish, both, echo). */
export const PUBLISH_ONLY: readonly GroupKey[] = ['rate', 'ratePerClient', 'inflight', 'messages'];
/** The load model: one of these per group (a group's own replaces all three of `defaults`). */
export const LOAD_MODEL: readonly GroupKey[] = ['rate', 'ratePerClient', 'inflight'];

export const SESSION_KEYS = ['clean', 'expiry'];
export const WILL_KEYS = ['topic', 'qos', 'retain'];
export const PROPERTIES_KEYS = ['userProperties', 'messageExpiry', 'topicAlias'];

/** Parsed values of the fields written in one mapping; a field with an error is left out. */
export interface GroupFields {
  name?: string;
  protocol?: Protocol;
  transport?: Transport;
  mqttVersion?: MqttVersion;
  clients?: number;
  connectRate?: number;
  role?: GroupRole;
  topic?: string;
  subscribe?: string[];
  qos?: Qos;
  payload?: PayloadSpec;
  retain?: boolean;
  rate?: number;
  ratePerClient?: number;
  inflight?: number;
  messages?: number;
  session?: { clean: boolean; expirySeconds: number | null };
  will?: WillSpec;
  keepalive?: number;
  properties?: { userProperties: Record<string, string>; messageExpirySeconds: number | null; topicAlias: boolean };
  start?: number;
  offline?: { atMs: number; forMs: number };
  drop?: { atMs: number };
}

type Readers = ReturnType<typeof valueReaders>;

/** Parses every field of `raw` (a group at `base`, or `defaults` when isDefaults). */
export function parseGroupFields(raw: Record<string, unknown>, base: Path, p: Problems, isDefaults: boolean): GroupFields {
  const r = valueReaders(p);
  const known = isDefaults ? GROUP_KEYS.filter((k) => k !== 'name') : GROUP_KEYS;
  checkKeys(raw, known, base, p, isDefaults ? 'defaults (group field)' : 'group');
  const out: GroupFields = {};
  const has = (k: GroupKey): boolean => Object.hasOwn(raw, k);
  const path = (...rest: Array<string | number>): Path => [...base, ...rest];
  const set = <K extends keyof GroupFields>(k: K, v: GroupFields[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };

  if (has('name')) {
    const name = r.string(path('name'), raw['name'], 'sensors');
    if (name !== undefined && !/^[A-Za-z0-9_-]+$/.test(name)) p.add({ path: path('name') }, `'${name}' must be letters, digits, - and _ only (it is part of client ids and topics), e.g. sensors`);
    else set('name', name);
  }
  if (has('protocol')) set('protocol', r.oneOf(path('protocol'), raw['protocol'], ['mqtt', 'ws'] as const));
  if (has('transport')) set('transport', r.oneOf(path('transport'), raw['transport'], TRANSPORTS));
  if (has('mqttVersion')) {
    const v = raw['mqttVersion'];
    const s = String(v);
    if (s === '3.1.1' || s === '4') out.mqttVersion = 4;
    else if (s === '5' || s === '5.0') out.mqttVersion = 5;
    else p.add({ path: path('mqttVersion') }, `'${s}' is not an MQTT version; use 3.1.1 or 5`);
  }
  if (has('clients')) set('clients', r.int(path('clients'), raw['clients'], 1, MAX_CLIENTS));
  if (has('connectRate')) set('connectRate', r.rate(path('connectRate'), raw['connectRate']));
  if (has('role')) set('role', r.oneOf(path('role'), raw['role'], GROUP_ROLES));
  if (has('topic')) {
    const topic = r.string(path('topic'), raw['topic'], 'sensors/{run}/{client}');
    const problems = topic === undefined ? [] : topicProblems(topic);
    for (const m of problems) p.add({ path: path('topic') }, m);
    if (topic !== undefined && problems.length === 0) out.topic = topic;
  }
  if (has('subscribe')) set('subscribe', readFilters(raw['subscribe'], path('subscribe'), r, p));
  if (has('qos')) set('qos', r.qos(path('qos'), raw['qos']));
  if (has('payload')) set('payload', parsePayload(raw['payload'], path('payload'), p));
  if (has('retain')) set('retain', r.bool(path('retain'), raw['retain']));
  if (has('rate')) set('rate', r.rate(path('rate'), raw['rate']));
  if (has('ratePerClient')) {
    const rate = r.rate(path('ratePerClient'), raw['ratePerClient']);
    if (rate !== undefined && rate > MAX_RATE_PER_CLIENT) p.add({ path: path('ratePerClient') }, `${rate}/s per client is more than one client can be asked to send (${MAX_RATE_PER_CLIENT}/s); add clients and lower ratePerClient`);
    else set('ratePerClient', rate);
  }
  if (has('inflight')) set('inflight', r.int(path('inflight'), raw['inflight'], 1, MAX_INFLIGHT));
  if (has('messages')) set('messages', r.int(path('messages'), raw['messages'], 1, Number.MAX_SAFE_INTEGER));
  const models = LOAD_MODEL.filter(has);
  if (models.length > 1) {
    p.add({ path: path(models[1] ?? 'rate') }, `choose one load model: ${models.join(' and ')} are both set; rate (open, total), ratePerClient (open, per client) or inflight (closed window)`);
  }
  if (has('session')) set('session', readSession(raw['session'], path('session'), r, p));
  if (has('will')) set('will', readWill(raw['will'], path('will'), r, p));
  if (has('keepalive')) set('keepalive', r.seconds(path('keepalive'), raw['keepalive'], MAX_KEEPALIVE_SECONDS));
  if (has('properties')) set('properties', readProperties(raw['properties'], path('properties'), r, p));
  if (has('start')) set('start', r.durationMs(path('start'), raw['start']));
  if (has('offline')) set('offline', readOffline(raw['offline'], path('offline'), r, p));
  if (has('drop')) set('drop', readDrop(raw['drop'], path('drop'), r, p));
  return out;
}

/** session: { clean, expiry }. */
function readSession(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['session'] {
  const s = r.record(base, v, '{ clean: false, expiry: 1h }');
  if (s !== undefined) {
    checkKeys(s, SESSION_KEYS, base, p, 'session');
    const clean = Object.hasOwn(s, 'clean') ? r.bool([...base, 'clean'], s['clean']) : true;
    const expiry = Object.hasOwn(s, 'expiry') ? r.seconds([...base, 'expiry'], s['expiry'], 2 ** 32 - 1) : null;
    if (clean !== undefined && expiry !== undefined) return { clean, expirySeconds: expiry };
  }
  return undefined;
}

/** will: { topic, qos, retain }; the topic is required. */
function readWill(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['will'] {
  const w = r.record(base, v, '{ topic: wills/{run}/{client}, qos: 1 }');
  if (w !== undefined) {
    checkKeys(w, WILL_KEYS, base, p, 'will');
    let topic: string | undefined;
    if (!Object.hasOwn(w, 'topic')) p.add({ path: base }, 'needs a topic, e.g. will: { topic: wills/{run}/{client} }');
    else {
      topic = r.string([...base, 'topic'], w['topic'], 'wills/{run}/{client}');
      const problems = topic === undefined ? [] : topicProblems(topic);
      for (const m of problems) p.add({ path: [...base, 'topic'] }, m);
      if (problems.length > 0) topic = undefined;
    }
    const qos = Object.hasOwn(w, 'qos') ? r.qos([...base, 'qos'], w['qos']) : 0;
    const retain = Object.hasOwn(w, 'retain') ? r.bool([...base, 'retain'], w['retain']) : false;
    if (topic !== undefined && qos !== undefined && retain !== undefined) return { topic, qos, retain };
  }
  return undefined;
}

/** MQTT 5 properties: userProperties, messageExpiry, topicAlias. */
function readProperties(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['properties'] {
  const pr = r.record(base, v, '{ userProperties: { team: iot }, messageExpiry: 60s }');
  if (pr !== undefined) {
    checkKeys(pr, PROPERTIES_KEYS, base, p, 'properties');
    let userProperties: Record<string, string> | undefined = {};
    if (Object.hasOwn(pr, 'userProperties')) {
      const up = r.record([...base, 'userProperties'], pr['userProperties'], '{ team: iot }');
      if (up === undefined) userProperties = undefined;
      else {
        for (const [k, value] of Object.entries(up)) {
          if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') userProperties![k] = String(value);
          else {
            p.add({ path: [...base, 'userProperties', k] }, 'a user property value must be a string (or a number), e.g. team: iot');
            userProperties = undefined;
            break;
          }
        }
      }
    }
    const expiry = Object.hasOwn(pr, 'messageExpiry') ? r.seconds([...base, 'messageExpiry'], pr['messageExpiry'], 2 ** 32 - 1) : null;
    const topicAlias = Object.hasOwn(pr, 'topicAlias') ? r.bool([...base, 'topicAlias'], pr['topicAlias']) : false;
    if (userProperties !== undefined && expiry !== undefined && topicAlias !== undefined) return { userProperties, messageExpirySeconds: expiry, topicAlias };
  }
  return undefined;
}

/** offline: { at, for }: a planned absence. */
function readOffline(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['offline'] {
  const o = r.record(base, v, '{ at: 2s, for: 3s }');
  if (o !== undefined) {
    checkKeys(o, ['at', 'for'], base, p, 'offline');
    const atMs = Object.hasOwn(o, 'at') ? r.durationMs([...base, 'at'], o['at']) : (p.add({ path: base }, 'needs at (when to go offline), e.g. { at: 2s, for: 3s }'), undefined);
    const forMs = Object.hasOwn(o, 'for') ? r.durationMs([...base, 'for'], o['for']) : (p.add({ path: base }, 'needs for (how long to stay away), e.g. { at: 2s, for: 3s }'), undefined);
    if (forMs === 0) p.add({ path: [...base, 'for'] }, 'must be longer than 0s; e.g. for: 3s');
    else if (atMs !== undefined && forMs !== undefined) return { atMs, forMs };
  }
  return undefined;
}

/** drop: { at }: the connection cut without DISCONNECT. */
function readDrop(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['drop'] {
  const d = r.record(base, v, '{ at: 2s }');
  if (d !== undefined) {
    checkKeys(d, ['at'], base, p, 'drop');
    if (!Object.hasOwn(d, 'at')) p.add({ path: base }, 'needs at (when to drop the connection), e.g. { at: 2s }');
    else {
      const atMs = r.durationMs([...base, 'at'], d['at']);
      if (atMs !== undefined) return { atMs };
    }
  }
  return undefined;
}

/** subscribe: one filter or a list, each checked. */
function readFilters(v: unknown, base: Path, r: Readers, p: Problems): GroupFields['subscribe'] {
  const filters = r.strings(base, v, 'sensors/{run}/+');
  let ok = filters !== undefined;
  filters?.forEach((f, i) => {
    const at = Array.isArray(v) ? [...base, i] : base;
    for (const m of filterProblems(f)) {
      ok = false;
      p.add({ path: at }, m);
    }
  });
  return ok ? filters : undefined;
}

function parsePayload(v: unknown, path: Path, p: Problems): PayloadSpec | undefined {
  const r = valueReaders(p);
  const sized = (at: Path, raw: unknown): PayloadSpec | undefined => {
    const bytes = r.size(at, raw);
    if (bytes === undefined) return undefined;
    const bad = rules.payload(bytes, (s) => `payload: ${s}`);
    if (bad !== null) {
      p.add({ path: at }, bad);
      return undefined;
    }
    return { bytes, template: null };
  };
  if (!isRecord(v)) return sized(path, v);
  checkKeys(v, ['size', 'template'], path, p, 'payload');
  if (Object.hasOwn(v, 'size') && Object.hasOwn(v, 'template')) {
    p.add({ path }, 'choose one: size (bytes including the 16-byte header) or template (text after the header)');
    return undefined;
  }
  if (Object.hasOwn(v, 'size')) return sized([...path, 'size'], v['size']);
  if (!Object.hasOwn(v, 'template')) {
    p.add({ path }, "needs size or template, e.g. { size: 1KiB } or { template: '{\"t\":{time}}' }");
    return undefined;
  }
  const template = r.string([...path, 'template'], v['template'], '\'{"t":{time}}\'');
  if (template === undefined) return undefined;
  const problems = templateVarProblems(template, PAYLOAD_VARS, 'payload');
  for (const m of problems) p.add({ path: [...path, 'template'] }, m);
  // The size is known per message only; the estimate counts variables as written.
  return problems.length > 0 ? undefined : { bytes: HEADER_BYTES + Buffer.byteLength(template), template };
}
