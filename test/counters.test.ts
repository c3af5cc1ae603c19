/**
 * The pure parts the god units were split into: one sumCounters for workers and repeats (against
 * a field-by-field model, fast-check), sumRecords, and a phase's stop reason as a value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GROUP_COUNTS, PHASE_COUNTS, sumCounters, sumRecords } from '../src/metrics/counters.js';
import { stopOutcome, type StopReason } from '../src/coordinator/stop-reason.js';

test('sumCounters adds every listed field of every part, a missing field as 0, and only the listed fields', () => {
  const part = fc.dictionary(fc.constantFrom(...PHASE_COUNTS, 'notACounter'), fc.nat({ max: 1e9 }));
  fc.assert(
    fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
      const sum = sumCounters(parts as Array<Partial<Record<(typeof PHASE_COUNTS)[number], number>>>, PHASE_COUNTS);
      assert.deepEqual(Object.keys(sum), [...PHASE_COUNTS], 'the fields in the order of the key list');
      for (const k of PHASE_COUNTS) assert.equal(sum[k], parts.reduce((n, p) => n + ((p as Record<string, number>)[k] ?? 0), 0), k);
    }),
    { numRuns: 200 },
  );
});

test('sumCounters of a group: two workers of one group add up', () => {
  const a = { connects: 3, connectFailures: 1, disconnects: 2, reconnects: 2, sent: 100, acked: 90, expected: 200, received: 198, lost: 2, duplicated: 1, outOfOrder: 0 };
  const b = { connects: 2, connectFailures: 0, disconnects: 0, reconnects: 0, sent: 50, acked: 50, expected: 100, received: 100, lost: 0, duplicated: 0, outOfOrder: 3 };
  assert.deepEqual(sumCounters([a, b], GROUP_COUNTS), { connects: 5, connectFailures: 1, disconnects: 2, reconnects: 2, sent: 150, acked: 140, expected: 300, received: 298, lost: 2, duplicated: 1, outOfOrder: 3 });
  assert.deepEqual(sumCounters([], GROUP_COUNTS), Object.fromEntries(GROUP_COUNTS.map((k) => [k, 0])));
});

test('sumRecords adds errors by kind; undefined when no part had any', () => {
  assert.equal(sumRecords([undefined, undefined]), undefined);
  assert.deepEqual(sumRecords([{ refused: 2 }, undefined, { refused: 1, timeout: 4 }]), { refused: 3, timeout: 4 });
  assert.deepEqual(sumRecords([{}]), {});
});

test('stopOutcome: each stop reason gives its status and says why', () => {
  const cases: Array<[StopReason, string, RegExp | null]> = [
    [{ kind: 'completed' }, 'completed', null],
    [{ kind: 'interrupted-connecting', connectSeconds: 1.25 }, 'interrupted', /while connecting clients, after 1\.3s/],
    [{ kind: 'connect-failed', message: '3 of 10 clients could not connect' }, 'failed', /^3 of 10 clients could not connect$/],
    [{ kind: 'interrupted-before-start' }, 'interrupted', /before publishing started/],
    [{ kind: 'interrupted', publishingSeconds: 2 }, 'interrupted', /after 2\.0s of publishing/],
    [{ kind: 'gate', publishingSeconds: 0.5, reason: 'e2e.p99 < 1ms' }, 'interrupted', /--abort-on-fail after 0\.5s of publishing: e2e\.p99 < 1ms/],
  ];
  for (const [reason, status, error] of cases) {
    const o = stopOutcome(reason);
    assert.equal(o.status, status, reason.kind);
    if (error === null) assert.equal(o.error, undefined, reason.kind);
    else assert.match(o.error ?? '', error, reason.kind);
  }
});
