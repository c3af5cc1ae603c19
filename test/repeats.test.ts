/**
 * mergeRepeats, a pure function, on result documents of real runs committed under
 * test/fixtures/repeats (how they were made: test/fixtures/README.md): the same short open-model
 * run three times against the bundled broker, one interrupted by Ctrl-C in its first phase and
 * one that failed (unreachable target). Every assertion relates the merged document to its
 * inputs. The end-to-end `run --repeat` is in e2e-baseline.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { COMPARED_METRICS, metricDef } from '../src/metrics/names.js';
import { settleVerdict } from '../src/gates/verdict.js';
import { decode } from '../src/metrics/histogram.js';
import { mergeRepeats } from '../src/metrics/repeats.js';
import type { GroupResult, PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { assertMatchesSchema } from './helpers/schema.js';

const PHASES = ['mqtt-tcp-qos0', 'mqtt-tcp-qos1'];

/** A fixture document, parsed afresh for each caller (no test can change another's input). */
const fixture = (name: string): ResultDocument => JSON.parse(readFileSync(new URL(`../../test/fixtures/repeats/${name}.json`, import.meta.url), 'utf8')) as ResultDocument;

const full: ResultDocument[] = ['full-1', 'full-2', 'full-3'].map(fixture);
const interrupted = fixture('interrupted');
const failed = fixture('failed');

const phaseOf = (d: ResultDocument, name: string): PhaseResult => {
  const p = d.phases.find((x) => x.name === name);
  assert.ok(p, `no phase ${name} in ${d.runId}`);
  return p;
};
const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const decodedCount = (encoded: string): number => (encoded === '' ? 0 : decode(encoded).totalCount);

describe('mergeRepeats of three completed runs', () => {
  let merged: ResultDocument;
  before(() => {
    merged = mergeRepeats(full);
  });

  test('the inputs are what the cases need: schema-valid, same phases, completed, passed, each with samples', () => {
    for (const d of full) {
      assertMatchesSchema(d);
      assert.deepEqual(d.verdict, { passed: true, failures: [] });
      assert.equal(d.status, 'completed');
      assert.deepEqual(d.phases.map((p) => p.name), PHASES);
      for (const p of d.phases) assert.ok(p.latency.e2e.count > 0 && p.durationSeconds > 0, `${d.runId}/${p.name}`);
    }
  });

  test('top level: first run identity, span of the series, repeat ids, no gates or baseline, schema-valid', () => {
    const [a, , c] = full as [ResultDocument, ResultDocument, ResultDocument];
    assert.equal(merged.runId, a.runId);
    assert.equal(merged.startedAt, a.startedAt);
    assert.equal(merged.endedAt, c.endedAt);
    assert.deepEqual(merged.env, a.env);
    assert.deepEqual(merged.scenario, a.scenario);
    assert.deepEqual(merged.command, a.command);
    assert.deepEqual(merged.sockets, a.sockets);
    assert.deepEqual(merged.repeat, { count: 3, runIds: full.map((d) => d.runId) });
    assert.equal(merged.status, 'completed');
    assert.equal(merged.error, undefined);
    assert.deepEqual(merged.verdict, { passed: true, failures: [] });
    assert.equal(merged.gates, undefined, 'the caller settles gates on the merged document');
    assert.equal(merged.baseline, undefined);
    assert.deepEqual(merged.phases.map((p) => p.name), PHASES);
    assertMatchesSchema(merged);
    assertMatchesSchema(settleVerdict(merged, []));
  });

  const COUNTERS = ['sent', 'acked', 'expected', 'received', 'lost', 'duplicated', 'outOfOrder', 'connects', 'connectFailures', 'reconnects', 'disconnects'] as const;
  for (const name of PHASES) {
    test(`${name}: counters, durations, drain and connect time`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      for (const k of COUNTERS) assert.equal(m.counters[k], total(ps.map((p) => p.counters[k])), k);
      const kinds = new Set(ps.flatMap((p) => Object.keys(p.counters.errors)));
      assert.deepEqual(Object.keys(m.counters.errors).sort(), [...kinds].sort());
      for (const k of kinds) assert.equal(m.counters.errors[k], total(ps.map((p) => p.counters.errors[k] ?? 0)), `errors.${k}`);
      assert.ok(Math.abs(m.durationSeconds - total(ps.map((p) => p.durationSeconds))) < 1e-9);
      assert.equal(m.connectSeconds, Math.max(...ps.map((p) => p.connectSeconds)));
      assert.deepEqual(m.drain, { seconds: Math.max(...ps.map((p) => p.drain.seconds)), complete: ps.every((p) => p.drain.complete) });
      assert.equal(m.status, 'completed');
      assert.deepEqual(m.params, ps[0]!.params);
      assert.deepEqual(m.cell, ps[0]!.cell);
    });

    test(`${name}: every latency histogram added exactly`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      for (const k of Object.keys(m.latency) as Array<keyof PhaseResult['latency']>) {
        const parts = ps.map((p) => p.latency[k]).filter((s) => s.count > 0);
        const s = m.latency[k];
        assert.equal(s.count, total(ps.map((p) => p.latency[k].count)), `${k}.count`);
        assert.equal(decodedCount(s.histogram), s.count, `${k}: the merged histogram holds every sample`);
        if (parts.length === 0) {
          assert.equal(s.histogram, '', `${k}: no samples, no histogram`);
          continue;
        }
        for (const stat of ['p50', 'p99', 'p999'] as const) {
          const values = parts.map((x) => x[stat]);
          assert.ok(s[stat] >= Math.min(...values) && s[stat] <= Math.max(...values), `${k}.${stat} ${s[stat]} outside the repeats' [${values.join(', ')}]`);
        }
        assert.equal(s.min, Math.min(...parts.map((x) => x.min)), `${k}.min`);
        assert.equal(s.max, Math.max(...parts.map((x) => x.max)), `${k}.max`);
      }
    });

    test(`${name}: rates are the steady-time-weighted mean of the repeats'`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      const seconds = total(ps.map((p) => p.durationSeconds));
      for (const k of Object.keys(m.rates) as Array<keyof PhaseResult['rates']>) {
        const weighted = total(ps.map((p) => p.rates[k] * p.durationSeconds)) / seconds;
        // Each input and the output are rounded to 0.1/s.
        assert.ok(Math.abs(m.rates[k] - weighted) <= 0.05 + 1e-9, `${k}: ${m.rates[k]} vs ${weighted}`);
        const values = ps.map((p) => p.rates[k]);
        assert.ok(m.rates[k] >= Math.min(...values) - 0.05 && m.rates[k] <= Math.max(...values) + 0.05, k);
      }
      assert.ok(m.rates.receivedPerSecond > 0);
    });

    test(`${name}: timeline concatenated, each point tagged with its repeat`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      assert.equal(m.timeline.length, total(ps.map((p) => p.timeline.length)));
      ps.forEach((p, i) => {
        const mine = m.timeline.filter((t) => t.repeat === i + 1);
        assert.deepEqual(mine, p.timeline.map((t) => ({ ...t, repeat: i + 1 })), `repeat ${i + 1}`);
      });
      const tags = m.timeline.map((t) => t.repeat ?? 0);
      assert.deepEqual(tags, [...tags].sort((a, b) => a - b), 'in run order');
      assert.deepEqual([...new Set(tags)], [1, 2, 3]);
    });

    test(`${name}: repeats holds each repeat's headline figures`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      assert.equal(m.repeats?.length, 3);
      ps.forEach((p, i) => {
        const expected = Object.fromEntries(COMPARED_METRICS.map((k) => [k, metricDef(k)!.get(p)]));
        assert.deepEqual(m.repeats?.[i], expected, `repeat ${i + 1}`);
      });
      assert.deepEqual(Object.keys(m.repeats?.[0] ?? {}), [...COMPARED_METRICS]);
    });

    test(`${name}: generator and target CPU added, per-message figures from the totals`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      const steadyReceived = total(ps.map((p) => p.rates.receivedPerSecond * p.durationSeconds));
      const cpu = total(ps.map((p) => p.generator.cpuSeconds));
      assert.ok(Math.abs(m.generator.cpuSeconds - cpu) < 1e-6);
      assert.deepEqual(m.generator.workers, ps.flatMap((p) => p.generator.workers));
      assert.equal(m.generator.saturated, ps.some((p) => p.generator.saturated));
      assert.equal(m.generator.reasons.length, total(ps.map((p) => p.generator.reasons.length)));
      for (const r of m.generator.reasons) assert.match(r, /^repeat [123]: /);
      assert.ok(m.generator.cpuMicrosPerMessage !== null);
      assert.ok(Math.abs(m.generator.cpuMicrosPerMessage - (cpu * 1e6) / steadyReceived) <= 0.01, `${m.generator.cpuMicrosPerMessage} vs ${(cpu * 1e6) / steadyReceived}`);
      // Each repeat's own figure is the same quotient, so the merged one lies among them.
      const own = ps.map((p) => p.generator.cpuMicrosPerMessage ?? Number.NaN);
      assert.ok(m.generator.cpuMicrosPerMessage >= Math.min(...own) * 0.99 && m.generator.cpuMicrosPerMessage <= Math.max(...own) * 1.01, `${m.generator.cpuMicrosPerMessage} outside [${own.join(', ')}]`);
      assert.equal(m.target.kind, 'bundled');
      assert.equal(m.target.url, ps[0]!.target.url);
      // The fixtures measured the bundled broker's CPU in every repeat.
      assert.ok(ps.every((p) => (p.target.cpuSeconds ?? 0) > 0), 'every repeat measured the target CPU');
      const targetCpu = total(ps.map((p) => p.target.cpuSeconds ?? 0));
      assert.ok(Math.abs((m.target.cpuSeconds ?? Number.NaN) - targetCpu) < 1e-6);
      assert.ok(Math.abs((m.target.cpuMicrosPerMessage ?? Number.NaN) - (targetCpu * 1e6) / steadyReceived) <= 0.01);
    });

    test(`${name}: wire bytes added, bytes per message from the totals`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      const wires = ps.map((p) => p.wire);
      assert.ok(wires.every((w) => w !== undefined && w.bytesPerMessage !== null), 'every run measured the wire');
      const sent = total(wires.map((w) => w?.bytesSent ?? 0));
      const received = total(wires.map((w) => w?.bytesReceived ?? 0));
      const steadyReceived = total(ps.map((p) => p.rates.receivedPerSecond * p.durationSeconds));
      assert.equal(m.wire?.bytesSent, sent);
      assert.equal(m.wire?.bytesReceived, received);
      const perMessage = m.wire?.bytesPerMessage ?? Number.NaN;
      assert.ok(Math.abs(perMessage - (sent + received) / steadyReceived) <= 0.01, `${perMessage} vs ${(sent + received) / steadyReceived}`);
      const own = wires.map((w) => w?.bytesPerMessage ?? Number.NaN);
      assert.ok(perMessage >= Math.min(...own) * 0.999 && perMessage <= Math.max(...own) * 1.001, `${perMessage} outside [${own.join(', ')}]`);
    });

    test(`${name}: groups merged by index`, () => {
      const m = phaseOf(merged, name);
      const ps = full.map((d) => phaseOf(d, name));
      assert.equal(m.groups.length, ps[0]!.groups.length);
      const SUMMED = ['connects', 'connectFailures', 'disconnects', 'reconnects', 'sent', 'acked', 'expected', 'received', 'lost', 'duplicated', 'outOfOrder', 'retained', 'sessionsResumed'] as const;
      m.groups.forEach((g, i) => {
        const gs = ps.map((p) => p.groups[i]) as GroupResult[];
        for (const k of ['name', 'role', 'protocol', 'transport', 'mqttVersion', 'qos', 'clients'] as const) assert.equal(g[k], gs[0]![k], `${g.name}.${k}`);
        for (const k of SUMMED) assert.equal(g[k], total(gs.map((x) => x[k])), `${g.name}.${k}`);
        assert.deepEqual(g.receivedPerClient, { min: Math.min(...gs.map((x) => x.receivedPerClient.min)), max: Math.max(...gs.map((x) => x.receivedPerClient.max)) });
        assert.deepEqual(g.wills, { expected: total(gs.map((x) => x.wills.expected)), received: total(gs.map((x) => x.wills.received)) });
        assert.deepEqual(g.backlog, { messages: total(gs.map((x) => x.backlog.messages)), drainMs: Math.max(...gs.map((x) => x.backlog.drainMs)) });
        for (const k of ['e2e', 'connect', 'will'] as const) {
          assert.equal(g.latency[k].count, total(gs.map((x) => x.latency[k].count)), `${g.name}.latency.${k}`);
          assert.equal(decodedCount(g.latency[k].histogram), g.latency[k].count);
        }
      });
      const subscribers = m.groups.find((g) => g.received > 0);
      assert.ok(subscribers, 'a receiving group');
    });
  }
});

/** A real document with one phase's figures and verdict changed, for what a loopback run does not produce. */
function withProblems(d: ResultDocument): ResultDocument {
  const [p0, ...rest] = d.phases as [PhaseResult, ...PhaseResult[]];
  return {
    ...d,
    targetErrors: { ...d.targetErrors, 'read ECONNRESET': (d.targetErrors?.['read ECONNRESET'] ?? 0) + 2 },
    phases: [
      {
        ...p0,
        deliveryFailures: ['3 QoS 1 message(s) lost'],
        counters: { ...p0.counters, errors: { ...p0.counters.errors, timeout: 2 } },
        generator: { ...p0.generator, saturated: true, reasons: ['worker 0 was busy 95% of the time (limit 90%)'] },
      },
      ...rest,
    ],
    verdict: { passed: false, failures: [`${p0.name}: 3 QoS 1 message(s) lost`] },
  };
}

describe('mergeRepeats when a repeat did not complete', () => {
  test('the inputs: a real interrupted repeat (fewer phases) and a real failed one (none)', () => {
    assertMatchesSchema(interrupted);
    assertMatchesSchema(failed);
    assert.equal(interrupted.status, 'interrupted');
    assert.ok(interrupted.phases.length < PHASES.length, `interrupted run kept ${interrupted.phases.length} phase(s)`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.phases.length, 0);
  });

  const cases: Array<{ name: string; docs: () => ResultDocument[]; status: ResultDocument['status']; from: number }> = [
    { name: 'interrupted third repeat', docs: () => [full[0]!, full[1]!, interrupted], status: 'interrupted', from: 3 },
    { name: 'failed second repeat', docs: () => [full[0]!, failed], status: 'failed', from: 2 },
    { name: 'failed outranks interrupted', docs: () => [full[0]!, interrupted, failed], status: 'failed', from: 3 },
    { name: 'interrupted outranks completed wherever it is', docs: () => [interrupted, full[0]!], status: 'interrupted', from: 1 },
  ];
  for (const c of cases) {
    test(`${c.name}: status ${c.status}, verdict failed, phases of every repeat kept, schema-valid`, () => {
      const docs = c.docs();
      const m = mergeRepeats(docs);
      const culprit = docs[c.from - 1]!;
      assert.equal(m.status, c.status);
      assert.equal(m.error, `repeat ${c.from}: ${culprit.error ?? ''}`);
      assert.equal(m.verdict.passed, false);
      for (const f of culprit.verdict.failures) assert.ok(m.verdict.failures.includes(`repeat ${c.from}: ${f}`), `missing repeat ${c.from}: ${f}`);
      assert.deepEqual(m.repeat, { count: docs.length, runIds: docs.map((d) => d.runId) });
      assert.deepEqual(m.phases.map((p) => p.name), PHASES.filter((n) => docs.some((d) => d.phases.some((p) => p.name === n))));
      for (const p of m.phases) {
        const ran = docs.map((d, i) => ({ i: i + 1, p: d.phases.find((x) => x.name === p.name) })).filter((x) => x.p !== undefined);
        assert.equal(p.repeats?.length, ran.length, `${p.name}: one figures entry per repeat that ran it`);
        assert.deepEqual([...new Set(p.timeline.map((t) => t.repeat))], ran.filter((x) => x.p!.timeline.length > 0).map((x) => x.i));
        assert.equal(p.counters.sent, total(ran.map((x) => x.p!.counters.sent)));
        assert.equal(p.latency.e2e.count, total(ran.map((x) => x.p!.latency.e2e.count)));
        const worst = ran.some((x) => x.p!.status === 'failed') ? 'failed' : ran.some((x) => x.p!.status === 'interrupted') ? 'interrupted' : 'completed';
        assert.equal(p.status, worst);
      }
      assertMatchesSchema(m);
      // What run-command does next: the verdict settled again on the merged document still fails.
      const settled = settleVerdict(m, []);
      assert.equal(settled.verdict.passed, false);
      assertMatchesSchema(settled);
    });
  }

  test('failures, reasons, errors, wire and target errors of a repeat keep its number', () => {
    const docs = [full[0]!, withProblems(full[1]!), full[2]!];
    const m = mergeRepeats(docs);
    const name = PHASES[0]!;
    const p = phaseOf(m, name);
    assert.deepEqual(p.deliveryFailures, ['repeat 2: 3 QoS 1 message(s) lost']);
    assert.equal(p.generator.saturated, true);
    assert.ok(p.generator.reasons.includes('repeat 2: worker 0 was busy 95% of the time (limit 90%)'));
    assert.equal(p.counters.errors['timeout'], total(docs.map((d) => phaseOf(d, name).counters.errors['timeout'] ?? 0)));
    assert.ok((p.counters.errors['timeout'] ?? 0) >= 2);
    assert.deepEqual(m.verdict, { passed: false, failures: [`repeat 2: ${name}: 3 QoS 1 message(s) lost`] });
    assert.deepEqual(m.targetErrors, sumErrors(docs.map((d) => d.targetErrors)));
    assert.ok((m.targetErrors?.['read ECONNRESET'] ?? 0) >= 2);
    assertMatchesSchema(m);
  });

  test('wire bytes from the repeats that measured them only', () => {
    const strip = (d: ResultDocument): ResultDocument => ({ ...d, phases: d.phases.map(({ wire: _w, ...p }) => p) });
    const docs = [strip(full[0]!), full[1]!, strip(full[2]!)];
    const m = mergeRepeats(docs);
    for (const name of PHASES) {
      const q = phaseOf(full[1]!, name);
      assert.ok(q.wire, `${name}: the run measured the wire`);
      const p = phaseOf(m, name);
      assert.equal(p.wire?.bytesSent, q.wire.bytesSent);
      assert.equal(p.wire?.bytesReceived, q.wire.bytesReceived);
      // Recomputed from the steady count that comes back from the rounded rate: within rounding of the repeat's own figure.
      assert.ok(q.wire.bytesPerMessage !== null && Math.abs((p.wire?.bytesPerMessage ?? Number.NaN) - q.wire.bytesPerMessage) <= q.wire.bytesPerMessage * 1e-3, `${name}: ${p.wire?.bytesPerMessage} vs ${q.wire.bytesPerMessage}`);
      assert.deepEqual(p.repeats?.map((r) => r['wire.bytesPerMessage']), [null, q.wire.bytesPerMessage, null]);
    }
    const none = mergeRepeats([strip(full[0]!), strip(full[1]!)]);
    for (const p of none.phases) assert.equal(p.wire, undefined);
    assertMatchesSchema(m);
  });

  function sumErrors(rs: Array<Record<string, number> | undefined>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  }
});

describe('mergeRepeats of one document', () => {
  const cases: Array<{ name: string; doc: () => ResultDocument }> = [
    { name: 'completed', doc: () => full[0]! },
    { name: 'interrupted', doc: () => interrupted },
    { name: 'failed, no phases', doc: () => failed },
  ];
  for (const c of cases) {
    test(`${c.name}: passes through with repeat count 1 and its own figures`, () => {
      const d = c.doc();
      const before = structuredClone(d);
      const m = mergeRepeats([d]);
      assert.deepEqual(d, before, 'the input is not changed');
      assert.deepEqual(m.repeat, { count: 1, runIds: [d.runId] });
      const { repeat: _r, phases, ...rest } = m;
      const { phases: inPhases, ...inRest } = d;
      assert.deepEqual(rest, inRest);
      assert.equal(phases.length, inPhases.length);
      phases.forEach((p, i) => {
        const { repeats, ...same } = p;
        assert.deepEqual(same, inPhases[i]);
        assert.deepEqual(repeats, [Object.fromEntries(COMPARED_METRICS.map((k) => [k, metricDef(k)!.get(inPhases[i]!)]))]);
      });
      assertMatchesSchema(m);
    });
  }

  test('no documents is a programming error', () => {
    assert.throws(() => mergeRepeats([]), /no result documents/);
  });
});
