/**
 * The flag layer (src/config/run-flags.ts, flag-overlay.ts): the table is what yargs declares and
 * what main.ts reads; every `run` option, given on a command line, reaches the resolved scenario
 * (or the run's extras); and for every overlay field a flag wins over the file, which wins over
 * the defaults (defaults < file < flags).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import yargs from 'yargs';
import { runOptions } from '../src/cli/run-command.js';
import { parseRun } from './helpers/run-argv.js';
import type { FlagOverlay } from '../src/config/flag-overlay.js';
import { readFlags } from '../src/config/read-flags.js';
import type { Scenario } from '../src/config/model.js';
import { buildRunConfig } from '../src/config/run-config.js';
import { camelName, RUN_FLAG_NAMES, RUN_FLAGS, runFlagsOf, SHORT_ALIASES, SHOWN_NEGATED, type RawRunFlags, type RunFlagName } from '../src/config/run-flags.js';
import { buildScenarioRun } from '../src/config/scenario-run.js';

const dir = mkdtempSync(join(tmpdir(), 'mqbench-run-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const CA = file('ca.pem', PEM);
const CA2 = file('ca2.pem', PEM);
const PW = file('pw', 'from-file\n');
const PW2 = file('pw2', 'from-flag\n');

/** `run <args>` through the yargs options main.ts declares, then read by the table's names as main.ts does. */
async function flagsOf(args: string[]): Promise<RawRunFlags> {
  return runFlagsOf(await parseRun(args));
}

describe('the flag table', () => {
  test('yargs declares exactly the table, with its types, aliases and --no- forms, and no yargs defaults', () => {
    const declared = (runOptions(yargs([])) as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; string: string[]; boolean: string[]; default: Record<string, unknown>; hiddenOptions: string[] } }).getOptions();
    const aliases = Object.values(SHORT_ALIASES);
    const negated = Object.keys(SHOWN_NEGATED).map((n) => `no-${n}`);
    const names = Object.keys(declared.key).filter((k) => k !== 'scenario' && k !== 'help' && k !== 'version' && !aliases.includes(k) && !negated.includes(k));
    assert.deepEqual(names.sort(), [...RUN_FLAG_NAMES].sort());
    for (const [name, alias] of Object.entries(SHORT_ALIASES)) assert.deepEqual(declared.alias[name], [alias], `-${alias} is --${name}`);
    // Shown as --no-nodelay, as the README documents it; --nodelay itself still parses (hidden).
    for (const n of Object.keys(SHOWN_NEGATED)) {
      assert.ok(declared.boolean.includes(`no-${n}`), `--no-${n} is shown`);
      assert.ok(declared.hiddenOptions.includes(n), `--${n} is hidden`);
    }
    for (const name of RUN_FLAG_NAMES) {
      const list = RUN_FLAGS[name].type === 'boolean' ? declared.boolean : declared.string;
      assert.ok(list.includes(name), `${name} is declared as a ${RUN_FLAGS[name].type}`);
      assert.equal(declared.default[name], undefined, `${name} has no yargs default (a file's value must not be overridden)`);
    }
  });

  test('argv is read by the table keys, in camel case', async () => {
    const raw = await flagsOf(['--connect-rate', '9/s', '--no-nodelay', '--target', 'mqtt://a', '--target', 'ws://a/mqtt']);
    assert.deepEqual(raw, { connectRate: '9/s', nodelay: false, target: ['mqtt://a', 'ws://a/mqtt'] });
    assert.deepEqual(await flagsOf([]), {});
  });
});

/**
 * One command line per flag (and what it needs beside it): each must change the resolved run.
 * A flag added to the table without a line here fails the first test below.
 */
const SAMPLES: Record<RunFlagName, { args: string[]; context?: string[] }> = {
  target: { args: ['--target', 'mqtt://127.0.0.1:1884'] },
  broker: { args: ['--broker', 'mosquitto'] },
  'ws-target': { args: ['--ws-target', 'ws://127.0.0.1:9'] },
  protocol: { args: ['--protocol', 'ws'] },
  role: { args: ['--role', 'broadcast'], context: ['--protocol', 'ws'] },
  transport: { args: ['--transport', 'ws'] },
  ca: { args: ['--ca', CA] },
  insecure: { args: ['--insecure'] },
  username: { args: ['--username', 'alice'] },
  password: { args: ['--password', 'secret'], context: ['--username', 'alice'] },
  'password-file': { args: ['--password-file', PW], context: ['--username', 'alice'] },
  connections: { args: ['--connections', '3'] },
  'local-address': { args: ['--local-address', '127.0.0.1'] },
  publishers: { args: ['--publishers', '2'] },
  subscribers: { args: ['--subscribers', '3'] },
  qos: { args: ['--qos', '1'] },
  rate: { args: ['--rate', '100/s'] },
  inflight: { args: ['--inflight', '5'] },
  payload: { args: ['--payload', '1KiB'] },
  duration: { args: ['--duration', '3s'] },
  warmup: { args: ['--warmup', '1s'] },
  drain: { args: ['--drain', '1s'] },
  topic: { args: ['--topic', 'a/{client}'] },
  // Not a machine's core count (the default).
  workers: { args: ['--workers', '211'] },
  'connect-rate': { args: ['--connect-rate', '99/s'] },
  'connect-timeout': { args: ['--connect-timeout', '2s'] },
  keepalive: { args: ['--keepalive', '7'] },
  driver: { args: ['--driver', 'mqttjs'] },
  nodelay: { args: ['--no-nodelay'] },
  out: { args: ['--out', 'elsewhere'] },
  'target-pid': { args: ['--target-pid', '42'], context: ['--target', 'mqtt://127.0.0.1:1884'] },
  json: { args: ['--json'] },
  threshold: { args: ['--threshold', 'mqtt.e2e.p99 < 20ms'] },
  'abort-on-fail': { args: ['--abort-on-fail'] },
  baseline: { args: ['--baseline', 'base.json'] },
  'max-regression': { args: ['--max-regression', '5%'], context: ['--baseline', 'base.json'] },
  'latency-floor': { args: ['--latency-floor', '1ms'], context: ['--baseline', 'base.json'] },
  repeat: { args: ['--repeat', '3'] },
  report: { args: ['--report', 'html'] },
  shard: { args: ['--shard', '2/3'], context: ['--run-id', 'r1'] },
  // The shard a Kubernetes Indexed Job's JOB_COMPLETION_INDEX names, folded in beside it (config/shard-flags.ts).
  shards: { args: ['--shards', '3'], context: ['--run-id', 'r1', '--shard', '3/3'] },
  'start-at': { args: ['--start-at', '2999-01-01T00:00:00Z'], context: ['--shard', '1/2', '--run-id', 'r1'] },
  'phase-gap': { args: ['--phase-gap', '2s'], context: ['--shard', '1/2', '--run-id', 'r1'] },
  'run-id': { args: ['--run-id', 'abc'] },
  'clock-sync': { args: ['--clock-sync'], context: ['--shard', '1/2', '--run-id', 'r1'] },
  'hdr-log': { args: ['--hdr-log', 'logs'] },
  'metrics-listen': { args: ['--metrics-listen', '9464'] },
  timeline: { args: ['--timeline', 'timeline.csv'] },
};

/** A flags-only run resolved from a command line: the scenario and the extras, as plain data. */
async function resolved(args: string[]): Promise<unknown> {
  const r = buildRunConfig(await flagsOf(args), false);
  if ('issues' in r) assert.fail(`${args.join(' ')}: ${JSON.stringify(r.issues)}`);
  return JSON.parse(JSON.stringify({ config: r.config, run: r.run }));
}

describe('every run option reaches the resolved run', () => {
  test('each flag of the table has a sample', () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), [...RUN_FLAG_NAMES].sort());
  });
  for (const name of RUN_FLAG_NAMES) {
    test(`--${name}`, async () => {
      const { args, context = [] } = SAMPLES[name];
      assert.notDeepEqual(await resolved([...context, ...args]), await resolved(context), `--${name} changed nothing`);
      // Read by the one reader, with or without a file: no problem in the sample.
      const problems: string[] = [];
      readFlags(await flagsOf([...context, ...args]), null, (w, m) => problems.push(`${w}: ${m}`));
      assert.deepEqual(problems, []);
    });
  }
});

const GROUPS = 'groups:\n  - { name: p, role: publish, clients: 1, connectRate: 10/s }\n  - { name: s, role: subscribe, clients: 1 }\n';

/** One overlay field: a file that sets it, a flag that replaces it, and what the scenario then says. */
interface Case {
  field: keyof FlagOverlay;
  name: string;
  file: string;
  flags: string[];
  read: (s: Scenario) => unknown;
  fromFile: unknown;
  fromFlag: unknown;
}

const CASES: Case[] = [
  { field: 'targets', name: 'target', file: 'target: mqtt://127.0.0.1:1883\n', flags: ['--target', 'mqtt://127.0.0.1:1884'], read: (s) => s.targets.map((t) => t.url), fromFile: ['mqtt://127.0.0.1:1883'], fromFlag: ['mqtt://127.0.0.1:1884'] },
  { field: 'wsTargets', name: 'wsTarget', file: 'wsTarget: ws://127.0.0.1:8080\n', flags: ['--ws-target', 'ws://127.0.0.1:8081'], read: (s) => s.wsTargets.map((t) => t.url), fromFile: ['ws://127.0.0.1:8080'], fromFlag: ['ws://127.0.0.1:8081'] },
  { field: 'broker', name: 'broker', file: 'broker: mosquitto\n', flags: ['--broker', 'aedes'], read: (s) => s.broker, fromFile: 'mosquitto', fromFlag: 'aedes' },
  { field: 'broker', name: 'matrix.broker', file: 'matrix: { broker: [aedes, mosquitto] }\n', flags: ['--broker', 'mosquitto'], read: (s) => [s.broker, s.cells], fromFile: ['aedes', [{ broker: 'aedes' }, { broker: 'mosquitto' }]], fromFlag: ['mosquitto', [{ broker: 'mosquitto' }]] },
  { field: 'transport', name: 'transport of every group', file: 'defaults: { transport: ws }\n', flags: ['--transport', 'tcp'], read: (s) => s.groups.map((g) => g.transport), fromFile: ['ws', 'ws'], fromFlag: ['tcp', 'tcp'] },
  { field: 'transport', name: 'matrix.transport', file: 'matrix: { transport: [tcp, ws] }\n', flags: ['--transport', 'ws'], read: (s) => s.cells, fromFile: [{ transport: 'tcp' }, { transport: 'ws' }], fromFlag: [{ transport: 'ws' }] },
  { field: 'qos', name: 'qos of the groups', file: 'defaults: { qos: 1 }\n', flags: ['--qos', '2'], read: (s) => [s.cells, s.groups.map((g) => g.qos)], fromFile: [[{}], [1, 1]], fromFlag: [[{ qos: 2 }], [1, 1]] },
  { field: 'qos', name: 'matrix.qos', file: 'matrix: { qos: [0, 1] }\n', flags: ['--qos', '2'], read: (s) => s.cells, fromFile: [{ qos: 0 }, { qos: 1 }], fromFlag: [{ qos: 2 }] },
  { field: 'payload', name: 'payload of the publishing groups', file: 'defaults: { payload: 64B }\n', flags: ['--payload', '1KiB'], read: (s) => s.groups.map((g) => g.payload.bytes), fromFile: [64, 64], fromFlag: [1024, 64] },
  { field: 'payload', name: 'matrix.payload', file: 'matrix: { payload: [64B, 128B] }\n', flags: ['--payload', '1KiB'], read: (s) => s.cells, fromFile: [{ payload: 64 }, { payload: 128 }], fromFlag: [{ payload: 1024 }] },
  { field: 'durationMs', name: 'load.duration', file: 'load: { duration: 3s }\n', flags: ['--duration', '4s'], read: (s) => s.load.durationMs, fromFile: 3000, fromFlag: 4000 },
  { field: 'warmupMs', name: 'load.warmup', file: 'load: { warmup: 1s }\n', flags: ['--warmup', '0s'], read: (s) => s.load.warmupMs, fromFile: 1000, fromFlag: 0 },
  { field: 'drainMs', name: 'load.drain', file: 'load: { drain: 1s }\n', flags: ['--drain', '2s'], read: (s) => s.load.drainMs, fromFile: 1000, fromFlag: 2000 },
  { field: 'workers', name: 'workers', file: 'workers: 2\n', flags: ['--workers', '3'], read: (s) => s.workers, fromFile: 2, fromFlag: 3 },
  { field: 'connectRate', name: 'connectRate, and every group\'s own', file: 'connectRate: 50/s\n', flags: ['--connect-rate', '99/s'], read: (s) => [s.connectRate, s.groups.map((g) => g.connectRate)], fromFile: [50, [10, null]], fromFlag: [99, [null, null]] },
  { field: 'connectTimeoutMs', name: 'connectTimeout', file: 'connectTimeout: 2s\n', flags: ['--connect-timeout', '3s'], read: (s) => s.connectTimeoutMs, fromFile: 2000, fromFlag: 3000 },
  { field: 'keepaliveSeconds', name: 'keepalive of every group', file: 'defaults: { keepalive: 5 }\n', flags: ['--keepalive', '7'], read: (s) => s.groups.map((g) => g.keepaliveSeconds), fromFile: [5, 5], fromFlag: [7, 7] },
  { field: 'noDelay', name: 'noDelay', file: 'noDelay: false\n', flags: ['--nodelay'], read: (s) => s.noDelay, fromFile: false, fromFlag: true },
  { field: 'driver', name: 'driver', file: 'driver: mqttjs\n', flags: ['--driver', 'lean'], read: (s) => s.driver, fromFile: 'mqttjs', fromFlag: 'lean' },
  { field: 'outDir', name: 'out (no file key: the default)', file: '', flags: ['--out', 'elsewhere'], read: (s) => s.outDir, fromFile: 'results', fromFlag: 'elsewhere' },
  { field: 'json', name: 'json (no file key: the default)', file: '', flags: ['--json'], read: (s) => s.json, fromFile: false, fromFlag: true },
  { field: 'targetPid', name: 'target pid (no file key: none)', file: 'target: mqtt://127.0.0.1:1883\n', flags: ['--target-pid', '42'], read: (s) => s.targetPid, fromFile: null, fromFlag: 42 },
  { field: 'ca', name: 'ca', file: 'ca: ca.pem\n', flags: ['--ca', CA2], read: (s) => [s.caPath, s.insecure], fromFile: [CA, false], fromFlag: [CA2, false] },
  { field: 'insecure', name: 'insecure', file: 'insecure: true\n', flags: ['--no-insecure'], read: (s) => s.insecure, fromFile: true, fromFlag: false },
  { field: 'insecure', name: 'insecure over a ca', file: 'ca: ca.pem\n', flags: ['--insecure'], read: (s) => [s.caPath, s.insecure], fromFile: [CA, false], fromFlag: [null, true] },
  { field: 'localAddresses', name: 'localAddress', file: 'localAddress: 127.0.0.2\n', flags: ['--local-address', '127.0.0.3'], read: (s) => s.localAddresses, fromFile: ['127.0.0.2'], fromFlag: ['127.0.0.3'] },
  { field: 'thresholds', name: 'thresholds (the flags are added after the file\'s)', file: "thresholds: ['mqtt.e2e.p99 < 20ms']\n", flags: ['--threshold', 'mqtt.lost == 0'], read: (s) => s.thresholds.map((t) => [t.expression, t.source]), fromFile: [['mqtt.e2e.p99 < 20ms', 'scenario']], fromFlag: [['mqtt.e2e.p99 < 20ms', 'scenario'], ['mqtt.lost == 0', 'flag']] },
  { field: 'abortOnFail', name: 'abortOnFail', file: 'abortOnFail: true\n', flags: ['--no-abort-on-fail'], read: (s) => s.abortOnFail, fromFile: true, fromFlag: false },
  { field: 'credentials', name: 'username', file: 'username: alice\n', flags: ['--username', 'bob'], read: (s) => s.credentials, fromFile: { username: 'alice' }, fromFlag: { username: 'bob' } },
  { field: 'credentials', name: 'password', file: 'username: alice\npassword: in-file\n', flags: ['--password', 'flag'], read: (s) => s.credentials, fromFile: { username: 'alice', password: 'in-file' }, fromFlag: { username: 'alice', password: 'flag' } },
  { field: 'credentials', name: 'passwordFile', file: 'username: alice\npasswordFile: pw\n', flags: ['--password-file', PW2], read: (s) => s.credentials, fromFile: { username: 'alice', password: 'from-file' }, fromFlag: { username: 'alice', password: 'from-flag' } },
];

describe('defaults < file < flags, for each overlay field', () => {
  let n = 0;
  for (const c of CASES) {
    test(c.name, async () => {
      const path = file(`s${n++}.yaml`, c.file + GROUPS);
      const scenario = async (args: string[]): Promise<Scenario> => {
        const r = buildScenarioRun(path, await flagsOf(args), false);
        if ('issues' in r) assert.fail(`${c.file} ${args.join(' ')}: ${JSON.stringify(r.issues)}`);
        return r.config;
      };
      assert.deepEqual(c.read(await scenario([])), c.fromFile, 'the file over the defaults');
      assert.deepEqual(c.read(await scenario(c.flags)), c.fromFlag, 'the flag over the file');
    });
  }

  test('every scenario field of the overlay has a case', async () => {
    // The overlay of every sample flag: the fields the flags can set.
    const fields = new Set<string>();
    for (const { args, context = [] } of Object.values(SAMPLES)) {
      for (const [k, v] of Object.entries(readFlags(await flagsOf([...context, ...args]), null, () => undefined).overlay)) {
        const empty = (Array.isArray(v) && v.length === 0) || (k === 'credentials' && Object.keys(v as object).length === 0);
        if (!empty) fields.add(k);
      }
    }
    // run: the extras (repeat, baseline, reports) are the CLI's, not the scenario's; passwordFlag only names a place.
    for (const k of ['run', 'passwordFlag']) fields.delete(k);
    assert.deepEqual([...fields].sort(), [...new Set(CASES.map((c) => c.field))].sort());
  });

  test('the documented defaults are the scenario defaults', async () => {
    const r = buildRunConfig({}, false);
    assert.ok('config' in r, JSON.stringify(r));
    const s = r.config;
    const pub = s.groups.find((g) => g.role === 'publish');
    assert.deepEqual(
      [s.load.durationMs, s.load.warmupMs, s.load.drainMs, s.connectRate, s.connectTimeoutMs, s.outDir, s.noDelay, s.driver, s.json, s.abortOnFail, pub?.inflight, pub?.keepaliveSeconds, pub?.topic, s.cells.length],
      [10_000, 2000, 5000, 500, 5000, RUN_FLAGS.out.default, RUN_FLAGS.nodelay.default, RUN_FLAGS.driver.default, RUN_FLAGS.json.default, RUN_FLAGS['abort-on-fail'].default, RUN_FLAGS.inflight.default, RUN_FLAGS.keepalive.default, RUN_FLAGS.topic.default, 3],
    );
    assert.deepEqual(r.run, { repeat: 1, baseline: null, maxRegression: 0.1, latencyFloorUs: 250, reports: null, shard: null, runId: null, hdrLog: null, live: { metricsListen: null, timeline: null } });
  });
});

test('camelName follows yargs', () => {
  assert.equal(camelName('abort-on-fail'), 'abortOnFail');
  assert.equal(camelName('ws-target'), 'wsTarget');
  assert.equal(camelName('qos'), 'qos');
});
