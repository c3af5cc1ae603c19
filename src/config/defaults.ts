/** Defaults of a scenario and of every group field, in one place (the README and schema.json repeat them). */
import { availableParallelism } from 'node:os';
import { DEFAULT_BROKER, DEFAULT_DRIVER, type GroupRole, type GroupSpec, type Protocol, type Scenario } from './model.js';
import { parseDuration, parseRate, type Parsed } from './units.js';
import { MAX_WORKERS } from './value-rules.js';

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

/** The default worker count: one per core, capped. */
export function defaultWorkers(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

function unwrap<T>(r: Parsed<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/**
 * A scenario with every field at its default and no groups: the base a scenario file's keys
 * (config/validate.ts) or a flags-only run's groups (config/run-config.ts) fill in, before the
 * flags' overlay (config/flag-overlay.ts) goes on top. The one place a Scenario is written out.
 */
export function baseScenario(name: string, file: string | null, interactive: boolean): Scenario {
  return {
    name,
    description: null,
    file,
    targets: [],
    broker: DEFAULT_BROKER,
    wsTargets: [],
    caPem: null,
    caPath: null,
    insecure: false,
    localAddresses: [],
    workers: defaultWorkers(),
    connectRate: unwrap(parseRate(SCENARIO_DEFAULTS.connectRate)),
    connectTimeoutMs: unwrap(parseDuration(SCENARIO_DEFAULTS.connectTimeout)),
    noDelay: true,
    driver: DEFAULT_DRIVER,
    load: {
      stages: [],
      warmupMs: unwrap(parseDuration(SCENARIO_DEFAULTS.warmup)),
      durationMs: unwrap(parseDuration(SCENARIO_DEFAULTS.duration)),
      drainMs: unwrap(parseDuration(SCENARIO_DEFAULTS.drain)),
    },
    groups: [],
    matrix: null,
    cells: [{}],
    outDir: SCENARIO_DEFAULTS.out,
    json: false,
    targetPid: null,
    interactive,
    thresholds: [],
    abortOnFail: false,
  };
}
