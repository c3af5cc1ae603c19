/**
 * Pure planning (src/plan/plan.ts) and topic filter matching (src/plan/topic-match.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRunConfig, type RawRunFlags, type RunConfig } from '../src/config/run-config.js';
import {
  filterForTemplate,
  phaseName,
  planPhases,
  planWorkers,
  renderTopic,
  withConnectRates,
  type PhaseParams,
  type PhaseSpec,
  type WorkerPlan,
} from '../src/plan/plan.js';
import { topicMatches } from '../src/plan/topic-match.js';

function config(raw: RawRunFlags): RunConfig {
  const r = buildRunConfig({ workers: 2, ...raw }, false);
  if ('issues' in r) assert.fail(`bad test config ${JSON.stringify(raw)}: ${JSON.stringify(r.issues)}`);
  return r.config;
}

function spec(params: Partial<PhaseParams>, tag = 'run1-0'): PhaseSpec {
  const full: PhaseParams = {
    protocol: 'mqtt',
    transport: 'tcp',
    role: 'pubsub',
    mqttVersion: 4,
    qos: 1,
    payloadBytes: 16,
    publishers: 1,
    subscribers: 1,
    connections: 0,
    model: 'closed',
    rate: null,
    inflight: 100,
    topic: 'mqbench/{run}/{client}',
    noDelay: true,
    ...params,
  };
  return { index: 0, name: phaseName(full), tag, params: full, warmupMs: 1000, durationMs: 2000, drainMs: 500 };
}

const close = (a: number, b: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
};

describe('planPhases', () => {
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
  const vars = { client: 'mqb-r-0-p3', n: 3, worker: 1, run: 'r-0' };
  const render: Array<[string, string]> = [
    ['mqbench/{run}/{client}', 'mqbench/r-0/mqb-r-0-p3'],
    ['t/{worker}/{n}', 't/1/3'],
    ['{n}-{n}/{worker}{worker}', '3-3/11'],
    ['fixed/topic', 'fixed/topic'],
    ['{unknown}/{n}', '{unknown}/3'],
  ];
  for (const [template, topic] of render) {
    test(`renderTopic ${template}`, () => assert.equal(renderTopic(template, vars), topic));
  }

  const filters: Array<[string, string]> = [
    ['mqbench/{run}/{client}', 'mqbench/r-0/+'],
    ['a/{run}-x/{n}', 'a/r-0-x/+'],
    ['{client}/data', '+/data'],
    ['t/{worker}/{n}/end', 't/+/+/end'],
    ['fixed/topic', 'fixed/topic'],
    ['run/{run}', 'run/r-0'],
    ['p{n}x/{run}', '+/r-0'],
  ];
  for (const [template, filter] of filters) {
    test(`filterForTemplate ${template} -> ${filter}`, () => {
      assert.equal(filterForTemplate(template, 'r-0'), filter);
      // Whatever a publisher renders, the subscription filter must match it.
      assert.ok(topicMatches(filter, renderTopic(template, vars)), `${filter} should match ${renderTopic(template, vars)}`);
    });
  }

  test('a filter from another run does not match', () => {
    const topic = renderTopic('mqbench/{run}/{client}', vars);
    assert.equal(topicMatches(filterForTemplate('mqbench/{run}/{client}', 'r-1'), topic), false);
  });
});

/** Checks invariants every split must hold, and returns the per-worker client counts. */
function checkSplit(plans: WorkerPlan[], s: PhaseSpec, workers: number): number[] {
  const { params } = s;
  assert.equal(plans.length, workers);
  assert.deepEqual(plans.map((p) => p.workerIndex), plans.map((_, i) => i));

  const pubs = plans.flatMap((p) => p.publishers);
  const subs = plans.flatMap((p) => p.subscribers);
  const idle = plans.flatMap((p) => p.idle);
  assert.equal(pubs.length, params.publishers, 'publishers preserved');
  assert.equal(subs.length, params.subscribers, 'subscribers preserved');
  assert.equal(idle.length, params.connections, 'idle connections preserved');

  // Ids 1..N, each once.
  assert.deepEqual(pubs.map((p) => p.id).sort((a, b) => a - b), Array.from({ length: params.publishers }, (_, i) => i + 1));
  assert.deepEqual(subs.map((p) => p.id).sort((a, b) => a - b), Array.from({ length: params.subscribers }, (_, i) => i + 1));

  // Client ids unique across all workers and kinds, and tagged with the phase.
  const ids = [...pubs.map((p) => p.clientId), ...subs.map((p) => p.clientId), ...idle.map((p) => p.clientId)];
  assert.equal(new Set(ids).size, ids.length, 'client ids unique');
  for (const id of ids) assert.ok(id.startsWith(`mqb-${s.tag}-`), id);

  // Round-robin: counts per worker differ by at most one overall.
  const perWorker = plans.map((p) => p.publishers.length + p.subscribers.length + p.idle.length);
  for (const n of perWorker) assert.ok(n >= 0);
  const total = params.publishers + params.subscribers + params.connections;
  assert.equal(perWorker.reduce((a, b) => a + b, 0), total);
  if (total > 0) assert.ok(Math.max(...perWorker) - Math.min(...perWorker) <= 1, `uneven split ${JSON.stringify(perWorker)}`);

  // Rates: every publisher the same share, shares add up to the total.
  if (params.rate === null) {
    for (const p of pubs) assert.equal(p.ratePerSecond, null);
  } else if (params.publishers > 0) {
    const rateSum = plans.reduce((a, w) => a + w.publishers.reduce((b, p) => b + (p.ratePerSecond ?? Number.NaN), 0), 0);
    close(rateSum, params.rate, 'sum of publisher rates');
    const intervalUs = 1_000_000 / (params.rate / params.publishers);
    for (const p of pubs) {
      close(p.ratePerSecond ?? Number.NaN, params.rate / params.publishers, 'per-publisher rate');
      assert.ok(p.startOffsetUs >= 0 && p.startOffsetUs < Math.max(1, intervalUs), `offset ${p.startOffsetUs} outside one interval ${intervalUs}`);
      assert.ok(Number.isInteger(p.startOffsetUs));
    }
    const byId = [...pubs].sort((a, b) => a.id - b.id).map((p) => p.startOffsetUs);
    for (let i = 1; i < byId.length; i++) assert.ok((byId[i] ?? 0) >= (byId[i - 1] ?? 0), 'offsets rise with the publisher id');
  }

  for (const w of plans) {
    for (const sub of w.subscribers) assert.equal(sub.filter, filterForTemplate(params.topic, s.tag));
    for (const p of w.publishers) {
      assert.equal(p.topic, renderTopic(params.topic, { client: p.clientId, n: p.id, worker: w.workerIndex, run: s.tag }));
    }
  }
  return perWorker;
}

describe('planWorkers: split over workers', () => {
  const combos: Array<{ publishers: number; subscribers: number; connections: number; workers: number; rate: number | null }> = [
    { publishers: 1, subscribers: 1, connections: 0, workers: 1, rate: null },
    { publishers: 1, subscribers: 1, connections: 0, workers: 2, rate: null },
    { publishers: 1, subscribers: 1, connections: 0, workers: 8, rate: 1000 },
    { publishers: 3, subscribers: 0, connections: 0, workers: 2, rate: 1000 },
    { publishers: 7, subscribers: 5, connections: 0, workers: 3, rate: 1000 },
    { publishers: 10, subscribers: 10, connections: 3, workers: 4, rate: 333.3 },
    { publishers: 100, subscribers: 1, connections: 0, workers: 7, rate: 12_345 },
    { publishers: 3, subscribers: 3, connections: 0, workers: 3, rate: 0.1 },
    { publishers: 2, subscribers: 50, connections: 17, workers: 16, rate: null },
    { publishers: 0, subscribers: 0, connections: 9, workers: 4, rate: null },
    { publishers: 1000, subscribers: 0, connections: 0, workers: 256, rate: 100_000 },
  ];
  for (const c of combos) {
    test(`${c.publishers} pub, ${c.subscribers} sub, ${c.connections} idle over ${c.workers} workers, rate ${c.rate}`, () => {
      const s = spec({
        publishers: c.publishers,
        subscribers: c.subscribers,
        connections: c.connections,
        model: c.rate === null ? 'closed' : 'open',
        rate: c.rate,
        inflight: c.rate === null ? 100 : null,
        role: c.publishers === 0 ? 'connect' : 'pubsub',
      });
      const plans = planWorkers(s, c.workers);
      checkSplit(plans, s, c.workers);
    });
  }

  test('one publisher and one subscriber land on different workers', () => {
    const plans = planWorkers(spec({ publishers: 1, subscribers: 1 }), 2);
    assert.deepEqual(plans.map((p) => [p.publishers.length, p.subscribers.length]), [[1, 0], [0, 1]]);
  });

  test('exact layout: 3 publishers, 2 subscribers, 2 idle over 3 workers', () => {
    const s = spec({ publishers: 3, subscribers: 2, connections: 2 }, 'T-1');
    const plans = planWorkers(s, 3);
    assert.deepEqual(
      plans.map((p) => [...p.publishers.map((x) => x.clientId), ...p.subscribers.map((x) => x.clientId), ...p.idle.map((x) => x.clientId)]),
      [
        ['mqb-T-1-p1', 'mqb-T-1-s1', 'mqb-T-1-c2'],
        ['mqb-T-1-p2', 'mqb-T-1-s2'],
        ['mqb-T-1-p3', 'mqb-T-1-c1'],
      ],
    );
    assert.deepEqual(plans[1]?.publishers[0], {
      id: 2,
      clientId: 'mqb-T-1-p2',
      topic: 'mqbench/T-1/mqb-T-1-p2',
      ratePerSecond: null,
      startOffsetUs: 0,
      matching: 2,
    });
  });

  test('open model start offsets spread over one interval', () => {
    // 4 publishers at 400/s in total: 100/s each, an interval of 10 000us.
    const plans = planWorkers(spec({ publishers: 4, subscribers: 0, model: 'open', rate: 400, inflight: null }), 2);
    const offsets = plans.flatMap((p) => p.publishers).sort((a, b) => a.id - b.id).map((p) => p.startOffsetUs);
    assert.deepEqual(offsets, [0, 2500, 5000, 7500]);
  });

  test('client ids differ between phases of one run', () => {
    const a = planWorkers(spec({ publishers: 2, subscribers: 2 }, 'run-0'), 2).flatMap((p) => p.publishers.map((x) => x.clientId));
    const b = planWorkers(spec({ publishers: 2, subscribers: 2 }, 'run-1'), 2).flatMap((p) => p.publishers.map((x) => x.clientId));
    for (const id of a) assert.ok(!b.includes(id), id);
  });

  test('local addresses are copied to every worker (not shared)', () => {
    const addrs = ['127.0.0.2', '127.0.0.3'];
    const plans = planWorkers(spec({ publishers: 2, subscribers: 2 }), 3, addrs);
    for (const p of plans) assert.deepEqual(p.localAddresses, addrs);
    plans[0]?.localAddresses.push('x');
    assert.deepEqual(plans[1]?.localAddresses, addrs);
    assert.deepEqual(addrs, ['127.0.0.2', '127.0.0.3']);
  });

  test('no local addresses by default', () => {
    for (const p of planWorkers(spec({}), 2)) assert.deepEqual(p.localAddresses, []);
  });
});

describe('planWorkers: matching subscribers per publisher', () => {
  const cases: Array<{ name: string; params: Partial<PhaseParams>; matching: number }> = [
    { name: 'per-client topic, + filter', params: { publishers: 2, subscribers: 3, topic: 'mqbench/{run}/{client}' }, matching: 3 },
    { name: 'shared fixed topic', params: { publishers: 2, subscribers: 4, topic: 'bench/{run}/all' }, matching: 4 },
    { name: 'templated first level', params: { publishers: 2, subscribers: 2, topic: '{n}/x/{run}' }, matching: 2 },
    { name: 'no subscribers', params: { publishers: 3, subscribers: 0 }, matching: 0 },
    { name: 'echo: the publisher itself', params: { protocol: 'ws', role: 'echo', qos: null, publishers: 3, subscribers: 0 }, matching: 1 },
    { name: 'broadcast: every receiver', params: { protocol: 'ws', role: 'broadcast', qos: null, publishers: 1, subscribers: 6 }, matching: 6 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pubs = planWorkers(spec(c.params), 2).flatMap((p) => p.publishers);
      assert.ok(pubs.length > 0);
      for (const p of pubs) assert.equal(p.matching, c.matching, p.topic);
    });
  }
});

describe('withConnectRates', () => {
  const cases: Array<{ publishers: number; subscribers: number; connections: number; workers: number; total: number; busy: number }> = [
    { publishers: 1, subscribers: 1, connections: 0, workers: 1, total: 500, busy: 1 },
    { publishers: 1, subscribers: 1, connections: 0, workers: 4, total: 500, busy: 2 },
    { publishers: 5, subscribers: 5, connections: 0, workers: 3, total: 100, busy: 3 },
    { publishers: 1, subscribers: 0, connections: 2, workers: 8, total: 90, busy: 3 },
    { publishers: 0, subscribers: 0, connections: 0, workers: 3, total: 100, busy: 0 },
  ];
  for (const c of cases) {
    test(`${c.publishers + c.subscribers + c.connections} clients over ${c.workers} workers share ${c.total}/s`, () => {
      const plans = planWorkers(spec({ publishers: c.publishers, subscribers: c.subscribers, connections: c.connections }), c.workers);
      const rated = withConnectRates(plans, c.total);
      assert.equal(rated.length, plans.length);
      // The rate is shared by the workers that have clients; the others get none.
      let sum = 0;
      let busy = 0;
      for (const p of rated) {
        const clients = p.publishers.length + p.subscribers.length + p.idle.length;
        assert.ok(p.connectRate >= 0 && Number.isFinite(p.connectRate));
        if (clients > 0) {
          busy++;
          close(p.connectRate, c.total / c.busy, `worker ${p.workerIndex} rate`);
          sum += p.connectRate;
        } else {
          assert.equal(p.connectRate, 0, `worker ${p.workerIndex} has no clients and no share`);
        }
      }
      assert.equal(busy, c.busy);
      close(sum, c.busy === 0 ? 0 : c.total, 'sum of the busy workers\' connect rates');
      if (c.busy === 0) for (const p of rated) assert.equal(p.connectRate, 0);
      // Everything but the rate is kept.
      assert.deepEqual(rated.map((p) => ({ ...p, connectRate: 0 })), plans);
      // The input plans are not changed.
      for (const p of plans) assert.equal(p.connectRate, 0);
    });
  }
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

  test('a template whose first level starts with $ is not expected at its + filter', () => {
    // --topic '${client}/x' passes validation; the broker will not deliver $-topics to '+/x'.
    const plans = planWorkers(spec({ publishers: 1, subscribers: 2, topic: '${client}/x' }), 2);
    const [pub] = plans.flatMap((p) => p.publishers);
    assert.equal(pub?.topic, '$mqb-run1-0-p1/x');
    assert.equal(plans[1]?.subscribers[0]?.filter, '+/x');
    assert.equal(pub?.matching, 0, 'a subscriber on +/x receives nothing from a $-topic');
  });
});
