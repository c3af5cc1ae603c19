/**
 * `compare` says when runs are too short to find a regression of the tolerance asked
 * (gates/sensitivity.ts), on committed real results (test/fixtures/repeats: one steady second each)
 * and on copies of them with the steady seconds doctored. The smallest detectable change it
 * states is held against the comparison rule itself: a head worse by a little more is a
 * regression, by a little less it is not.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { main } from '../src/cli/main.js';
import { compareDocuments } from '../src/gates/baseline.js';
import { detectable, shortRunNotes } from '../src/gates/sensitivity.js';
import { metricDef } from '../src/metrics/names.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { memoryIo } from './helpers/io.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/repeats/', import.meta.url));
const fixture = (name: string): ResultDocument => JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as ResultDocument;

/** full-1's mqtt-tcp-qos1 alone, with these steady seconds (received = sent per second) and its rate their mean. */
function withSeconds(rates: readonly number[]): ResultDocument {
  const d = fixture('full-1');
  const p = structuredClone(d.phases[1]!);
  const point = p.timeline[0]!;
  p.timeline = rates.map((r, i) => ({ ...point, t: i + 1, stage: 'steady', warmup: false, sent: r, received: r }));
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  p.rates = { ...p.rates, sentPerSecond: mean, receivedPerSecond: mean };
  d.phases = [p];
  return d;
}

/** `doc` with every steady second and the rates lower by the fraction x. */
function slower(doc: ResultDocument, x: number): ResultDocument {
  const d = structuredClone(doc);
  for (const p of d.phases) {
    for (const t of p.timeline) Object.assign(t, { sent: t.sent * (1 - x), received: t.received * (1 - x) });
    p.rates = { ...p.rates, sentPerSecond: p.rates.sentPerSecond * (1 - x), receivedPerSecond: p.rates.receivedPerSecond * (1 - x) };
  }
  return d;
}

test('mqbench compare on two real one-second results: no change of any size could be detected, said per phase on stderr', async () => {
  const t = memoryIo();
  const code = await main(['compare', `${FIXTURES}full-1.json`, `${FIXTURES}full-2.json`], t.io);
  assert.ok(code === 0 || code === 1, t.err());
  for (const phase of ['mqtt-tcp-qos0', 'mqtt-tcp-qos1']) {
    assert.match(
      t.err(),
      new RegExp(`^mqbench compare: note: ${phase}: 1 vs 1 steady seconds: no change of received\\.rate, however large, would be detected \\(fewer than 2 seconds with a value on a side, so no test\\), and 10% was asked; use --duration 4s at the very least`, 'm'),
    );
  }
  assert.match(t.out(), /mqbench compare/, 'the comparison itself is printed as before');
});

test('5 vs 3 steady seconds: the smallest detectable fall of the rate, stated, and held against the rule', () => {
  const base = withSeconds([300, 290, 310, 305, 295]);
  const head = withSeconds([298, 302, 300]);
  const def = metricDef('received.rate')!;
  const d = detectable(base.phases[0]!, head.phases[0]!, def);
  assert.ok(d !== null && d.test !== null && d.spread !== null);
  // By hand: the head's three seconds must all fall below the base's lowest (290), exact p = 2/56 < 0.05.
  assert.ok(Math.abs(d.test - (1 - 290 / 302)) < 1e-6, `test ${d.test}`);
  // And the head's figure below the base's worst second: 300 (1 - x) < 290.
  assert.ok(Math.abs(d.spread - (1 - 290 / 300)) < 1e-6, `spread ${d.spread}`);
  const x = Math.max(d.test, d.spread);

  const notes = shortRunNotes(base, head, 0.01, ['received.rate']);
  assert.equal(notes.length, 1, notes.join('\n'));
  assert.match(notes[0]!, /^mqtt-tcp-qos1: 5 vs 3 steady seconds: a change of received\.rate below ~3\.97% would not be detected \(the test needs ~3\.97%, the base's spread ~3\.33%\), and 1% was asked; use --repeat 3 and --duration \d+s$/);
  assert.deepEqual(shortRunNotes(base, head, 0.05, ['received.rate']), [], 'a tolerance above X: nothing to say');

  // The rule agrees: worse by a little more than X regresses, by a little less it does not.
  const verdict = (by: number): string => compareDocuments(base, slower(head, by), { maxRegression: 0.01, metrics: ['received.rate'], baseFile: 'b', headFile: 'h' }).rows[0]!.verdict;
  assert.equal(verdict(x * 1.02), 'regression');
  assert.equal(verdict(x * 0.98), 'within-noise');
});

test('3 vs 3 steady seconds: no change of any size, since fully separated samples reach p = 0.1 at best', () => {
  const notes = shortRunNotes(withSeconds([300, 301, 299]), withSeconds([300, 302, 298]), 0.1, ['received.rate']);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /^mqtt-tcp-qos1: 3 vs 3 steady seconds: no change of received\.rate, however large, would be detected \(too few for the test to reach p < 0\.05 however far apart\), and 10% was asked; use --duration \d+s$/);
  // The rule agrees: even a rate fallen by 90% is within noise.
  const c = compareDocuments(withSeconds([300, 301, 299]), slower(withSeconds([300, 302, 298]), 0.9), { maxRegression: 0.1, metrics: ['received.rate'], baseFile: 'b', headFile: 'h' });
  assert.equal(c.rows[0]!.verdict, 'within-noise');
});

test('30 steady seconds a side, spread under 1%: a 10% regression would be found, no note', () => {
  const seconds = (offset: number): number[] => Array.from({ length: 30 }, (_, i) => 300 + ((i * 7 + offset) % 5) - 2);
  const base = withSeconds(seconds(0));
  const head = withSeconds(seconds(3));
  assert.deepEqual(shortRunNotes(base, head, 0.1, ['received.rate']), []);
  const d = detectable(base.phases[0]!, head.phases[0]!, metricDef('received.rate')!);
  assert.ok(d !== null && d.test !== null && d.test < 0.02, JSON.stringify(d));
});
