/**
 * One group of a scenario file: `defaults` applied, then the group's own fields, into a
 * GroupSpec, remembering where each value was written so later rules can point at it.
 * A `defaults` value is applied only where it means something (MQTT fields skip plain
 * WebSocket groups, publishing fields skip subscribers); a group's own field that cannot
 * apply to its role is an error.
 */
import { DEFAULT_GROUP_TOPIC, DEFAULT_INFLIGHT, DEFAULT_KEEPALIVE_SECONDS, DEFAULT_PAYLOAD_BYTES } from './defaults.js';
import { publishes, type GroupRole, type GroupSpec } from './model.js';
import { MAX_RATE_PER_CLIENT } from './value-rules.js';
import type { Origin, Problems } from './context.js';
import type { Path } from './load.js';
import { LOAD_MODEL, MQTT_ONLY, parseGroupFields, PUBLISH_ONLY, type GroupFields, type GroupKey } from './group-fields.js';
import { isRecord, typeName } from './values.js';

export interface ParsedDefaults {
  fields: GroupFields;
  /** Keys written in `defaults` (also those with errors). */
  written: Set<string>;
}

export interface ResolvedGroup {
  spec: GroupSpec;
  /** Where each field's value was written, by file key ('qos', 'session', 'session.expiry', ...). */
  origin: Map<string, Origin>;
  /** The group itself, for rules about fields it does not set. */
  self: Origin;
}

export function parseDefaults(raw: unknown, p: Problems): ParsedDefaults | null {
  if (raw === undefined || raw === null) return null;
  if (!isRecord(raw)) {
    p.add({ path: ['defaults'] }, `must be a mapping of group fields, e.g. defaults: { qos: 1 }, not ${typeName(raw)}`);
    return null;
  }
  return { fields: parseGroupFields(raw, ['defaults'], p, true), written: new Set(Object.keys(raw)) };
}

const subscribing = (role: GroupRole): boolean => role === 'subscribe' || role === 'both';
const ROLE_NAMES = 'publish, subscribe, both, echo or connect-only';

export function resolveGroup(raw: unknown, index: number, defaults: ParsedDefaults | null, p: Problems): ResolvedGroup | null {
  const base: Path = ['groups', index];
  const self: Origin = { path: base };
  if (!isRecord(raw)) {
    p.add(self, `must be a mapping with at least name, role and clients, e.g. { name: sensors, role: publish, clients: 10 }, not ${typeName(raw)}`);
    return null;
  }
  const own = parseGroupFields(raw, base, p, false);
  const ownWritten = (k: GroupKey): boolean => Object.hasOwn(raw, k);
  const origin = new Map<string, Origin>();
  const d = defaults?.fields ?? {};
  const dWritten = (k: GroupKey): boolean => defaults?.written.has(k) ?? false;

  const protocol = own.protocol ?? (ownWritten('protocol') ? undefined : d.protocol) ?? 'mqtt';
  const role = own.role ?? (ownWritten('role') ? undefined : d.role);
  if (role === undefined && !ownWritten('role') && !dWritten('role')) p.add(self, `needs a role: ${ROLE_NAMES}`);
  for (const k of ['protocol', 'role'] as const) {
    if (ownWritten(k)) origin.set(k, { path: [...base, k] });
    else if (dWritten(k)) origin.set(k, { path: ['defaults', k] });
  }
  requiredFields(ownWritten, dWritten, self, p);

  const ownLoadModel = LOAD_MODEL.some(ownWritten);
  const applies = (k: GroupKey): boolean => defaultApplies(k, protocol, role, ownLoadModel);
  /** The group's own value, else the default's where it applies; records where it came from. */
  const pick = <K extends GroupKey>(k: K): GroupFields[K] | undefined => {
    if (ownWritten(k)) {
      origin.set(k, { path: [...base, k] });
      return own[k];
    }
    if (dWritten(k) && applies(k)) {
      origin.set(k, { path: ['defaults', k] });
      return d[k];
    }
    return undefined;
  };

  if (role !== undefined) roleMismatches(role, ownWritten, base, p);

  const pubs = role !== undefined && publishes(role);
  const clients = pick('clients') ?? 1;
  const rateTotal = pick('rate');
  const ratePerClient = pick('ratePerClient');
  const inflight = pick('inflight');
  const rate = groupRate(pubs, clients, rateTotal, ratePerClient, origin, self, p);
  const session = pick('session');
  const sessionAt = origin.get('session');
  if (session?.expirySeconds != null && sessionAt !== undefined && 'path' in sessionAt) origin.set('session.expiry', { path: [...sessionAt.path, 'expiry'] });
  const offline = pick('offline');
  const props = pick('properties');
  const spec: GroupSpec = {
    name: own.name ?? `group${index + 1}`,
    protocol,
    transport: pick('transport') ?? (protocol === 'ws' ? 'ws' : 'tcp'),
    mqttVersion: pick('mqttVersion') ?? 4,
    clients,
    connectRate: pick('connectRate') ?? null,
    role: role ?? 'connect-only',
    topic: pick('topic') ?? DEFAULT_GROUP_TOPIC,
    filters: pick('subscribe') ?? [],
    qos: pick('qos') ?? 0,
    payload: pick('payload') ?? { bytes: DEFAULT_PAYLOAD_BYTES, template: null },
    retain: pick('retain') ?? false,
    rate,
    inflight: pubs && rate === null ? (inflight ?? DEFAULT_INFLIGHT) : null,
    messages: pubs ? (pick('messages') ?? null) : null,
    clean: session?.clean ?? true,
    sessionExpirySeconds: session?.expirySeconds ?? null,
    will: pick('will') ?? null,
    keepaliveSeconds: pick('keepalive') ?? DEFAULT_KEEPALIVE_SECONDS,
    userProperties: props?.userProperties ?? {},
    messageExpirySeconds: props?.messageExpirySeconds ?? null,
    topicAlias: props?.topicAlias ?? false,
    startMs: pick('start') ?? 0,
    offline: offline ?? null,
    drop: pick('drop') ?? null,
  };
  if (own.name !== undefined) origin.set('name', { path: [...base, 'name'] });
  return { spec, origin, self };
}

/** Fields the group wrote that its role does not use: each an issue at the field. */
function roleMismatches(role: GroupRole, ownWritten: (k: GroupKey) => boolean, base: Path, p: Problems): void {
  for (const k of PUBLISH_ONLY) {
    if (ownWritten(k) && !publishes(role)) p.add({ path: [...base, k] }, `applies to publishing roles (publish, both, echo); this group's role is ${role}`);
  }
  if (ownWritten('subscribe') && !subscribing(role)) {
    p.add({ path: [...base, 'subscribe'] }, `subscription filters apply to roles subscribe and both (echo subscribes to its own topic); this group's role is ${role}`);
  }
  if (ownWritten('topic') && !publishes(role)) {
    p.add({ path: [...base, 'topic'] }, `topic is where a group publishes; a ${role} group does not publish${subscribing(role) ? ': put its filters in subscribe:' : ''}`);
  }
}

/** Whether a default applies to this group: not an MQTT field on plain WebSocket, not a field its role does not use, not a second load model. */
function defaultApplies(k: GroupKey, protocol: 'mqtt' | 'ws', role: GroupRole | undefined, ownLoadModel: boolean): boolean {
  if (protocol === 'ws' && MQTT_ONLY.includes(k)) return false;
  if (role !== undefined && PUBLISH_ONLY.includes(k) && !publishes(role)) return false;
  if (role !== undefined && k === 'subscribe' && !subscribing(role)) return false;
  if (LOAD_MODEL.includes(k) && ownLoadModel) return false;
  return true;
}

/** name must be the group's own; clients its own or a default. */
function requiredFields(ownWritten: (k: GroupKey) => boolean, dWritten: (k: GroupKey) => boolean, self: Origin, p: Problems): void {
  if (!ownWritten('name')) p.add(self, 'needs a name (letters, digits, - and _), e.g. name: sensors');
  if (!ownWritten('clients') && !dWritten('clients')) p.add(self, 'needs clients: how many clients this group runs, e.g. clients: 10');
}

/** A publishing group's open-model rate (its total, or per client times clients), null otherwise; a total beyond what its clients may send is an issue. */
function groupRate(pubs: boolean, clients: number, rateTotal: number | undefined, ratePerClient: number | undefined, origin: Map<string, Origin>, self: Origin, p: Problems): number | null {
  const rate = !pubs ? null : (rateTotal ?? (ratePerClient === undefined ? null : ratePerClient * clients));
  if (pubs && rateTotal !== undefined && rateTotal / clients > MAX_RATE_PER_CLIENT) {
    p.add(origin.get('rate') ?? self, `${rateTotal}/s over ${clients} client(s) is more than ${MAX_RATE_PER_CLIENT}/s per client; add clients or lower the rate`);
  }
  if (origin.has('ratePerClient')) origin.set('rate', origin.get('ratePerClient') ?? self);
  return rate;
}
