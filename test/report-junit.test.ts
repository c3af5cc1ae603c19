/** JUnit XML: table-driven over documents with passing and failing gates, older documents without gates, hostile names. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJunit, xmlEscape } from '../src/reporters/junit.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { document, gate, phase } from './helpers/report-docs.js';

interface Parsed {
  attrs: Record<string, string>;
  suites: Array<{ attrs: Record<string, string>; cases: Array<{ classname: string; name: string; time: string; failure?: { message: string; type: string; text: string }; skipped: boolean }> }>;
}

type Node = Record<string, unknown>;

function parse(xml: string): Parsed {
  const valid = XMLValidator.validate(xml);
  assert.equal(valid, true, `invalid XML: ${JSON.stringify(valid)}\n${xml}`);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => name === 'testsuite' || name === 'testcase' });
  const root = (parser.parse(xml) as Node)['testsuites'] as Node;
  const attrs = (n: Node): Record<string, string> => Object.fromEntries(Object.entries(n).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return {
    attrs: attrs(root),
    suites: ((root['testsuite'] as Node[] | undefined) ?? []).map((s) => ({
      attrs: attrs(s),
      cases: ((s['testcase'] as Node[] | undefined) ?? []).map((c) => {
        const f = c['failure'] as Node | string | undefined;
        return {
          classname: String(c['classname']),
          name: String(c['name']),
          time: String(c['time']),
          skipped: c['skipped'] !== undefined,
          ...(f === undefined ? {} : { failure: typeof f === 'string' ? { message: '', type: '', text: f } : { message: String(f['message']), type: String(f['type']), text: String(f['#text'] ?? '') } }),
        };
      }),
    })),
  };
}

const HOSTILE = `p99 < 20ms & "quoted" 'single' <tag> ]]> \u0001\u0008 bell`;

interface Case {
  name: string;
  doc: ResultDocument;
  tests: number;
  failures: number;
  skipped?: number;
  /** Test case names, in order. */
  names: string[];
  /** Substrings each failure message must hold, by test case name. */
  messages?: Record<string, string>;
}

const cases: Case[] = [
  {
    name: 'all gates pass',
    doc: document([phase('p1')], {
      gates: [
        gate('run completed', true, { kind: 'run', phase: null }),
        gate('delivery [p1]', true, { kind: 'delivery' }),
        gate('mqtt.e2e.qos1.p99 < 20ms [p1]', true, { measured: '9.8ms', value: 9800 }),
      ],
    }),
    tests: 3,
    failures: 0,
    names: ['run completed', 'delivery [p1]', 'mqtt.e2e.qos1.p99 < 20ms [p1]'],
  },
  {
    name: 'a failed threshold and a regression, with the measured value in the message',
    doc: document([phase('p1')], {
      verdict: { passed: false, failures: ['p1: threshold ...'] },
      gates: [
        gate('run completed', true, { kind: 'run', phase: null }),
        gate('mqtt.e2e.qos1.p99 < 1ms [p1]', false, { measured: '9.80ms', value: 9800, expression: 'mqtt.e2e.qos1.p99 < 1ms', source: 'flag', message: 'e2e p99 9.80ms is not < 1ms' }),
        gate('baseline e2e.p99 [p1]', false, { kind: 'baseline', measured: '9.80ms', message: 'e2e.p99 4.00ms -> 9.80ms (+145.0%): regression' }),
        gate('mqtt.received.rate > 100 [p1]', true, { measured: '500/s' }),
      ],
    }),
    tests: 4,
    failures: 2,
    names: ['run completed', 'mqtt.e2e.qos1.p99 < 1ms [p1]', 'mqtt.received.rate > 100 [p1]', 'baseline e2e.p99 [p1]'],
    messages: { 'mqtt.e2e.qos1.p99 < 1ms [p1]': 'measured 9.80ms', 'baseline e2e.p99 [p1]': 'regression' },
  },
  {
    name: 'names with &, <, quotes and control characters',
    doc: document([phase('p&<1>')], {
      gates: [gate(HOSTILE, false, { phase: 'p&<1>', measured: '<1ms & "x"', message: `failed: ${HOSTILE}\nsecond line` }), gate('run completed', true, { kind: 'run', phase: null })],
    }),
    tests: 2,
    failures: 1,
    names: ['run completed', HOSTILE.replace(/[\u0001\u0008]/g, '\uFFFD')],
    messages: { [HOSTILE.replace(/[\u0001\u0008]/g, '\uFFFD')]: '<1ms & "x"' },
  },
  {
    name: 'gates without a run gate: the run case is added, failing for an interrupted run',
    doc: document([phase('p1')], { status: 'interrupted', error: 'interrupted by SIGINT', verdict: { passed: false, failures: ['interrupted by SIGINT'] }, gates: [gate('delivery [p1]', true, { kind: 'delivery' })] }),
    tests: 2,
    failures: 1,
    names: ['run completed', 'delivery [p1]'],
    messages: { 'run completed': 'interrupted by SIGINT' },
  },
  {
    name: 'older result without gates: run and delivery cases from the verdict and deliveryFailures',
    doc: document([phase('q0'), phase('q1', { deliveryFailures: ['12 QoS 1 message(s) lost'] }), phase('q2', { status: 'skipped' })], {
      verdict: { passed: false, failures: ['q1: 12 QoS 1 message(s) lost', 'something else went wrong'] },
    }),
    tests: 5,
    failures: 2,
    skipped: 1,
    names: ['run completed', 'verdict: something else went wrong', 'delivery [q0]', 'delivery [q1]', 'delivery [q2]'],
    messages: { 'delivery [q1]': '12 QoS 1 message(s) lost' },
  },
  {
    name: 'older result of a failed run: the run case fails with its error',
    doc: document([phase('q1', { status: 'failed', error: 'target unreachable' })], { status: 'failed', error: 'target unreachable', verdict: { passed: false, failures: ['q1: target unreachable'] } }),
    tests: 2,
    failures: 2,
    names: ['run completed', 'delivery [q1]'],
    messages: { 'run completed': 'failed: target unreachable', 'delivery [q1]': 'target unreachable' },
  },
];

describe('renderJunit', () => {
  for (const c of cases) {
    test(c.name, () => {
      const xml = renderJunit(c.doc);
      const parsed = parse(xml);
      assert.equal(parsed.attrs['tests'], String(c.tests), xml);
      assert.equal(parsed.attrs['failures'], String(c.failures), xml);
      assert.equal(parsed.attrs['errors'], '0');
      assert.equal(parsed.attrs['skipped'], String(c.skipped ?? 0));
      // The suites add up to the totals, and each suite's own counts match its cases.
      const all = parsed.suites.flatMap((s) => s.cases);
      assert.equal(all.length, c.tests);
      for (const s of parsed.suites) {
        assert.match(s.attrs['name'] ?? '', /^mqbench\.(run|delivery|threshold|baseline)$/);
        assert.equal(s.attrs['tests'], String(s.cases.length));
        assert.equal(s.attrs['failures'], String(s.cases.filter((x) => x.failure !== undefined).length));
        const sum = s.cases.reduce((a, x) => a + Number(x.time), 0);
        assert.ok(Math.abs(sum - Number(s.attrs['time'])) < 0.01, `suite time ${s.attrs['time']} is the sum of its cases ${sum}`);
        assert.match(s.attrs['timestamp'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      }
      assert.deepEqual(all.map((x) => x.name), c.names);
      assert.equal(all.filter((x) => x.failure !== undefined).length, c.failures);
      for (const [name, want] of Object.entries(c.messages ?? {})) {
        const tc = all.find((x) => x.name === name);
        assert.ok(tc?.failure, `${name} has a <failure>`);
        assert.ok(tc.failure.message.includes(want), `failure message of ${name}: ${tc.failure.message} lacks ${want}`);
      }
      for (const tc of all) assert.match(tc.classname, /^mqbench\./);
    });
  }

  test('classname names the phase; the run-wide case is mqbench.run', () => {
    const parsed = parse(renderJunit(cases[1]!.doc));
    const all = parsed.suites.flatMap((s) => s.cases);
    assert.equal(all.find((x) => x.name === 'run completed')?.classname, 'mqbench.run');
    assert.equal(all.find((x) => x.name.startsWith('mqtt.e2e'))?.classname, 'mqbench.p1');
  });
});

describe('xmlEscape', () => {
  const table: Array<[string, boolean, string]> = [
    ['a & b', false, 'a &amp; b'],
    ['<x y="1">', false, '&lt;x y=&quot;1&quot;&gt;'],
    ["it's", true, 'it&apos;s'],
    ['line\nbreak\ttab', true, 'line&#10;break&#9;tab'],
    ['line\nbreak', false, 'line\nbreak'],
    ['nul\u0000 esc\u001b', false, 'nul\uFFFD esc\uFFFD'],
    ['lone \uD800 surrogate', false, 'lone \uFFFD surrogate'],
    ['µs 😀', false, 'µs 😀'],
  ];
  for (const [input, attribute, want] of table) {
    test(`${JSON.stringify(input)}${attribute ? ' (attribute)' : ''}`, () => assert.equal(xmlEscape(input, attribute), want));
  }
});
