/** Defaults of a scenario and of every group field, in one place (the README and schema.json repeat them). */
import type { GroupRole, GroupSpec, Protocol } from './model.js';

export const SCENARIO_DEFAULTS = {
  connectRate: '500/s',
  connectTimeout: '5s',
  warmup: '2s',
  duration: '10s',
  drain: '5s',
  out: 'results',
} as const;

/** Default publish topic of a scenario group; flags-only runs keep --topic's own default. */
export const DEFAULT_GROUP_TOPIC = 'mqbench/{run}/{group}/{client}';
/** Closed model window per client when a publishing group sets no rate. */
export const DEFAULT_INFLIGHT = 100;
export const DEFAULT_KEEPALIVE_SECONDS = 30;
export const DEFAULT_PAYLOAD_BYTES = 16;

/** A group with every optional field at its default. */
export function defaultGroup(name: string, role: GroupRole, protocol: Protocol = 'mqtt'): GroupSpec {
  return {
    name,
    protocol,
    transport: protocol === 'ws' ? 'ws' : 'tcp',
    mqttVersion: 4,
    clients: 1,
    connectRate: null,
    role,
    topic: DEFAULT_GROUP_TOPIC,
    filters: [],
    qos: 0,
    payload: { bytes: DEFAULT_PAYLOAD_BYTES, template: null },
    retain: false,
    rate: null,
    inflight: role === 'publish' || role === 'both' || role === 'echo' ? DEFAULT_INFLIGHT : null,
    messages: null,
    clean: true,
    sessionExpirySeconds: null,
    will: null,
    keepaliveSeconds: DEFAULT_KEEPALIVE_SECONDS,
    userProperties: {},
    messageExpirySeconds: null,
    topicAlias: false,
    startMs: 0,
    offline: null,
    drop: null,
  };
}
