/**
 * --shard i/N, pure (src/plan/shard.ts, src/config/shard-flags.ts): the N shard plans together
 * are exactly the unsharded plan, each client in one shard; pairs stay together; the flags and
 * the Kubernetes Indexed Job's JOB_COMPLETION_INDEX read as documented.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseShard, readShardFlags, shardFromIndex, withShardEnvironment } from '../src/config/shard-flags.js';
import { layerEnv, RUN_ENV_FLAGS } from '../src/config/env-flags.js';
import type { GroupSpec } from '../src/config/model.js';
import { crossesShards, ownsClient, publisherCount, shardProblems, shardWorkers } from '../src/plan/shard.js';
import { planWorkers, type ClientPlan } from '../src/plan/workers.js';
import { phaseStarts } from '../src/coordinator/shard-phase.js';
import { clientsOf, group, openGroup, phase } from './helpers/fixtures.js';

/** What must be the same in a shard as in the whole plan. */
const identity = (c: ClientPlan) => ({
  clientId: c.clientId,
  group: c.group,
  n: c.n,
  publisherId: c.publisherId,
  topic: c.topic,
  filters: c.filters,
  ratePerSecond: c.ratePerSecond,
  startOffsetUs: c.startOffsetUs,
  matching: c.matching,
  matchingByGroup: c.matchingByGroup,
  connectAtMs: c.connectAtMs,
  joinAtMs: c.joinAtMs,
  willId: c.willId,
});
const byId = (a: { clientId: string }, b: { clientId: string }): number => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0);

/** Groups of a random phase: publishers and subscribers (fan-in, fan-out, pairs by {n}), open or closed, with idle clients. */
const groupsArb = fc
  .record({
    pubs: fc.integer({ min: 0, max: 12 }),
    subs: fc.integer({ min: 0, max: 12 }),
    idle: fc.integer({ min: 0, max: 5 }),
    rate: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }),
    paired: fc.boolean(),
  })
  .filter((g) => g.pubs + g.subs + g.idle > 0)
  .map(({ pubs, subs, idle, rate, paired }): GroupSpec[] => {
    const topic = paired ? 'pairs/{run}/{n}' : 'fan/{run}/{client}';
    const out: GroupSpec[] = [];
    if (pubs > 0) out.push(rate === null ? group('pubs', 'publish', { clients: pubs, topic }) : openGroup('pubs', 'publish', rate, { clients: pubs, topic }));
    if (subs > 0) out.push(group('subs', 'subscribe', { clients: subs, topic: paired ? 'pairs/{run}/{n}' : topic, filters: paired ? ['pairs/{run}/{n}'] : [] }));
    if (idle > 0) out.push(group('idle', 'connect-only', { clients: idle, topic }));
    return out;
  });

describe('the shards of a plan are the whole plan', () => {
  test('for many plans and shard counts: every client in exactly one shard, as the unsharded plan has it', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (groups, count, workers) => {
        const p = phase(groups);
        const whole = planWorkers(p, workers).flatMap((w) => w.clients).map(identity).sort(byId);
        const shards = Array.from({ length: count }, (_, k) => shardWorkers(p, workers, [], { index: k + 1, count }, false, 0));
        const union = shards.flatMap((plans) => clientsOf(plans)).map(identity).sort(byId);
        // No gap and no overlap: the union is the whole plan, each client once.
        assert.deepEqual(union, whole);
        for (const [k, plans] of shards.entries()) {
          assert.equal(plans.length, workers, 'each shard deals over its own workers');
          for (const c of clientsOf(plans)) assert.ok(ownsClient({ index: k + 1, count }, c), `${c.clientId} in shard ${k + 1}`);
          // Each shard is told the publishers it does not run: together with its own, all of them.
          const local = clientsOf(plans).filter((c) => c.publisherId > 0).map((c) => c.publisherId);
          const remote = plans[0]?.shard?.remotePublishers ?? [];
          assert.deepEqual([...local, ...remote].sort((a, b) => a - b), Array.from({ length: publisherCount(p) }, (_, i) => i + 1));
        }
        // The receivers each shard can see add up to those of the whole plan.
        const seen = new Map<number, number>();
        for (const plans of shards) for (const c of clientsOf(plans)) if (c.publisherId > 0) seen.set(c.publisherId, (seen.get(c.publisherId) ?? 0) + c.localMatching);
        const total = [...seen.values()].reduce((a, b) => a + b, 0);
        const localEverywhere = shards.flatMap((plans) => clientsOf(plans)).every((c) => c.publisherId === 0 || c.localMatching === c.matching);
        assert.equal(localEverywhere, !crossesShards(p, count), 'a phase crosses shards exactly when some receiver is elsewhere');
        assert.ok(total <= whole.reduce((a, c) => a + c.matching, 0));
      }),
      { numRuns: 150 },
    );
  });

  test('pairs by {n} stay in one shard: nothing crosses, each shard sees all its receivers', () => {
    const p = phase([group('backend', 'publish', { clients: 9, topic: 'p/{run}/{n}' }), group('devices', 'subscribe', { clients: 9, filters: ['p/{run}/{n}'] })]);
    assert.equal(crossesShards(p, 3), false);
    for (let k = 1; k <= 3; k++) {
      const clients = clientsOf(shardWorkers(p, 2, [], { index: k, count: 3 }, false, 0));
      assert.equal(clients.length, 6);
      for (const c of clients.filter((x) => x.publisherId > 0)) assert.equal(c.localMatching, 1, c.clientId);
    }
  });

  test('fan-in over shards: the one subscriber is in shard 1, the publishers of shards 2 and 3 have no receiver there', () => {
    const p = phase([group('sensors', 'publish', { clients: 6, topic: 's/{run}/{n}' }), group('collector', 'subscribe', { clients: 1, filters: ['s/{run}/+'] })]);
    assert.equal(crossesShards(p, 3), true);
    const two = clientsOf(shardWorkers(p, 1, [], { index: 2, count: 3 }, false, 0));
    assert.deepEqual(two.map((c) => [c.n, c.matching, c.localMatching, c.windowMatching]), [[2, 1, 0, 0], [5, 1, 0, 0]]);
    const one = clientsOf(shardWorkers(p, 1, [], { index: 1, count: 3 }, true, 123));
    assert.deepEqual(one.filter((c) => c.publisherId > 0).map((c) => c.localMatching), [1, 1]);
    const w = shardWorkers(p, 1, [], { index: 1, count: 3 }, true, 123)[0];
    assert.deepEqual(w?.shard, { remotePublishers: [2, 3, 5, 6], clockSync: true, wireEpochUs: 123 });
  });

  test('a receiver that joins late from publishers of other shards cannot be sharded; one unsharded can', () => {
    const groups = [group('pubs', 'publish', { clients: 4, topic: 'l/{run}/{n}' }), group('late', 'subscribe', { clients: 1, filters: ['l/{run}/+'], startMs: 500 })];
    const p = phase(groups);
    assert.deepEqual(shardProblems(p, 1), []);
    const problems = shardProblems(p, 2);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /group late joins during the load and receives from publishers of other shards/);
  });
});

describe('--shard, --shards and the environment', () => {
  test('i/N within 1..N; anything else names the form', () => {
    assert.deepEqual(parseShard('2/3'), { ok: true, value: { index: 2, count: 3 } });
    assert.deepEqual(parseShard(' 1 / 1 '), { ok: true, value: { index: 1, count: 1 } });
    for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '-1/2', '1.5/3']) {
      const r = parseShard(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.error, /give i\/N with 1 <= i <= N/);
    }
  });

  test("a Kubernetes Indexed Job's JOB_COMPLETION_INDEX is 0-based: index k is shard k+1", () => {
    assert.deepEqual(shardFromIndex('0', 3), { ok: true, value: { index: 1, count: 3 } });
    assert.deepEqual(shardFromIndex('2', 3), { ok: true, value: { index: 3, count: 3 } });
    const r = shardFromIndex('3', 3);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /must be 0 to 2 \(the Job's completions must equal --shards\)/);
    assert.deepEqual(withShardEnvironment({ shards: '3' }, { JOB_COMPLETION_INDEX: '1' }), { flags: { shards: '3', shard: '2/3' }, issues: [] });
    // MQBENCH_SHARD is an MQBENCH_ variable like any (config/env-flags.ts); the flag wins over it.
    assert.deepEqual(layerEnv({}, RUN_ENV_FLAGS, { MQBENCH_SHARD: '2/4' }).flags, { shard: '2/4' });
    assert.deepEqual(layerEnv({ shard: '1/4' }, RUN_ENV_FLAGS, { MQBENCH_SHARD: '2/4' }).flags, { shard: '1/4' });
    assert.deepEqual(withShardEnvironment({}, {}).flags, {});
    assert.deepEqual(withShardEnvironment({ shard: '1/3', shards: '3' }, { JOB_COMPLETION_INDEX: '2' }).flags, { shard: '1/3', shards: '3' }, '--shard wins; the two are checked against each other');
  });

  test('what a sharded run needs, and what only a sharded run takes', () => {
    const read = (raw: Parameters<typeof readShardFlags>[0]) => {
      const issues: string[] = [];
      const flags = readShardFlags(raw, (w, m) => issues.push(`${w}: ${m}`), Date.parse('2026-12-01T12:00:00Z'));
      return { flags, issues };
    };
    assert.deepEqual(read({}), { flags: null, issues: [] });
    assert.match(read({ shard: '1/2' }).issues.join('\n'), /--shard: the shards of one run need the same run id .* --run-id ID, or --start-at/);
    assert.deepEqual(read({ shard: '1/2', runId: 'x' }).issues, []);
    const ok = read({ shard: '2/2', startAt: '2026-12-01T12:00:30Z', phaseGap: '2s', clockSync: true });
    assert.deepEqual(ok.flags, { shard: { index: 2, count: 2 }, startAt: '2026-12-01T12:00:30Z', startAtMs: Date.parse('2026-12-01T12:00:30Z'), phaseGapMs: 2000, clockSync: true, source: 'flag' });
    assert.match(read({ shard: '1/2', startAt: '2026-12-01T12:00:30' }).issues.join('\n'), /not a time with its zone/);
    assert.match(read({ shard: '1/2', startAt: '2026-12-01T11:00:00Z' }).issues.join('\n'), /already 3600s past/);
    assert.match(read({ startAt: '2026-12-01T12:00:30Z' }).issues.join('\n'), /--start-at: only applies to a sharded run/);
    assert.match(read({ shards: '3' }).issues.join('\n'), /--shards: takes the shard from JOB_COMPLETION_INDEX/);
    assert.match(read({ shard: '1/2', shards: '3', runId: 'x' }).issues.join('\n'), /--shards 3 contradicts --shard 1\/2/);
  });
});

test('--start-at: each phase starts a phase\'s planned length (ramp, warm-up, steady, drain) plus --phase-gap after the one before', () => {
  const load = { stages: [], warmupMs: 1000, durationMs: 2000, drainMs: 500 };
  const a = phase([group('p', 'publish')], { load });
  const b = phase([group('p', 'publish')], { load: { ...load, durationMs: 4000 } });
  assert.deepEqual(phaseStarts([a, b, a], 1_000_000, 5000), [1_000_000, 1_000_000 + 3500 + 5000, 1_000_000 + 3500 + 5000 + 5500 + 5000]);
});
