/**
 * End to end: the scenario library. Every file in scenarios/ follows the library's conventions
 * and is run by the built CLI in a short mode (flags override the file's load shape) against the
 * bundled servers, with the behaviour the file teaches asserted from the JSON result. This file
 * holds the traffic-shape scenarios; e2e-scenarios-sessions.test.ts the session features
 * (retained, offline queue, wills, shared subscriptions). No assertion depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseDuration } from '../src/config/units.js';
import { FILES_TESTED_IN, group, only, runScenario, SCENARIO_DIR, type ScenarioCase } from './helpers/scenarios.js';

const HEADER = '# yaml-language-server: $schema=./schema.json';

function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'schema.json')
    .sort();
}

type Raw = Record<string, unknown>;
const seconds = (v: unknown): number => {
  const d = parseDuration(v as string);
  assert.ok(d.ok, String(v));
  return d.value / 1000;
};

/** Phases a matrix makes: the product of its lists minus the combinations an exclude entry matches. */
function cellCount(matrix: Raw | undefined): number {
  if (matrix === undefined) return 1;
  const { exclude = [], ...dims } = matrix as { exclude?: Raw[] } & Record<string, unknown[]>;
  let cells: Raw[] = [{}];
  for (const [k, values] of Object.entries(dims)) cells = cells.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  return cells.filter((c) => !exclude.some((e) => Object.entries(e).every(([k, v]) => c[k] === v))).length;
}

const CASES: Record<string, ScenarioCase> = {
  'quickstart.yaml': {
    phases: ['mqtt-tcp-qos1', 'mqtt-ws-qos1', 'ws-broadcast'],
    check(phases) {
      const cells = [
        { protocol: 'mqtt', transport: 'tcp' },
        { protocol: 'mqtt', transport: 'ws' },
        { protocol: 'ws', transport: 'ws' },
      ];
      assert.deepEqual(phases.map((p) => p.cell), cells);
      phases.forEach((p, i) => {
        const pub = group(p, 'publishers');
        const sub = group(p, 'subscribers');
        for (const g of [pub, sub]) {
          assert.equal(g.protocol, cells[i]!.protocol, `${p.name}/${g.name}`);
          assert.equal(g.transport, cells[i]!.transport, `${p.name}/${g.name}`);
        }
        assert.ok(pub.sent > 0, `${p.name}: nothing sent`);
        assert.equal(sub.expected, sub.clients * pub.sent, `${p.name}: every subscriber receives every message`);
        assert.equal(sub.receivedPerClient.min, pub.sent, p.name);
      });
    },
  },
  'protocol-comparison.yaml': {
    phases: ['mqtt-tcp-qos1-64B', 'mqtt-tcp-qos1-1KiB', 'mqtt-ws-qos1-64B', 'mqtt-ws-qos1-1KiB', 'ws-echo-64B', 'ws-echo-1KiB'],
    check(phases) {
      const cells = [
        ['mqtt', 'tcp', 64],
        ['mqtt', 'tcp', 1024],
        ['mqtt', 'ws', 64],
        ['mqtt', 'ws', 1024],
        ['ws', 'ws', 64],
        ['ws', 'ws', 1024],
      ].map(([protocol, transport, payload]) => ({ protocol, transport, payload }));
      assert.deepEqual(phases.map((p) => p.cell), cells);
      phases.forEach((p, i) => {
        const g = group(p, 'clients');
        assert.equal(g.protocol, cells[i]!.protocol);
        assert.equal(g.transport, cells[i]!.transport);
        assert.equal(p.params.payloadBytes, cells[i]!.payload, `${p.name}: the cell's payload was sent`);
        assert.ok(g.sent > 0, `${p.name}: nothing sent`);
        assert.equal(g.expected, g.sent, `${p.name}: each message comes back once to its sender`);
      });
    },
  },
  'broker-comparison.yaml': {
    phases: ['mqtt-tcp-qos0-aedes', 'mqtt-tcp-qos0-mosquitto', 'mqtt-tcp-qos1-aedes', 'mqtt-tcp-qos1-mosquitto'],
    check(phases) {
      const cells = [0, 1].flatMap((qos) => (['aedes', 'mosquitto'] as const).map((broker) => ({ qos, broker })));
      assert.deepEqual(phases.map((p) => p.cell), cells);
      phases.forEach((p, i) => {
        const cell = cells[i]!;
        assert.equal(p.target.kind, 'bundled', p.name);
        assert.equal(p.target.broker, cell.broker, `${p.name}: served by the cell's broker`);
        assert.ok(p.target.cpuSeconds !== null, `${p.name}: the broker's CPU is measured by its pid`);
        const pubs = group(p, 'publishers');
        const subs = group(p, 'subscribers');
        assert.equal(pubs.qos, cell.qos, p.name);
        assert.ok(pubs.sent > 0, `${p.name}: nothing sent`);
        assert.equal(subs.expected, subs.clients * pubs.sent, `${p.name}: every message to every subscriber`);
        assert.deepEqual(subs.receivedPerClient, { min: pubs.sent, max: pubs.sent }, p.name);
      });
      // Each broker is started once for the run: its two phases reach it at the same address.
      const urls = (broker: string): Set<string> => new Set(phases.filter((p) => p.target.broker === broker).map((p) => p.target.url));
      assert.equal(urls('aedes').size, 1, 'one aedes for the run');
      assert.equal(urls('mosquitto').size, 1, 'one mosquitto for the run');
      assert.notDeepEqual(urls('aedes'), urls('mosquitto'), 'two brokers, one per cell value');
    },
  },
  'fan-in.yaml': {
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      const sensors = group(p, 'sensors');
      const collector = group(p, 'collector');
      assert.equal(sensors.connects, sensors.clients);
      assert.ok(sensors.sent > 0);
      assert.equal(collector.expected, sensors.sent, 'the wildcard matches every sensor, once');
      assert.equal(collector.receivedPerClient.max, sensors.sent);
    },
  },
  'fan-out.yaml': {
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      const source = group(p, 'source');
      const subs = group(p, 'subscribers');
      assert.equal(subs.connects, subs.clients);
      assert.ok(source.sent > 0);
      assert.equal(subs.expected, subs.clients * source.sent, 'every message to every subscriber');
      assert.deepEqual(subs.receivedPerClient, { min: source.sent, max: source.sent });
    },
  },
  'point-to-point.yaml': {
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      const backend = group(p, 'backend');
      const devices = group(p, 'devices');
      assert.equal(backend.clients, devices.clients, 'pairs');
      assert.ok(backend.sent > 0);
      assert.equal(devices.expected, backend.sent, 'each message has exactly one receiver');
      assert.ok(devices.receivedPerClient.min > 0, 'every pair talked');
      assert.ok(devices.receivedPerClient.max < backend.sent, 'no device received the other pairs\' messages');
    },
  },
  'connection-storm.yaml': {
    phases: ['mqtt-tcp-connect'],
    check(phases) {
      const p = only(phases);
      const devices = group(p, 'devices');
      assert.equal(devices.role, 'connect-only');
      assert.equal(devices.connects, devices.clients, 'every device connected');
      assert.equal(devices.disconnects, 0);
      assert.equal(devices.latency.connect.count, devices.clients);
      assert.equal(devices.sent, 0);
      // The last devices join as the ramp ends, and on a loaded machine a connect may still be on its
      // way in the first steady second; what the storm must show is a count that only climbs to all
      // of them and never falls (a dropped connection lowers it, and disconnects is 0 above).
      const held = p.timeline.map((t) => t.connections);
      const climbs = held.every((c, i) => i === 0 || c >= held[i - 1]!);
      assert.ok(climbs && held.at(-1) === devices.clients, `connections climb to ${devices.clients} and never fall: ${JSON.stringify(held)}`);
    },
  },
  'ws-echo.yaml': {
    phases: ['ws-echo'],
    check(phases) {
      const p = only(phases);
      const g = group(p, 'clients');
      assert.equal(g.protocol, 'ws');
      assert.equal(g.qos, null);
      assert.equal(g.connects, g.clients);
      assert.ok(g.sent > 0);
      assert.equal(g.expected, g.sent, 'each message comes back once');
      assert.equal(g.latency.e2e.count, g.received);
    },
  },
  'ws-broadcast.yaml': {
    phases: ['ws-broadcast'],
    check(phases) {
      const p = only(phases);
      const speakers = group(p, 'speakers');
      const listeners = group(p, 'listeners');
      assert.equal(listeners.connects, listeners.clients);
      assert.ok(speakers.sent > 0);
      assert.equal(listeners.expected, listeners.clients * speakers.sent, 'every listener hears every message');
      assert.deepEqual(listeners.receivedPerClient, { min: speakers.sent, max: speakers.sent });
    },
  },
};

test('every file in scenarios/ has an end-to-end test', () => {
  const tested = Object.values(FILES_TESTED_IN).flat().sort();
  assert.deepEqual(scenarioFiles(), tested, 'add a case for the new file to e2e-scenarios*.test.ts and FILES_TESTED_IN');
  assert.deepEqual(Object.keys(CASES).sort(), [...FILES_TESTED_IN['e2e-scenarios.test']].sort());
});

test('scenario files: schema header, a comment that teaches, {run} in every topic, under a minute by default', () => {
  for (const file of scenarioFiles()) {
    const text = readFileSync(`${SCENARIO_DIR}${file}`, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines[0], HEADER, `${file}: first line`);
    const comment = lines.slice(1).findIndex((l) => !l.startsWith('#'));
    assert.ok(comment >= 10, `${file}: a comment block of at least 10 lines after the header (${comment})`);
    const doc = parse(text) as Raw;
    assert.equal(doc['name'], file.replace(/\.(ya?ml|json)$/, ''), `${file}: name`);
    assert.equal(typeof doc['description'], 'string', `${file}: description`);
    for (const g of doc['groups'] as Raw[]) {
      const merged = { ...(doc['defaults'] as Raw | undefined), ...g };
      const will = merged['will'] as Raw | undefined;
      const topics = [merged['topic'], merged['subscribe'], will?.['topic']].flat().filter((t) => t !== undefined);
      for (const t of topics) assert.match(String(t), /\{run\}/, `${file}: ${String(g['name'])}: '${String(t)}' keeps runs apart only with {run}`);
    }
    const load = doc['load'] as Raw;
    const steady = seconds(load['duration']);
    assert.ok(steady >= 5 && steady <= 10, `${file}: steady ${steady} s, 5-10 s by default`);
    const stages = ((load['stages'] as Raw[] | undefined) ?? []).reduce((s, st) => s + seconds(st['duration']), 0);
    const total = cellCount(doc['matrix'] as Raw | undefined) * (stages + seconds(load['warmup']) + steady);
    assert.ok(total <= 40, `${file}: ${total} s of load by default, well under a minute`);
  }
});

/**
 * The connection storm asserts that 1,000 clients connect within its ramp, which a crowded machine
 * can miss, so it runs alone; the other files run three at a time, each against its own bundled
 * servers: their assertions are counts, and their loads are small open-model rates.
 */
const ALONE = new Set(['connection-storm.yaml']);

describe('the scenario library, side by side', { concurrency: 3 }, () => {
  for (const [file, c] of Object.entries(CASES).filter(([f]) => !ALONE.has(f))) {
    test(`scenarios/${file}`, { timeout: 90_000 }, async () => c.check(await runScenario(file, c)));
  }
});

for (const [file, c] of Object.entries(CASES).filter(([f]) => ALONE.has(f))) {
  test(`scenarios/${file}`, { timeout: 90_000 }, async () => c.check(await runScenario(file, c)));
}
