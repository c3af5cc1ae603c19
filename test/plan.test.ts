/**
 * Pure planning, part one (src/plan/plan.ts): scenario -> phases, phase names, topic
 * templates, ramp levels; and topic filter matching (src/plan/topic-match.ts).
 * Splitting a phase over workers is in plan-workers.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRunConfig, type RawRunFlags } from '../src/config/run-config.js';
import { filterForTemplate, levelAt, phaseName, planPhases, rampJoinMs, renderTopic, type PhaseParams } from '../src/plan/plan.js';
import { topicMatches } from '../src/plan/topic-match.js';
import { applyCell, type GroupSpec, type MatrixCell, type Scenario, type Stage } from '../src/config/model.js';
import { group, LOAD, openGroup, scenario } from './helpers/fixtures.js';

function config(raw: RawRunFlags): Scenario {
  const r = buildRunConfig({ workers: 2, ...raw }, false);
  if ('issues' in r) assert.fail(`bad test config ${JSON.stringify(raw)}: ${JSON.stringify(r.issues)}`);
  return r.config;
}

describe('planPhases: flags-only runs keep their phase names', () => {
  const cases: Array<{ name: string; raw: RawRunFlags; names: string[]; qos: Array<0 | 1 | 2 | null> }> = [
    { name: 'default QoS list, one phase per level in order', raw: {}, names: ['mqtt-tcp-qos0', 'mqtt-tcp-qos1', 'mqtt-tcp-qos2'], qos: [0, 1, 2] },
    { name: 'given order is kept', raw: { qos: '2,0' }, names: ['mqtt-tcp-qos2', 'mqtt-tcp-qos0'], qos: [2, 0] },
    { name: 'single level over wss', raw: { qos: '1', target: 'wss://h/mqtt' }, names: ['mqtt-wss-qos1'], qos: [1] },
    { name: 'tls transport', raw: { qos: '0,2', transport: 'tls' }, names: ['mqtt-tls-qos0', 'mqtt-tls-qos2'], qos: [0, 2] },
    { name: 'connections only: one connect phase', raw: { publishers: 0, connections: 10, qos: '1,2' }, names: ['mqtt-tcp-connect'], qos: [1] },
    { name: 'plain WebSocket echo: one phase, no QoS', raw: { protocol: 'ws' }, names: ['ws-echo'], qos: [null] },
    { name: 'plain WebSocket broadcast over wss', raw: { protocol: 'ws', role: 'broadcast', target: 'wss://h' }, names: ['wss-broadcast'], qos: [null] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const phases = planPhases(config(c.raw), 'abc');
      assert.deepEqual(phases.map((p) => p.name), c.names);
      assert.deepEqual(phases.map((p) => p.params.qos), c.qos);
      assert.deepEqual(phases.map((p) => p.index), phases.map((_, i) => i));
      assert.deepEqual(phases.map((p) => p.tag), phases.map((_, i) => `abc-${i}`));
    });
  }

  test('closed model: inflight set, rate null', () => {
    const [p] = planPhases(config({ inflight: 7, qos: '1', publishers: 3, subscribers: 4, payload: '1KiB', duration: '3s', warmup: '1s', drain: '2s' }), 'r');
    assert.ok(p);
    assert.equal(p.params.model, 'closed');
    assert.equal(p.params.rate, null);
    assert.equal(p.params.inflight, 7);
    assert.equal(p.params.role, 'pubsub');
    assert.equal(p.params.publishers, 3);
    assert.equal(p.params.subscribers, 4);
    assert.equal(p.params.payloadBytes, 1024);
    assert.equal(p.params.mqttVersion, 4);
    assert.equal(p.durationMs, 3000);
    assert.equal(p.warmupMs, 1000);
    assert.equal(p.drainMs, 2000);
    assert.equal(p.rampMs, 0);
    // Flags alone describe no matrix: the payload is the groups', not a cell's, so no size suffix.
    assert.equal(p.name, 'mqtt-tcp-qos1');
  });

  test('open model: rate set, inflight null', () => {
    const [p] = planPhases(config({ rate: '1k/s', qos: '0' }), 'r');
    assert.ok(p);
    assert.equal(p.params.model, 'open');
    assert.equal(p.params.rate, 1000);
    assert.equal(p.params.inflight, null);
  });

  test('plain WebSocket echo has no subscribers; broadcast keeps them', () => {
    const [echo] = planPhases(config({ protocol: 'ws', subscribers: 5 }), 'r');
    const [bc] = planPhases(config({ protocol: 'ws', role: 'broadcast', subscribers: 5 }), 'r');
    assert.equal(echo?.params.subscribers, 0);
    assert.equal(echo?.params.role, 'echo');
    assert.equal(bc?.params.subscribers, 5);
    assert.equal(bc?.params.role, 'broadcast');
  });
});

const pubsub = (qos: 0 | 1 | 2 = 1): GroupSpec[] => [group('pubs', 'publish', { qos, clients: 2 }), group('subs', 'subscribe', { qos })];
const echo = (fields: Partial<GroupSpec> = {}): GroupSpec[] => [openGroup('clients', 'echo', 100, { qos: 1, clients: 4, ...fields })];

describe('planPhases: one phase per matrix cell', () => {
  const cases: Array<{ name: string; groups: GroupSpec[]; cells: MatrixCell[]; names: string[] }> = [
    { name: 'no matrix: one phase', groups: pubsub(), cells: [{}], names: ['mqtt-tcp-qos1'] },
    { name: 'qos cells in order', groups: pubsub(), cells: [{ qos: 2 }, { qos: 0 }, { qos: 1 }], names: ['mqtt-tcp-qos2', 'mqtt-tcp-qos0', 'mqtt-tcp-qos1'] },
    { name: 'transport cells', groups: pubsub(), cells: [{ transport: 'tcp' }, { transport: 'ws' }, { transport: 'tls' }], names: ['mqtt-tcp-qos1', 'mqtt-ws-qos1', 'mqtt-tls-qos1'] },
    { name: 'payload cells add the size', groups: pubsub(), cells: [{ payload: 64 }, { payload: 1024 }], names: ['mqtt-tcp-qos1-64B', 'mqtt-tcp-qos1-1KiB'] },
    { name: 'payload sizes in binary units', groups: pubsub(), cells: [{ payload: 16 }, { payload: 4096 }, { payload: 1024 * 1024 }], names: ['mqtt-tcp-qos1-16B', 'mqtt-tcp-qos1-4KiB', 'mqtt-tcp-qos1-1MiB'] },
    {
      name: 'protocol x transport x payload, ws/tcp excluded (protocol-comparison.yaml)',
      groups: echo(),
      cells: [
        { protocol: 'mqtt', transport: 'tcp', payload: 64 },
        { protocol: 'mqtt', transport: 'tcp', payload: 1024 },
        { protocol: 'mqtt', transport: 'ws', payload: 64 },
        { protocol: 'mqtt', transport: 'ws', payload: 1024 },
        { protocol: 'ws', transport: 'ws', payload: 64 },
        { protocol: 'ws', transport: 'ws', payload: 1024 },
      ],
      names: ['mqtt-tcp-qos1-64B', 'mqtt-tcp-qos1-1KiB', 'mqtt-ws-qos1-64B', 'mqtt-ws-qos1-1KiB', 'ws-echo-64B', 'ws-echo-1KiB'],
    },
    { name: 'broker cells add the broker, after the size (broker-comparison.yaml)', groups: pubsub(), cells: [{ payload: 64, broker: 'aedes' }, { payload: 64, broker: 'mosquitto' }], names: ['mqtt-tcp-qos1-64B-aedes', 'mqtt-tcp-qos1-64B-mosquitto'] },
    { name: 'ws protocol moves a tcp group to ws, a tls group to wss', groups: [...echo({ name: 'a' }), ...echo({ name: 'b', transport: 'tls' })], cells: [{ protocol: 'ws' }], names: ['mixed-echo'] },
    { name: 'duplicate names get -2, -3', groups: pubsub(), cells: [{ qos: 1 }, { qos: 0 }, { qos: 1 }, { qos: 1 }], names: ['mqtt-tcp-qos1', 'mqtt-tcp-qos0', 'mqtt-tcp-qos1-2', 'mqtt-tcp-qos1-3'] },
    { name: 'duplicates after the payload suffix', groups: pubsub(), cells: [{ payload: 1024 }, { payload: 1024 }], names: ['mqtt-tcp-qos1-1KiB', 'mqtt-tcp-qos1-1KiB-2'] },
    { name: 'QoS differing between groups: qosmixed', groups: [group('pubs', 'publish', { qos: 1 }), group('subs', 'subscribe', { qos: 0 })], cells: [{}], names: ['mqtt-tcp-qosmixed'] },
    { name: 'a qos cell makes mixed groups one QoS', groups: [group('pubs', 'publish', { qos: 1 }), group('subs', 'subscribe', { qos: 0 })], cells: [{ qos: 2 }], names: ['mqtt-tcp-qos2'] },
    { name: 'idle groups do not make the QoS mixed', groups: [...pubsub(1), group('idle', 'connect-only', { qos: 2 })], cells: [{}], names: ['mqtt-tcp-qos1'] },
    { name: 'transport differing between groups: mixed', groups: [group('pubs', 'publish', { qos: 1 }), group('subs', 'subscribe', { qos: 1, transport: 'ws' })], cells: [{}], names: ['mqtt-mixed-qos1'] },
    { name: 'nobody publishes: connect', groups: [group('idle', 'connect-only', { clients: 100 })], cells: [{ qos: 0 }, { qos: 1 }], names: ['mqtt-tcp-connect', 'mqtt-tcp-connect-2'] },
    { name: 'plain WebSocket echo', groups: echo({ protocol: 'ws', transport: 'ws' }), cells: [{}], names: ['ws-echo'] },
    {
      name: 'plain WebSocket broadcast over wss',
      groups: [group('pubs', 'publish', { protocol: 'ws', transport: 'wss' }), group('subs', 'subscribe', { protocol: 'ws', transport: 'wss' })],
      cells: [{}],
      names: ['wss-broadcast'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const phases = planPhases(scenario(c.groups, { cells: c.cells }), 'run');
      assert.deepEqual(phases.map((p) => p.name), c.names);
      assert.deepEqual(phases.map((p) => p.cell), c.cells);
      assert.deepEqual(phases.map((p) => p.index), c.cells.map((_, i) => i));
      assert.deepEqual(phases.map((p) => p.tag), c.cells.map((_, i) => `run-${i}`));
      for (const [i, p] of phases.entries()) assert.deepEqual(p.groups, applyCell(c.groups, c.cells[i] ?? {}), p.name);
    });
  }

  test('the broker of a phase: the cell\'s, else the scenario\'s; none with a target or without MQTT groups', () => {
    const cells: MatrixCell[] = [{ broker: 'mosquitto' }, {}];
    assert.deepEqual(planPhases(scenario(pubsub(), { cells, broker: 'aedes' }), 'r').map((p) => [p.name, p.broker]), [['mqtt-tcp-qos1-mosquitto', 'mosquitto'], ['mqtt-tcp-qos1', 'aedes']]);
    assert.deepEqual(planPhases(scenario(pubsub(), { broker: 'mosquitto' }), 'r').map((p) => [p.name, p.broker]), [['mqtt-tcp-qos1', 'mosquitto']], '--broker alone names no phase');
    const target: Scenario['targets'][number] = { url: 'mqtt://127.0.0.1:1883', transport: 'tcp', host: '127.0.0.1', port: 1883, path: '' };
    assert.deepEqual(planPhases(scenario(pubsub(), { targets: [target] }), 'r').map((p) => p.broker), [null]);
    assert.deepEqual(planPhases(scenario(echo({ protocol: 'ws', transport: 'ws' })), 'r').map((p) => p.broker), [null]);
  });

  test('the groups of a phase carry its cell; the scenario is not changed', () => {
    const groups = pubsub(0);
    const before = structuredClone(groups);
    const [p] = planPhases(scenario(groups, { cells: [{ qos: 2, transport: 'wss', payload: 512 }] }), 'r');
    assert.deepEqual(p?.groups.map((g) => [g.name, g.qos, g.transport, g.payload.bytes]), [
      ['pubs', 2, 'wss', 512],
      // Payload applies to publishing groups only.
      ['subs', 2, 'wss', 16],
    ]);
    assert.equal(p?.params.qos, 2);
    assert.equal(p?.params.transport, 'wss');
    assert.equal(p?.params.payloadBytes, 512);
    assert.deepEqual(groups, before);
  });

  test('load shape: rampMs is the sum of the stages, the rest copied', () => {
    const stages: Stage[] = [
      { durationMs: 1500, kind: 'rate', level: 0.5 },
      { durationMs: 2500, kind: 'rate', level: 1 },
    ];
    const phases = planPhases(scenario(echo(), { load: { stages, warmupMs: 700, durationMs: 3000, drainMs: 900 }, connectRate: 250, cells: [{ qos: 0 }, { qos: 1 }] }), 'r');
    for (const p of phases) {
      assert.equal(p.rampMs, 4000);
      assert.deepEqual(p.stages, stages);
      assert.equal(p.warmupMs, 700);
      assert.equal(p.durationMs, 3000);
      assert.equal(p.drainMs, 900);
      assert.equal(p.connectRate, 250);
    }
    assert.equal(planPhases(scenario(echo(), { load: LOAD }), 'r')[0]?.rampMs, 0);
  });

  test('params summarize the groups', () => {
    const [p] = planPhases(
      scenario([
        group('subs', 'subscribe', { clients: 3, qos: 2 }),
        openGroup('fast', 'publish', 300, { clients: 2, qos: 1, payload: { bytes: 200, template: null }, topic: 'f/{client}', mqttVersion: 5 }),
        openGroup('slow', 'both', 50, { clients: 4, qos: 1 }),
        group('idle', 'connect-only', { clients: 10, qos: 0 }),
      ]),
      'r',
    );
    const expected: PhaseParams = {
      protocol: 'mqtt',
      transport: 'tcp',
      role: 'pubsub',
      mqttVersion: 5,
      qos: 1,
      payloadBytes: 200,
      publishers: 6,
      subscribers: 7,
      connections: 10,
      model: 'open',
      rate: 350,
      inflight: null,
      topic: 'f/{client}',
      noDelay: true,
    };
    assert.deepEqual(p?.params, expected);
  });
});

describe('applyCell', () => {
  const base = [group('p', 'publish', { qos: 0, transport: 'tls', payload: { bytes: 64, template: '{"t":{time}}' } }), group('s', 'subscribe', { qos: 0, transport: 'tcp' })];
  const cases: Array<{ cell: MatrixCell; fields: Array<Pick<GroupSpec, 'protocol' | 'transport' | 'qos'> & { bytes: number; template: string | null }> }> = [
    {
      cell: {},
      fields: [
        { protocol: 'mqtt', transport: 'tls', qos: 0, bytes: 64, template: '{"t":{time}}' },
        { protocol: 'mqtt', transport: 'tcp', qos: 0, bytes: 16, template: null },
      ],
    },
    {
      cell: { qos: 1 },
      fields: [
        { protocol: 'mqtt', transport: 'tls', qos: 1, bytes: 64, template: '{"t":{time}}' },
        { protocol: 'mqtt', transport: 'tcp', qos: 1, bytes: 16, template: null },
      ],
    },
    {
      cell: { transport: 'ws' },
      fields: [
        { protocol: 'mqtt', transport: 'ws', qos: 0, bytes: 64, template: '{"t":{time}}' },
        { protocol: 'mqtt', transport: 'ws', qos: 0, bytes: 16, template: null },
      ],
    },
    {
      // A cell's payload is a plain size: the template goes.
      cell: { payload: 2048 },
      fields: [
        { protocol: 'mqtt', transport: 'tls', qos: 0, bytes: 2048, template: null },
        { protocol: 'mqtt', transport: 'tcp', qos: 0, bytes: 16, template: null },
      ],
    },
    {
      cell: { protocol: 'ws' },
      fields: [
        { protocol: 'ws', transport: 'wss', qos: 0, bytes: 64, template: '{"t":{time}}' },
        { protocol: 'ws', transport: 'ws', qos: 0, bytes: 16, template: null },
      ],
    },
    {
      cell: { protocol: 'ws', transport: 'wss' },
      fields: [
        { protocol: 'ws', transport: 'wss', qos: 0, bytes: 64, template: '{"t":{time}}' },
        { protocol: 'ws', transport: 'wss', qos: 0, bytes: 16, template: null },
      ],
    },
    {
      cell: { protocol: 'mqtt', transport: 'tcp', qos: 2, payload: 100 },
      fields: [
        { protocol: 'mqtt', transport: 'tcp', qos: 2, bytes: 100, template: null },
        { protocol: 'mqtt', transport: 'tcp', qos: 2, bytes: 16, template: null },
      ],
    },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.cell), () => {
      const out = applyCell(base, c.cell);
      assert.deepEqual(
        out.map((g) => ({ protocol: g.protocol, transport: g.transport, qos: g.qos, bytes: g.payload.bytes, template: g.payload.template })),
        c.fields,
      );
      // Everything else is kept, and the input is not changed.
      assert.deepEqual(out.map((g) => [g.name, g.role, g.clients, g.topic]), base.map((g) => [g.name, g.role, g.clients, g.topic]));
      assert.equal(base[0]?.qos, 0);
      assert.equal(base[0]?.transport, 'tls');
    });
  }
});

describe('phaseName', () => {
  const cases: Array<[Pick<PhaseParams, 'protocol' | 'transport' | 'qos' | 'role'>, string]> = [
    [{ protocol: 'mqtt', transport: 'tcp', qos: 0, role: 'pubsub' }, 'mqtt-tcp-qos0'],
    [{ protocol: 'mqtt', transport: 'ws', qos: 2, role: 'pubsub' }, 'mqtt-ws-qos2'],
    [{ protocol: 'mqtt', transport: 'tls', qos: 1, role: 'connect' }, 'mqtt-tls-connect'],
    [{ protocol: 'ws', transport: 'ws', qos: null, role: 'echo' }, 'ws-echo'],
    [{ protocol: 'ws', transport: 'wss', qos: null, role: 'broadcast' }, 'wss-broadcast'],
  ];
  for (const [params, name] of cases) {
    test(name, () => assert.equal(phaseName(params), name));
  }
});

describe('renderTopic and filterForTemplate', () => {
  const vars = { client: 'mqb-r-0-p3', n: 3, worker: 1, run: 'r-0', group: 'pubs' };
  const render: Array<[string, string]> = [
    ['mqbench/{run}/{client}', 'mqbench/r-0/mqb-r-0-p3'],
    ['mqbench/{run}/{group}/{client}', 'mqbench/r-0/pubs/mqb-r-0-p3'],
    ['t/{worker}/{n}', 't/1/3'],
    ['{n}-{n}/{worker}{worker}', '3-3/11'],
    ['fixed/topic', 'fixed/topic'],
    ['{unknown}/{n}', '{unknown}/3'],
  ];
  for (const [template, topic] of render) {
    test(`renderTopic ${template}`, () => assert.equal(renderTopic(template, vars), topic));
  }

  test('renderTopic without a group renders {group} empty', () => {
    assert.equal(renderTopic('a/{group}/b', { client: 'c', n: 1, worker: 0, run: 'r' }), 'a//b');
  });

  const filters: Array<[string, string]> = [
    ['mqbench/{run}/{client}', 'mqbench/r-0/+'],
    ['mqbench/{run}/{group}/{client}', 'mqbench/r-0/pubs/+'],
    ['a/{run}-x/{n}', 'a/r-0-x/+'],
    ['{client}/data', '+/data'],
    ['t/{worker}/{n}/end', 't/+/+/end'],
    ['fixed/topic', 'fixed/topic'],
    ['run/{run}', 'run/r-0'],
    ['p{n}x/{run}', '+/r-0'],
    ['{group}-{n}/x', '+/x'],
  ];
  for (const [template, filter] of filters) {
    test(`filterForTemplate ${template} -> ${filter}`, () => {
      assert.equal(filterForTemplate(template, 'r-0', 'pubs'), filter);
      // Whatever a publisher renders, the subscription filter must match it.
      assert.ok(topicMatches(filter, renderTopic(template, vars)), `${filter} should match ${renderTopic(template, vars)}`);
    });
  }

  test('a filter from another run or another group does not match', () => {
    const topic = renderTopic('mqbench/{run}/{group}/{client}', vars);
    assert.equal(topicMatches(filterForTemplate('mqbench/{run}/{group}/{client}', 'r-1', 'pubs'), topic), false);
    assert.equal(topicMatches(filterForTemplate('mqbench/{run}/{group}/{client}', 'r-0', 'other'), topic), false);
  });
});

const rate = (durationMs: number, level: number): Stage => ({ durationMs, kind: 'rate', level });
const clients = (durationMs: number, level: number): Stage => ({ durationMs, kind: 'clients', level });

describe('levelAt', () => {
  const cases: Array<{ name: string; stages: Stage[]; at: Array<[number, number]> }> = [
    { name: 'no stages: always 100%', stages: [], at: [[0, 1], [5000, 1]] },
    { name: 'one stage from 0', stages: [rate(1000, 1)], at: [[0, 0], [250, 0.25], [500, 0.5], [999, 0.999], [1000, 1], [5000, 1]] },
    { name: 'up, hold, up', stages: [rate(1000, 0.5), rate(1000, 0.5), rate(2000, 1)], at: [[500, 0.25], [1000, 0.5], [1500, 0.5], [2000, 0.5], [3000, 0.75], [4000, 1]] },
    { name: 'above 100% then back down', stages: [rate(1000, 2), rate(1000, 1)], at: [[500, 1], [1000, 2], [1500, 1.5], [2000, 1]] },
    { name: 'stages ending below 100%: full level after them (warm-up and steady)', stages: [rate(1000, 0.4)], at: [[500, 0.2], [999, 0.3996], [1000, 1], [1e6, 1]] },
    { name: 'clients stages read the same way', stages: [clients(2000, 0.5), clients(2000, 1)], at: [[1000, 0.25], [2000, 0.5], [3000, 0.75]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      for (const [ms, level] of c.at) assert.ok(Math.abs(levelAt(c.stages, ms) - level) < 1e-9, `at ${ms}ms: ${levelAt(c.stages, ms)} != ${level}`);
    });
  }
});

describe('rampJoinMs', () => {
  const cases: Array<{ name: string; stages: Stage[]; count: number; joins: number[] }> = [
    { name: 'no stages: everyone before the start', stages: [], count: 3, joins: [0, 0, 0] },
    { name: 'rate stages do not pace clients', stages: [rate(10_000, 1)], count: 3, joins: [0, 0, 0] },
    { name: 'one stage to 100%: evenly spread, the last at its end', stages: [clients(10_000, 1)], count: 4, joins: [2500, 5000, 7500, 10_000] },
    { name: 'rounded to whole milliseconds', stages: [clients(10_000, 1)], count: 3, joins: [3333, 6667, 10_000] },
    { name: 'one client', stages: [clients(4000, 1)], count: 1, joins: [4000] },
    { name: 'two stages: half, then the rest', stages: [clients(10_000, 0.5), clients(10_000, 1)], count: 4, joins: [5000, 10_000, 15_000, 20_000] },
    { name: 'a hold keeps the level', stages: [clients(10_000, 0.5), clients(5000, 0.5), clients(10_000, 1)], count: 4, joins: [5000, 10_000, 20_000, 25_000] },
    { name: 'stages below 100%: the rest join when the stages end', stages: [clients(10_000, 0.5)], count: 4, joins: [5000, 10_000, 10_000, 10_000] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(Array.from({ length: c.count }, (_, i) => rampJoinMs(c.stages, i, c.count)), c.joins);
    });
  }

  test('join times never fall and each client is covered by the level when it joins', () => {
    const stages = [clients(3000, 0.2), clients(1000, 0.2), clients(7000, 0.9), clients(2000, 1)];
    const count = 97;
    let last = 0;
    for (let i = 0; i < count; i++) {
      const ms = rampJoinMs(stages, i, count);
      assert.ok(ms >= last, `client ${i} joins at ${ms} before ${last}`);
      // Whole milliseconds: the level at the join time covers the client within a millisecond's rounding.
      assert.ok(levelAt(stages, ms + 1) * count >= i + 1 - 1e-9, `client ${i} at ${ms}ms: level ${levelAt(stages, ms + 1)}`);
      last = ms;
    }
  });
});

describe('topicMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    // exact
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/x/c', false],
    ['A/b', 'a/b', false],
    ['a', 'a', true],
    ['/a', '/a', true],
    ['/a', 'a', false],
    ['a/', 'a/', true],
    ['a/', 'a', false],
    // + matches exactly one level (possibly empty)
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/+', 'a/', true],
    ['+', 'a', true],
    ['+', 'a/b', false],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['+/b/+', 'x/b/y', true],
    // # matches the rest, including the parent level
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c/d', true],
    ['a/#', 'b/c', false],
    ['a/b/#', 'a', false],
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a', false],
    ['+/#', 'a/b/c', true],
    // $-topics: a filter starting with a wildcard does not match them (MQTT 3.1.1, 4.7.2)
    ['$SYS/#', '$SYS/broker/load', true],
    ['$SYS/+/load', '$SYS/broker/load', true],
    ['$SYS/broker', '$SYS/broker', true],
    ['#', '$SYS/broker/load', false],
    ['+/broker/load', '$SYS/broker/load', false],
    ['+', '$x', false],
    ['+/#', '$SYS/a', false],
    ['a/+', 'a/$x', true],
  ];
  for (const [filter, topic, expected] of cases) {
    test(`${filter} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(topicMatches(filter, topic), expected);
    });
  }
});
