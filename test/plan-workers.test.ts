/**
 * Pure planning, part two (src/plan/workers.ts): a phase's client groups dealt over the
 * workers, with ids, rendered topics and filters, rate shares, connect and join times, and
 * the receivers expected per publisher and per will, by group.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterForTemplate, planPhases, renderTopic, type PhaseSpec } from '../src/plan/plan.js';
import { planWorkers, type WorkerPlan } from '../src/plan/workers.js';
import { publishes, type GroupSpec, type Stage } from '../src/config/model.js';
import { clientsOf, group, groupClients, openGroup, phase, planned, scenario } from './helpers/fixtures.js';

const close = (a: number, b: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
};

/** The groups a flags-only MQTT run makes: publishers, subscribers, idle connections (empty ones left out). */
function flagGroups(publishers: number, subscribers: number, connections: number, rate: number | null): GroupSpec[] {
  const topic = 'mqbench/{run}/{client}';
  return [
    rate === null ? group('publishers', 'publish', { clients: publishers, topic }) : openGroup('publishers', 'publish', rate, { clients: publishers, topic }),
    group('subscribers', 'subscribe', { clients: subscribers, topic }),
    group('connections', 'connect-only', { clients: connections, topic }),
  ].filter((g) => g.clients > 0);
}

/** Invariants every split must hold; returns the per-worker client counts. */
function checkSplit(plans: WorkerPlan[], p: PhaseSpec, workers: number): number[] {
  assert.equal(plans.length, workers);
  assert.deepEqual(plans.map((w) => w.workerIndex), plans.map((_, i) => i));
  const all = clientsOf(plans);

  // Every group's clients, each {n} once: totals kept over the workers.
  p.groups.forEach((g, gi) => {
    const mine = all.filter((c) => c.group === gi);
    assert.deepEqual(mine.map((c) => c.n).sort((a, b) => a - b), Array.from({ length: g.clients }, (_, i) => i + 1), `group ${g.name}`);
  });
  assert.equal(all.length, p.groups.reduce((a, g) => a + g.clients, 0));

  // Publisher ids 1..N over the phase, 0 for clients that do not publish.
  const pubIds = all.filter((c) => c.publisherId > 0).map((c) => c.publisherId).sort((a, b) => a - b);
  const publishing = p.groups.filter((g) => publishes(g.role)).reduce((a, g) => a + g.clients, 0);
  assert.deepEqual(pubIds, Array.from({ length: publishing }, (_, i) => i + 1));
  for (const c of all) assert.equal(c.publisherId > 0, publishes(p.groups[c.group]?.role ?? 'connect-only'), c.clientId);

  // Client ids unique across all workers and groups, and tagged with the phase.
  const ids = all.map((c) => c.clientId);
  assert.equal(new Set(ids).size, ids.length, 'client ids unique');
  for (const c of all) assert.equal(c.clientId, `mqb-${p.tag}-${p.groups[c.group]?.name}-${c.n}`);

  // Round-robin: counts per worker differ by at most one overall.
  const perWorker = plans.map((w) => w.clients.length);
  if (all.length > 0) assert.ok(Math.max(...perWorker) - Math.min(...perWorker) <= 1, `uneven split ${JSON.stringify(perWorker)}`);

  p.groups.forEach((g, gi) => {
    const mine = all.filter((c) => c.group === gi).sort((a, b) => a.n - b.n);
    // Rates: every client of an open group the same share, shares add up to the group's rate.
    if (g.rate === null || !publishes(g.role)) {
      for (const c of mine) assert.equal(c.ratePerSecond, null);
    } else {
      close(mine.reduce((a, c) => a + (c.ratePerSecond ?? Number.NaN), 0), g.rate, `sum of ${g.name} rates`);
      const intervalUs = 1_000_000 / (g.rate / g.clients);
      for (const c of mine) {
        close(c.ratePerSecond ?? Number.NaN, g.rate / g.clients, 'per-client rate');
        assert.ok(c.startOffsetUs >= 0 && c.startOffsetUs < Math.max(1, intervalUs), `offset ${c.startOffsetUs} outside one interval ${intervalUs}`);
        assert.ok(Number.isInteger(c.startOffsetUs));
      }
      for (let i = 1; i < mine.length; i++) assert.ok((mine[i]?.startOffsetUs ?? 0) >= (mine[i - 1]?.startOffsetUs ?? 0), 'offsets rise with {n}');
    }
    // Topics rendered for publishers only.
    for (const c of mine) {
      assert.equal(c.topic, publishes(g.role) ? renderTopic(g.topic, { client: c.clientId, n: c.n, worker: c.worker, run: p.tag, group: g.name }) : '');
      assert.equal(c.matching, c.matchingByGroup.reduce((a, b) => a + b, 0));
    }
  });
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
      const { phase: p, plans } = planned(flagGroups(c.publishers, c.subscribers, c.connections, c.rate), c.workers);
      checkSplit(plans, p, c.workers);
      // Subscribers derive their filter from the publishers' topic.
      const subs = clientsOf(plans).filter((x) => p.groups[x.group]?.role === 'subscribe');
      for (const s of subs) assert.deepEqual(s.filters, c.publishers > 0 ? [filterForTemplate('mqbench/{run}/{client}', p.tag, 'publishers')] : []);
    });
  }

  test('a scenario of many kinds of groups keeps every invariant', () => {
    const groups = [
      openGroup('a', 'publish', 250, { clients: 7, topic: 'a/{run}/{worker}/{n}' }),
      group('b', 'subscribe', { clients: 5, filters: ['a/{run}/#'] }),
      openGroup('c', 'both', 99, { clients: 4 }),
      group('d', 'echo', { clients: 3 }),
      group('e', 'connect-only', { clients: 6 }),
      openGroup('f', 'publish', 10, { clients: 2, startMs: 1000 }),
    ];
    for (const workers of [1, 2, 3, 5, 64]) checkSplit(planWorkers(phase(groups), workers), phase(groups), workers);
  });

  test('one publisher and one subscriber land on different workers', () => {
    const { phase: p, plans } = planned(flagGroups(1, 1, 0, null), 2);
    assert.deepEqual(
      plans.map((w) => w.clients.map((c) => p.groups[c.group]?.role)),
      [['subscribe'], ['publish']],
    );
  });

  test('exact layout: 3 publishers, 2 subscribers, 2 idle over 3 workers (receivers connect first)', () => {
    const { plans } = planned(flagGroups(3, 2, 2, null), 3, { run: 'T' });
    assert.deepEqual(plans.map((w) => w.clients.map((c) => c.clientId)), [
      ['mqb-T-0-subscribers-1', 'mqb-T-0-publishers-2', 'mqb-T-0-connections-2'],
      ['mqb-T-0-subscribers-2', 'mqb-T-0-publishers-3'],
      ['mqb-T-0-publishers-1', 'mqb-T-0-connections-1'],
    ]);
    assert.deepEqual(plans[0]?.clients[1], {
      group: 0,
      n: 2,
      clientId: 'mqb-T-0-publishers-2',
      publisherId: 2,
      topic: 'mqbench/T-0/mqb-T-0-publishers-2',
      filters: [],
      ratePerSecond: null,
      startOffsetUs: 0,
      matching: 2,
      matchingByGroup: [0, 2, 0],
      // Unsharded: every receiver is in this process.
      localMatching: 2,
      localMatchingByGroup: [0, 2, 0],
      windowMatching: 2,
      willId: 0,
      willTopic: '',
      willMatchingByGroup: [],
      // After the two subscribers at 500/s (2ms each): 4ms, then the second publisher.
      connectAtMs: 6,
      joinAtMs: 0,
      lateFrom: [],
    });
    assert.deepEqual(plans[1]?.clients[0]?.filters, ['mqbench/T-0/+']);
    assert.equal(plans[1]?.clients[0]?.publisherId, 0);
  });

  test('open model start offsets spread over one interval', () => {
    // 4 publishers at 400/s in total: 100/s each, an interval of 10 000us.
    const { phase: p, plans } = planned(flagGroups(4, 0, 0, 400), 2);
    assert.deepEqual(groupClients(p, plans, 'publishers').map((c) => c.startOffsetUs), [0, 2500, 5000, 7500]);
  });

  test('client ids differ between phases of one run', () => {
    const [a, b] = planPhases(scenario(flagGroups(2, 2, 0, null), { cells: [{ qos: 0 }, { qos: 1 }] }), 'run');
    assert.ok(a && b);
    const idsA = clientsOf(planWorkers(a, 2)).map((c) => c.clientId);
    const idsB = clientsOf(planWorkers(b, 2)).map((c) => c.clientId);
    for (const id of idsA) assert.ok(!idsB.includes(id), id);
  });

  test('local addresses are copied to every worker (not shared)', () => {
    const addrs = ['127.0.0.2', '127.0.0.3'];
    const plans = planWorkers(phase(flagGroups(2, 2, 0, null)), 3, addrs);
    for (const p of plans) assert.deepEqual(p.localAddresses, addrs);
    plans[0]?.localAddresses.push('x');
    assert.deepEqual(plans[1]?.localAddresses, addrs);
    assert.deepEqual(addrs, ['127.0.0.2', '127.0.0.3']);
  });

  test('no local addresses by default', () => {
    for (const p of planWorkers(phase(flagGroups(1, 1, 0, null)), 2)) assert.deepEqual(p.localAddresses, []);
  });
});

describe('planWorkers: receivers expected per publisher, by group', () => {
  const ws = (name: string, role: GroupSpec['role'], clients: number): GroupSpec => group(name, role, { protocol: 'ws', transport: 'ws', clients });
  const cases: Array<{ name: string; groups: GroupSpec[]; byGroup: Record<string, number[]> }> = [
    {
      name: 'fan-in: N publishers, one wildcard subscriber',
      groups: [group('sensors', 'publish', { clients: 50, topic: 'sensors/{run}/{client}' }), group('collector', 'subscribe', { filters: ['sensors/{run}/+'] })],
      byGroup: { sensors: [0, 1] },
    },
    {
      name: 'fan-out: one publisher, N subscribers on its exact topic',
      groups: [group('news', 'publish', { topic: 'news/{run}' }), group('readers', 'subscribe', { clients: 40, filters: ['news/{run}'] })],
      byGroup: { news: [0, 40] },
    },
    {
      name: 'derived filters: every subscriber of every receiving group',
      groups: [group('pubs', 'publish', { clients: 3 }), group('subs', 'subscribe', { clients: 4 }), group('more', 'subscribe', { clients: 2 })],
      byGroup: { pubs: [0, 4, 2] },
    },
    {
      name: 'point-to-point: each publisher reaches only its partner',
      groups: [group('senders', 'publish', { clients: 20, topic: 'p2p/{run}/{n}' }), group('receivers', 'subscribe', { clients: 20, filters: ['p2p/{run}/{n}'] })],
      byGroup: { senders: [0, 1] },
    },
    {
      name: 'shared subscription: once per share name, credited to the group',
      groups: [group('jobs', 'publish', { clients: 10, topic: 'jobs/{run}/{n}' }), group('workers', 'subscribe', { clients: 6, filters: ['$share/g/jobs/{run}/+'] })],
      byGroup: { jobs: [0, 1] },
    },
    {
      name: 'two share names and a plain subscriber',
      groups: [
        group('jobs', 'publish', { clients: 3, topic: 'jobs/{run}/{n}' }),
        group('a', 'subscribe', { clients: 3, filters: ['$share/a/jobs/{run}/+'] }),
        group('b', 'subscribe', { clients: 4, filters: ['$share/b/jobs/{run}/#'] }),
        group('audit', 'subscribe', { clients: 2, filters: ['jobs/{run}/#'] }),
      ],
      byGroup: { jobs: [0, 1, 1, 2] },
    },
    {
      name: 'one share name used by two groups: counted once, for the first',
      groups: [
        group('jobs', 'publish', { topic: 'jobs/{run}/x' }),
        group('a', 'subscribe', { clients: 2, filters: ['$share/g/jobs/{run}/x'] }),
        group('b', 'subscribe', { clients: 2, filters: ['$share/g/jobs/{run}/x'] }),
      ],
      byGroup: { jobs: [0, 1, 0] },
    },
    {
      name: 'a share that does not match counts nothing',
      groups: [group('jobs', 'publish', { topic: 'jobs/{run}/x' }), group('w', 'subscribe', { clients: 2, filters: ['$share/g/other/{run}/+'] })],
      byGroup: { jobs: [0, 0] },
    },
    {
      name: 'a client with two overlapping filters is counted once',
      groups: [group('pubs', 'publish', { clients: 2, topic: 't/{run}/{n}' }), group('subs', 'subscribe', { clients: 3, filters: ['t/{run}/#', 't/{run}/+'] })],
      byGroup: { pubs: [0, 3] },
    },
    {
      name: 'two filters of which one matches: once',
      groups: [
        group('pubs', 'publish', { clients: 2, topic: 't/{run}/{n}' }),
        group('subs', 'subscribe', { clients: 3, filters: ['t/{run}/+', 'other/{run}/#'] }),
      ],
      byGroup: { pubs: [0, 3] },
    },
    {
      name: 'MQTT echo: each client receives its own messages',
      groups: [group('clients', 'echo', { clients: 5, topic: 'echo/{run}/{client}' })],
      byGroup: { clients: [1] },
    },
    {
      name: 'MQTT echo on one shared topic: every echo client',
      groups: [group('clients', 'echo', { clients: 5, topic: 'echo/{run}' })],
      byGroup: { clients: [5] },
    },
    {
      name: 'MQTT both: the sender is one of its receivers',
      groups: [group('chat', 'both', { clients: 4, topic: 'chat/{run}/{client}', filters: ['chat/{run}/+'] })],
      byGroup: { chat: [4] },
    },
    {
      name: 'idle and publishing groups receive nothing',
      groups: [group('pubs', 'publish', { clients: 2 }), group('other', 'publish', { clients: 2 }), group('idle', 'connect-only', { clients: 3 })],
      byGroup: { pubs: [0, 0, 0], other: [0, 0, 0] },
    },
    {
      name: 'ws broadcast: every ws receiver, minus the sender for role both',
      groups: [ws('pubs', 'publish', 2), ws('peers', 'both', 4), ws('subs', 'subscribe', 5)],
      byGroup: { pubs: [0, 4, 5], peers: [0, 3, 5] },
    },
    {
      name: 'ws echo: the server sends each message back once',
      groups: [ws('clients', 'echo', 6)],
      byGroup: { clients: [1] },
    },
    {
      name: 'MQTT and ws groups in one phase do not reach each other',
      groups: [group('mp', 'publish', { clients: 1 }), group('ms', 'subscribe', { clients: 2 }), ws('wp', 'publish', 1), ws('wsub', 'subscribe', 3)],
      byGroup: { mp: [0, 2, 0, 0], wp: [0, 0, 0, 3] },
    },
    {
      name: '$-topic: a filter starting with + does not receive it',
      groups: [group('pubs', 'publish', { topic: '${client}/x' }), group('subs', 'subscribe', { clients: 2 })],
      byGroup: { pubs: [0, 0] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { phase: p, plans } = planned(c.groups, 3);
      const all = clientsOf(plans);
      for (const [name, expected] of Object.entries(c.byGroup)) {
        const mine = groupClients(p, plans, name);
        assert.ok(mine.length > 0, name);
        for (const x of mine) {
          assert.deepEqual(x.matchingByGroup, expected, `${x.clientId} -> ${x.topic}`);
          assert.equal(x.matching, expected.reduce((a, b) => a + b, 0));
        }
      }
      for (const x of all.filter((y) => y.publisherId === 0)) {
        assert.deepEqual(x.matchingByGroup, [], x.clientId);
        assert.equal(x.matching, 0);
      }
    });
  }

  test('point-to-point: the partner is the subscriber with the same {n}', () => {
    const { phase: p, plans } = planned([group('senders', 'publish', { clients: 5, topic: 'p2p/{run}/{n}' }), group('receivers', 'subscribe', { clients: 5, filters: ['p2p/{run}/{n}'] })], 2);
    const subs = groupClients(p, plans, 'receivers');
    for (const pub of groupClients(p, plans, 'senders')) {
      assert.deepEqual(subs.filter((s) => s.filters.includes(pub.topic)).map((s) => s.n), [pub.n]);
    }
  });

  test('point-to-point at 10,000 pairs', () => {
    const pairs = 10_000;
    const { phase: p, plans } = planned(
      [group('senders', 'publish', { clients: pairs, topic: 'p2p/{run}/{n}' }), group('receivers', 'subscribe', { clients: pairs, filters: ['p2p/{run}/{n}'] })],
      4,
    );
    const pubs = groupClients(p, plans, 'senders');
    assert.equal(pubs.length, pairs);
    for (const x of pubs) assert.deepEqual(x.matchingByGroup, [0, 1], x.topic);
    const subs = groupClients(p, plans, 'receivers');
    assert.deepEqual(subs.map((s) => s.filters), subs.map((s) => [`p2p/${p.tag}/${s.n}`]));
  });
});

describe('planWorkers: subscription filters', () => {
  test('derived from the publishing MQTT groups when a receiving group lists none', () => {
    const { phase: p, plans } = planned([
      group('subs', 'subscribe', { clients: 2 }),
      group('pubs', 'publish'),
      group('raw', 'publish', { topic: 'b/{run}/{n}/x' }),
      group('same1', 'publish', { topic: 'same/{run}/{client}' }),
      group('same2', 'publish', { topic: 'same/{run}/{client}' }),
      group('echoes', 'echo', { topic: 'e/{run}/{group}-{n}' }),
      group('ws', 'publish', { protocol: 'ws', transport: 'ws', topic: 'ws/{run}' }),
      group('idle', 'connect-only', { topic: 'idle/{run}' }),
    ]);
    const t = p.tag;
    for (const s of groupClients(p, plans, 'subs')) {
      assert.deepEqual(s.filters, [`mqbench/${t}/pubs/+`, `b/${t}/+/x`, `same/${t}/+`, `e/${t}/+`]);
    }
  });

  test('listed filters are rendered per client: {n} {client} {group} {run}', () => {
    const { phase: p, plans } = planned([group('pubs', 'publish'), group('subs', 'subscribe', { clients: 2, filters: ['p2p/{run}/{n}', 'c/{client}', 'all/{run}/{group}/#', '$share/g/s/{run}/+'] })]);
    const t = p.tag;
    assert.deepEqual(groupClients(p, plans, 'subs').map((s) => s.filters), [1, 2].map((n) => [`p2p/${t}/${n}`, `c/mqb-${t}-subs-${n}`, `all/${t}/subs/#`, `$share/g/s/${t}/+`]));
  });

  test('MQTT echo subscribes to its own topic; ws groups and senders subscribe to nothing', () => {
    const { phase: p, plans } = planned([
      group('echo', 'echo', { clients: 2, topic: 'e/{run}/{n}' }),
      group('pubs', 'publish'),
      group('wsubs', 'subscribe', { protocol: 'ws', transport: 'ws' }),
      group('wecho', 'echo', { protocol: 'ws', transport: 'ws' }),
    ]);
    assert.deepEqual(groupClients(p, plans, 'echo').map((c) => c.filters), [[`e/${p.tag}/1`], [`e/${p.tag}/2`]]);
    for (const name of ['pubs', 'wsubs', 'wecho']) for (const c of groupClients(p, plans, name)) assert.deepEqual(c.filters, [], name);
  });
});

describe('planWorkers: wills', () => {
  test('will ids only for clients of will groups; receivers of each will by group', () => {
    const will = { topic: 'wills/{run}/{client}', qos: 1 as const, retain: false };
    const { phase: p, plans } = planned(
      [
        group('devices', 'publish', { clients: 3, topic: 'd/{run}/{n}', will, drop: { atMs: 500 } }),
        group('monitor', 'subscribe', { clients: 2, filters: ['wills/{run}/+'] }),
        group('others', 'publish', { clients: 2 }),
        group('idle', 'connect-only', { clients: 2, will: { ...will, topic: 'wills/{run}/idle/{n}' } }),
        group('audit', 'subscribe', { clients: 1, filters: ['wills/{run}/#'] }),
      ],
      2,
    );
    const devices = groupClients(p, plans, 'devices');
    const idle = groupClients(p, plans, 'idle');
    const withWill = [...devices, ...idle];
    assert.deepEqual(withWill.map((c) => c.willId).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    const withWillIds = new Set(withWill.map((c) => c.clientId));
    for (const c of clientsOf(plans).filter((x) => !withWillIds.has(x.clientId))) {
      assert.equal(c.willId, 0, c.clientId);
      assert.deepEqual(c.willMatchingByGroup, [], c.clientId);
    }
    for (const c of devices) {
      assert.equal(c.willTopic, `wills/${p.tag}/${c.clientId}`);
      assert.deepEqual(c.willMatchingByGroup, [0, 2, 0, 0, 1]);
      // The will is not what the client publishes: its messages reach nobody here.
      assert.deepEqual(c.matchingByGroup, [0, 0, 0, 0, 0]);
    }
    for (const c of idle) {
      assert.equal(c.willTopic, `wills/${p.tag}/idle/${c.n}`);
      // 'wills/{run}/+' does not match a deeper level; '#' does.
      assert.deepEqual(c.willMatchingByGroup, [0, 0, 0, 0, 1]);
    }
  });
});

describe('planWorkers: connect and join times', () => {
  test('before the start: group after group, each at its connect rate, receivers first', () => {
    const { phase: p, plans } = planned(
      [
        group('pubs', 'publish', { clients: 3, connectRate: 100 }),
        group('subs', 'subscribe', { clients: 4 }), // the scenario's 200/s
        group('idle', 'connect-only', { clients: 2, connectRate: 1000 }),
      ],
      2,
      { connectRate: 200 },
    );
    const at = (name: string): number[] => groupClients(p, plans, name).map((c) => c.connectAtMs);
    assert.deepEqual(at('subs'), [0, 5, 10, 15]);
    assert.deepEqual(at('pubs'), [20, 30, 40]);
    assert.deepEqual(at('idle'), [50, 51]);
    for (const c of clientsOf(plans)) assert.equal(c.joinAtMs, 0);
  });

  const cases: Array<{ name: string; groups: GroupSpec[]; stages?: Stage[]; joinAt: Record<string, number[]>; connectAt: Record<string, number[]> }> = [
    {
      name: 'late joiners: paced by their group connect rate from its start',
      groups: [group('pubs', 'publish', { clients: 2 }), group('late', 'subscribe', { clients: 3, startMs: 2000, connectRate: 10 })],
      joinAt: { late: [2000, 2100, 2200], pubs: [0, 0] },
      // Late joiners connect when they join; they do not delay the others.
      connectAt: { late: [0, 0, 0], pubs: [0, 2] },
    },
    {
      name: 'late joiners at the scenario connect rate',
      groups: [group('late', 'publish', { clients: 3, startMs: 1500 })],
      joinAt: { late: [1500, 1502, 1504] },
      connectAt: { late: [0, 0, 0] },
    },
    {
      name: 'clients stages: each group ramps its own clients',
      groups: [group('pubs', 'publish', { clients: 4 }), group('subs', 'subscribe', { clients: 2 })],
      stages: [{ durationMs: 10_000, kind: 'clients', level: 1 }],
      joinAt: { pubs: [2500, 5000, 7500, 10_000], subs: [5000, 10_000] },
      connectAt: { pubs: [0, 0, 0, 0], subs: [0, 0] },
    },
    {
      name: 'clients stages and a start: whichever is later',
      groups: [group('late', 'subscribe', { clients: 4, startMs: 6000, connectRate: 1 })],
      stages: [{ durationMs: 10_000, kind: 'clients', level: 1 }],
      joinAt: { late: [6000, 7000, 8000, 10_000] },
      connectAt: { late: [0, 0, 0, 0] },
    },
    {
      name: 'rate stages do not change join times',
      groups: [openGroup('pubs', 'publish', 100, { clients: 2 })],
      stages: [{ durationMs: 10_000, kind: 'rate', level: 1 }],
      joinAt: { pubs: [0, 0] },
      connectAt: { pubs: [0, 2] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const stages = c.stages ?? [];
      const { phase: p, plans } = planned(c.groups, 3, { load: { stages, warmupMs: 0, durationMs: 1000, drainMs: 0 } });
      for (const [name, expected] of Object.entries(c.joinAt)) assert.deepEqual(groupClients(p, plans, name).map((x) => x.joinAtMs), expected, `${name} joinAtMs`);
      for (const [name, expected] of Object.entries(c.connectAt)) assert.deepEqual(groupClients(p, plans, name).map((x) => x.connectAtMs), expected, `${name} connectAtMs`);
    });
  }
});

describe('planWorkers: late joiners and the publishers they match (lateFrom)', () => {
  /** A client's lateFrom as [publishing group name, {n}, retained], sorted. */
  const named = (p: PhaseSpec, plans: WorkerPlan[], lateFrom: ReadonlyArray<{ publisher: number; retained: boolean }>): Array<[string, number, boolean]> => {
    const byId = new Map(clientsOf(plans).map((c) => [c.publisherId, c]));
    return lateFrom
      .map(({ publisher, retained }): [string, number, boolean] => {
        const c = byId.get(publisher);
        assert.ok(c !== undefined && publisher > 0, `publisher ${publisher}`);
        return [p.groups[c.group]?.name ?? '?', c.n, retained];
      })
      .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
  };

  test('a late wildcard subscriber gets every matching publisher, with retained flags; an on-time one gets []', () => {
    const filters = ['sensors/{run}/+', 'state/{run}/#'];
    const { phase: p, plans } = planned(
      [
        group('sensors', 'publish', { clients: 3, topic: 'sensors/{run}/{n}' }),
        group('state', 'publish', { clients: 2, topic: 'state/{run}/{n}/v', retain: true }),
        group('other', 'publish', { clients: 2, topic: 'other/{run}/{n}' }),
        group('late', 'subscribe', { clients: 2, filters, startMs: 1000 }),
        group('onTime', 'subscribe', { clients: 2, filters }),
      ],
      3,
    );
    for (const c of groupClients(p, plans, 'late')) {
      assert.ok(c.joinAtMs > 0);
      assert.deepEqual(named(p, plans, c.lateFrom), [
        ['sensors', 1, false],
        ['sensors', 2, false],
        ['sensors', 3, false],
        ['state', 1, true],
        ['state', 2, true],
      ]);
    }
    for (const name of ['onTime', 'sensors', 'state', 'other']) for (const c of groupClients(p, plans, name)) assert.deepEqual(c.lateFrom, [], c.clientId);
  });

  test('a late exact-topic subscriber gets only its partner', () => {
    const { phase: p, plans } = planned(
      [group('senders', 'publish', { clients: 4, topic: 'p2p/{run}/{n}' }), group('receivers', 'subscribe', { clients: 4, filters: ['p2p/{run}/{n}'], startMs: 500 })],
      2,
    );
    for (const c of groupClients(p, plans, 'receivers')) assert.deepEqual(named(p, plans, c.lateFrom), [['senders', c.n, false]]);
  });

  test('the closed-model window waits only for receivers there from the start', () => {
    const { phase: p, plans } = planned(
      [group('pubs', 'publish', { clients: 1, topic: 't/{run}/{n}' }), group('now', 'subscribe', { clients: 2, filters: ['t/{run}/+'] }), group('later', 'subscribe', { clients: 3, filters: ['t/{run}/+'], startMs: 500 })],
      2,
    );
    for (const c of groupClients(p, plans, 'pubs')) {
      assert.equal(c.matching, 5);
      assert.equal(c.windowMatching, 2);
    }
  });

  test('late members of a shared subscription skip nothing (the share counts once, whoever joins late)', () => {
    const { phase: p, plans } = planned(
      [group('jobs', 'publish', { clients: 2, topic: 'jobs/{run}/{n}' }), group('workers', 'subscribe', { clients: 2, filters: ['$share/g/jobs/{run}/+'], startMs: 500 })],
      2,
    );
    for (const c of groupClients(p, plans, 'workers')) assert.deepEqual(named(p, plans, c.lateFrom), []);
  });

  test('a late group of role both: its peers but not itself', () => {
    const { phase: p, plans } = planned([group('chat', 'both', { clients: 3, topic: 'chat/{run}/{n}', filters: ['chat/{run}/+'], startMs: 500 })], 2);
    for (const c of groupClients(p, plans, 'chat')) {
      assert.deepEqual(named(p, plans, c.lateFrom), [1, 2, 3].filter((n) => n !== c.n).map((n): [string, number, boolean] => ['chat', n, false]));
    }
  });

  test('clients stages: every receiver joins late and lists its publishers', () => {
    const { phase: p, plans } = planned([group('pubs', 'publish', { clients: 2 }), group('subs', 'subscribe', { clients: 2 })], 2, {
      load: { stages: [{ durationMs: 1000, kind: 'clients', level: 1 }], warmupMs: 0, durationMs: 1000, drainMs: 0 },
    });
    for (const c of groupClients(p, plans, 'subs')) assert.deepEqual(named(p, plans, c.lateFrom), [['pubs', 1, false], ['pubs', 2, false]]);
    for (const c of groupClients(p, plans, 'pubs')) assert.deepEqual(c.lateFrom, []);
  });

  test('a late WebSocket receiver: the ws publishers, not the MQTT ones nor echo clients', () => {
    const ws = { protocol: 'ws' as const, transport: 'ws' as const };
    const { phase: p, plans } = planned(
      [
        group('mp', 'publish', { clients: 1 }),
        group('wp', 'publish', { ...ws, clients: 2 }),
        group('wecho', 'echo', { ...ws, clients: 1 }),
        group('wsub', 'subscribe', { ...ws, clients: 2, startMs: 500 }),
        group('msub', 'subscribe', { clients: 1, startMs: 500 }),
      ],
      2,
    );
    for (const c of groupClients(p, plans, 'wsub')) assert.deepEqual(named(p, plans, c.lateFrom), [['wp', 1, false], ['wp', 2, false]]);
    for (const c of groupClients(p, plans, 'msub')) assert.deepEqual(named(p, plans, c.lateFrom), [['mp', 1, false]]);
  });
});
