/**
 * The flags of `mqbench run`, in one table: each flag's name, yargs type, documented default
 * and help text, and what it describes. cli/run-command.ts declares the yargs options from this
 * table, cli/main.ts reads argv by its keys (runFlagsOf), read-flags.ts reads every flag into the
 * overlay (flag-overlay.ts) applied on top of the defaults or a scenario file.
 *
 * A new flag: a row here, its read in read-flags.ts (value, checks, message), and, when it sets a
 * scenario field, a field of FlagOverlay and a line of applyOverlay (flag-overlay.ts); the tests
 * (test/run-flags.test.ts) fail until it has a sample and, for a scenario field, a precedence case.
 */
import { DEFAULT_BROKER, DEFAULT_DRIVER } from './model.js';
import { DEFAULT_INFLIGHT, DEFAULT_KEEPALIVE_SECONDS, SCENARIO_DEFAULTS } from './defaults.js';

export interface RunFlag {
  /** The yargs type: every value flag is read as a string and parsed in config/, so `--rate 5k/s` and `--workers 4` go through one reader. */
  type: 'string' | 'boolean';
  describe: string;
  /**
   * The default, shown in --help as `[default: ...]`. Never given to yargs: a flag not on the
   * command line stays undefined, so it does not override a scenario file's value.
   */
  default?: string | number | boolean;
  /** Shown instead of a literal default (`[default: available cores]`). */
  defaultText?: string;
  /**
   * clients: describes the clients, so a flags-only run's groups; with a scenario file it is an
   * error naming `inFile`, the key to set instead. shape: changes the phases and overlays a file
   * too. Either one given (and no file) means "describe the run from flags", not the quickstart.
   */
  workload?: 'clients' | 'shape';
  /** clients flags: what to set in a scenario file instead. */
  inFile?: string;
}

export const RUN_FLAGS = {
  target: { type: 'string', workload: 'shape', describe: 'MQTT broker to load, repeatable (one per transport): mqtt://host:port (TCP), mqtts:// (TLS), ws://host:port/mqtt or wss:// (WebSocket); with --protocol ws the WebSocket server. Default: start the bundled broker on a free loopback port' },
  broker: { type: 'string', default: DEFAULT_BROKER, describe: "Broker started for the run when there is no --target: aedes (embedded, MQTT 3.1.1) or mosquitto (Debian's binary, MQTT 5 and shared subscriptions); with a scenario: replaces broker: and matrix.broker. Not with --target" },
  'ws-target': { type: 'string', describe: 'Plain WebSocket echo/broadcast server, repeatable (ws:// and/or wss://). Default: start the bundled echo server' },
  protocol: { type: 'string', workload: 'clients', inFile: 'protocol: on its groups (or matrix.protocol to compare)', default: 'mqtt', describe: 'mqtt, or ws: plain WebSocket against an echo/broadcast server (the bundled one when no --target); --qos does not apply to ws' },
  role: { type: 'string', workload: 'clients', inFile: 'role: on its groups', default: 'echo', describe: 'With --protocol ws: echo (each publisher measures the round trip of its own messages) or broadcast (publishers send, subscribers receive)' },
  transport: { type: 'string', workload: 'shape', default: 'tcp', describe: "tcp, tls, ws or wss (with --target, its scheme decides); with a scenario: replaces matrix.transport, else every group's" },
  ca: { type: 'string', describe: "PEM file of the CA that signed the broker certificate (tls, wss). The bundled broker's CA is trusted automatically" },
  insecure: { type: 'boolean', default: false, describe: 'Do not verify the broker certificate (tls, wss). Never the default' },
  username: { type: 'string', describe: "User name in the MQTT CONNECT (default: the --target URL's user info, mqtt://user:password@host:port, else none)" },
  password: { type: 'string', describe: "Password in the MQTT CONNECT (default: the --target URL's user info); shown as *** in every output. --password-file keeps it out of the shell history" },
  'password-file': { type: 'string', describe: 'File whose first line is the MQTT password (instead of --password)' },
  connections: { type: 'string', workload: 'clients', inFile: 'a group with role: connect-only and clients: N', default: 0, describe: 'Idle connect-only clients held through each phase (keepalive pings only), beside publishers and subscribers' },
  'local-address': { type: 'string', describe: 'Source IP addresses to spread connections over, comma-separated. Default: the OS picks; against 127.x targets, 127.0.0.x are added past 25,000 connections' },
  publishers: { type: 'string', workload: 'clients', inFile: 'clients: on its publishing groups', default: 1, describe: 'Publishing clients per phase' },
  subscribers: { type: 'string', workload: 'clients', inFile: 'clients: on its subscribing groups', default: 1, describe: 'Subscribing clients per phase; each receives every publisher' },
  qos: { type: 'string', workload: 'shape', default: '0,1,2', describe: 'QoS levels, comma-separated: one phase per level, run in order, reported side by side; with a scenario: replaces matrix.qos' },
  rate: { type: 'string', workload: 'clients', inFile: 'rate: or ratePerClient: on its publishing groups', describe: 'Open model: total publish rate over all publishers, messages/s (e.g. 5000 or 5k/s). Latency is measured from the intended send time' },
  inflight: { type: 'string', workload: 'clients', inFile: 'inflight: on its publishing groups', default: DEFAULT_INFLIGHT, describe: 'Closed model (the default): messages in flight per publisher, until acknowledged and delivered' },
  payload: { type: 'string', workload: 'shape', default: '16B', describe: "Payload size in bytes including the 16-byte measurement header (16B, 512B, 1KiB, 1MiB); with a scenario: replaces matrix.payload, else the publishing groups'" },
  duration: { type: 'string', default: SCENARIO_DEFAULTS.duration, describe: 'Measured steady time per phase, at least 1s (1s, 10s, 2m)' },
  warmup: { type: 'string', default: SCENARIO_DEFAULTS.warmup, describe: 'Warm-up before the steady window per phase: load runs, figures are excluded' },
  drain: { type: 'string', default: SCENARIO_DEFAULTS.drain, describe: 'Grace period after publishing stops, for in-flight messages and acknowledgements' },
  topic: { type: 'string', workload: 'clients', inFile: 'topic: on its publishing groups', default: 'mqbench/{run}/{client}', describe: 'Publish topic template: {client} client id, {n} publisher number, {worker} worker, {run} run and phase id. Subscribers use it with + for templated levels' },
  workers: { type: 'string', defaultText: 'available cores', describe: 'Load worker threads' },
  'connect-rate': { type: 'string', default: SCENARIO_DEFAULTS.connectRate, describe: "New connections per second over all workers; with a scenario: every group's" },
  'connect-timeout': { type: 'string', default: SCENARIO_DEFAULTS.connectTimeout, describe: 'Time allowed for TCP connect + CONNACK per client' },
  keepalive: { type: 'string', default: DEFAULT_KEEPALIVE_SECONDS, describe: "MQTT keepalive, seconds; with a scenario: every group's" },
  driver: { type: 'string', default: DEFAULT_DRIVER, describe: "MQTT client: lean (mqbench's own engine) or mqttjs (MQTT.js, the reference client the tests hold it against); recorded in the result" },
  nodelay: { type: 'boolean', default: true, describe: 'TCP_NODELAY (Nagle off) on every client socket; --no-nodelay turns Nagle on' },
  out: { type: 'string', default: SCENARIO_DEFAULTS.out, describe: 'Directory for the JSON result file' },
  'target-pid': { type: 'string', describe: "Process id of the --target broker when it runs on this machine: its CPU per message is reported beside the generator's" },
  json: { type: 'boolean', default: false, describe: 'Print the result document on stdout and nothing else there (summary goes to stderr)' },
  threshold: { type: 'string', describe: "A gate on the result, repeatable, added to the scenario's thresholds: 'mqtt.e2e.qos1.p99 < 20ms', 'mqtt.lost.qos1 == 0', 'mqtt.received.rate > 10k/s' (README: Thresholds). A failed gate exits 1" },
  'abort-on-fail': { type: 'boolean', default: false, describe: 'Stop the run as soon as a gate can no longer pass: after a phase that failed one, or mid-phase when a latency maximum is already over its bound' },
  baseline: { type: 'string', describe: 'A result file to compare this run with (e.g. from the main branch); a regression beyond --max-regression and beyond run-to-run noise fails the run' },
  'max-regression': { type: 'string', default: '10%', describe: 'With --baseline: tolerated change in the worse direction' },
  'latency-floor': { type: 'string', default: '250us', describe: 'With --baseline: latency changes smaller than this are not regressions (timer and scheduling noise)' },
  repeat: { type: 'string', default: 1, describe: "Run the scenario N times; the result merges the repeats exactly and keeps each repeat's figures, so comparisons can tell a change from noise" },
  report: { type: 'string', describe: 'Also write reports next to the result file: html, md, junit (comma-separated)' },
  shard: { type: 'string', describe: 'Run shard i of N (e.g. 2/3; also MQBENCH_SHARD): N processes or machines together run exactly the whole plan against one --target, and `mqbench merge` adds their results up (README: Beyond one machine)' },
  shards: { type: 'string', describe: 'In a Kubernetes Indexed Job: the number of shards; the shard is JOB_COMPLETION_INDEX + 1' },
  'start-at': { type: 'string', describe: 'With --shard: the common start, ISO 8601 with its zone (2026-12-01T18:00:00Z); every shard begins each phase at the same wall-clock time (later phases a phase plus --phase-gap apart)' },
  'phase-gap': { type: 'string', default: '5s', describe: "With --start-at: time between one phase's planned end (drain included) and the next one's start, for the next phase's connects" },
  'run-id': { type: 'string', describe: 'The run id (in every topic and client id), the same in every shard; default: random, or with --start-at derived from it' },
  'clock-sync': { type: 'boolean', default: false, describe: "With --shard: the machines' clocks are synchronised (NTP, PTP), so messages from other shards' publishers are timed too; without it they are counted, not timed" },
  'hdr-log': { type: 'string', describe: 'Directory for HdrHistogram interval logs (one histogram per second per phase and metric), read by HistogramLogProcessor and `mqbench merge`' },
  'metrics-listen': { type: 'string', describe: 'Serve live Prometheus metrics at http://HOST:PORT/metrics while the run runs: PORT or :PORT listens on 127.0.0.1 only; another address (0.0.0.0:PORT, a LAN IP) only when written here. Port 0: any free port, printed at the start' },
  timeline: { type: 'string', describe: 'Append each second of each phase to this file as it is measured (the fields of the result\'s timeline): FILE.csv or FILE.ndjson, the format follows the extension; a run that is killed keeps its rows' },
} as const satisfies Record<string, RunFlag>;

export type RunFlagName = keyof typeof RUN_FLAGS;

/** Short aliases of the run (and capacity) flags: `-d 10s` is `--duration 10s`. */
export const SHORT_ALIASES: Partial<Record<RunFlagName, string>> = { target: 't', qos: 'q', duration: 'd', publishers: 'p', subscribers: 's', rate: 'r', workers: 'w' };

/** Boolean flags that are on by default: --help shows their --no- form with this text (as the README does); the plain form still works. */
export const SHOWN_NEGATED: Partial<Record<RunFlagName, { describe: string; defaultText: string }>> = {
  nodelay: { describe: "Turn Nagle's algorithm back on for the client sockets (TCP_NODELAY is set by default); recorded in the result", defaultText: 'Nagle off' },
};

/** 'connect-rate' -> 'connectRate' (yargs' camel-case expansion, as a type). */
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/**
 * The flags as given, keyed like the table in camel case (connectRate): strings, booleans or,
 * for a repeated flag, arrays; undefined when not given. Tests pass numbers too.
 */
export type RawRunFlags = { [K in RunFlagName as Camel<K>]?: unknown };
export type RawRunFlagKey = keyof RawRunFlags;

export function camelName(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export const RUN_FLAG_NAMES = Object.keys(RUN_FLAGS) as RunFlagName[];

/** The table's entry of a flag, typed loosely (for loops over every flag). */
export function runFlag(name: RunFlagName): RunFlag {
  return RUN_FLAGS[name];
}

/** The run flags out of a yargs argv, by the table's names (no flag is mapped by hand). */
export function runFlagsOf(argv: Readonly<Record<string, unknown>>): RawRunFlags {
  const out: Record<string, unknown> = {};
  for (const name of RUN_FLAG_NAMES) {
    const value = argv[name];
    if (value !== undefined) out[camelName(name)] = value;
  }
  return out as RawRunFlags;
}

/** A documented default as yargs would show it: [default: "10s"], [default: 1], [default: available cores]. */
export function shownDefault(flag: RunFlag): string {
  if (flag.defaultText !== undefined) return `[default: ${flag.defaultText}]`;
  const v = flag.default;
  if (v === undefined) return '';
  return `[default: ${typeof v === 'string' ? `"${v}"` : String(v)}]`;
}

/** A flag's help text: its description and its default. */
export function helpText(flag: RunFlag): string {
  const shown = shownDefault(flag);
  return shown === '' ? flag.describe : `${flag.describe} ${shown}`;
}

/** Flags that describe clients: with a file, the file describes them (each names the field to set instead). */
export const CLIENT_FLAGS: ReadonlyArray<{ key: RawRunFlagKey; flag: string; field: string }> = RUN_FLAG_NAMES.filter((n) => runFlag(n).workload === 'clients').map((n) => ({
  key: camelName(n) as RawRunFlagKey,
  flag: `--${n}`,
  field: runFlag(n).inFile ?? '',
}));

/** Any of these given (and no file) means "describe the workload from flags"; none given runs the quickstart scenario. */
export const WORKLOAD_FLAGS: ReadonlyArray<RawRunFlagKey> = RUN_FLAG_NAMES.filter((n) => runFlag(n).workload !== undefined).map((n) => camelName(n) as RawRunFlagKey);

/** Given on the command line: not undefined, and not an empty list. */
export const given = (v: unknown): boolean => v !== undefined && !(Array.isArray(v) && v.length === 0);
