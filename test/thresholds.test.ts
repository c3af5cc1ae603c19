/** Threshold grammar, units and scopes, table-driven; no run needed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { METRICS } from '../src/metrics/names.js';
import { parseThreshold, scopeMatches, unmatchedThresholds, type PhaseIdentity } from '../src/gates/threshold.js';

describe('parseThreshold: good expressions', () => {
  const cases: Array<[string, { scope: string; qos: 0 | 1 | 2 | null; metric: string; op: string; value: number }]> = [
    ['mqtt.e2e.qos1.p99 < 20ms', { scope: 'mqtt', qos: 1, metric: 'e2e.p99', op: '<', value: 20_000 }],
    ['mqtt.qos1.e2e.p99<20ms', { scope: 'mqtt', qos: 1, metric: 'e2e.p99', op: '<', value: 20_000 }],
    ['mqtt.lost.qos1 == 0', { scope: 'mqtt', qos: 1, metric: 'lost', op: '==', value: 0 }],
    ['mqtt.received.rate > 10000', { scope: 'mqtt', qos: null, metric: 'received.rate', op: '>', value: 10_000 }],
    ['mqtt.received.rate > 10k/s', { scope: 'mqtt', qos: null, metric: 'received.rate', op: '>', value: 10_000 }],
    ['mqtt.received.rate >= 600/m', { scope: 'mqtt', qos: null, metric: 'received.rate', op: '>=', value: 10 }],
    ['ws.rtt.p99 < 5ms', { scope: 'ws', qos: null, metric: 'e2e.p99', op: '<', value: 5000 }],
    ['all.e2e.p999 <= 1.5s', { scope: 'all', qos: null, metric: 'e2e.p999', op: '<=', value: 1_500_000 }],
    ['mqtt-tcp-qos1.ack.max < 250us', { scope: 'mqtt-tcp-qos1', qos: null, metric: 'ack.max', op: '<', value: 250 }],
    ['mqtt.connect.p99 < 2 s', { scope: 'mqtt', qos: null, metric: 'connect.p99', op: '<', value: 2_000_000 }],
    ['mqtt.lost.pct < 0.1%', { scope: 'mqtt', qos: null, metric: 'lost.pct', op: '<', value: 0.1 }],
    ['mqtt.errors.timeout == 0', { scope: 'mqtt', qos: null, metric: 'errors.timeout', op: '==', value: 0 }],
    ['all.generator.saturated == false', { scope: 'all', qos: null, metric: 'generator.saturated', op: '==', value: 0 }],
    ['all.generator.cpuPerMessage < 50us', { scope: 'all', qos: null, metric: 'generator.cpuPerMessage', op: '<', value: 50 }],
    ['mqtt-ws.wire.bytesPerMessage < 1KiB', { scope: 'mqtt-ws', qos: null, metric: 'wire.bytesPerMessage', op: '<', value: 1024 }],
    ['mqtt.bytesReceived.rate > 1MiB/s', { scope: 'mqtt', qos: null, metric: 'bytesReceived.rate', op: '>', value: 1024 * 1024 }],
    ['mqtt.sent != 0', { scope: 'mqtt', qos: null, metric: 'sent', op: '!=', value: 0 }],
  ];
  for (const [text, want] of cases) {
    test(text, () => {
      const r = parseThreshold(text, 'flag');
      assert.ok(r.ok, r.ok ? '' : r.error);
      const t = r.threshold;
      assert.deepEqual({ scope: t.scope, qos: t.qos, metric: t.metric, op: t.op, value: t.value }, want);
      assert.equal(t.expression, text.trim());
    });
  }
});

describe('parseThreshold: bad expressions name the problem and the fix', () => {
  const cases: Array<[string, RegExp]> = [
    ['mqtt.e2e.p99 < 20', /needs a time unit.*20ms/],
    ['mqtt.e2e.p99 < 20parsecs', /'parsecs' is not a time unit/],
    ['mqtt.latency.p99 < 2ms', /'latency.p99' .* is not a metric; did you mean .*e2e.p99/],
    ['mqtt.e2e.p98 < 2ms', /'e2e.p98' .* is not a metric; did you mean .*e2e.p99/],
    ['mqtt < 2ms', /names no metric after the scope 'mqtt'/],
    ['mqtt.e2e.p99', /is not a threshold; write <metric> <op> <value>/],
    ['mqtt.e2e.p99 => 2ms', /is not a threshold/],
    ['mqtt.e2e.p99 < fast', /'fast' is not a number with a unit/],
    ['mqtt.lost.pct < 0.1', /percentage: write the % sign/],
    ['mqtt.lost == 0ms', /'ms' is not a unit for a count/],
    ['mqtt.received.rate > 10 msgs', /'msgs' is not a rate unit/],
    ['all.generator.saturated < 1', /true or false; compare it with == or !=/],
    ['all.generator.saturated == maybe', /'maybe' is not true or false/],
    ['mqtt.qos1.lost.qos2 == 0', /names a QoS twice/],
    ['', /is not a threshold/],
  ];
  for (const [text, want] of cases) {
    test(text === '' ? '(empty)' : text, () => {
      const r = parseThreshold(text, 'flag');
      assert.equal(r.ok, false, `'${text}' parsed`);
      if (!r.ok) assert.match(r.error, want);
    });
  }
});

describe('scopes select phases', () => {
  const phases: PhaseIdentity[] = [
    { name: 'mqtt-tcp-qos0', params: { protocol: 'mqtt', qos: 0 } },
    { name: 'mqtt-tcp-qos1', params: { protocol: 'mqtt', qos: 1 } },
    { name: 'mqtt-ws-qos1', params: { protocol: 'mqtt', qos: 1 } },
    { name: 'mqtt-wss-qos1', params: { protocol: 'mqtt', qos: 1 } },
    { name: 'ws-echo', params: { protocol: 'ws', qos: null } },
  ];
  const cases: Array<[string, 0 | 1 | 2 | null, string[]]> = [
    ['all', null, ['mqtt-tcp-qos0', 'mqtt-tcp-qos1', 'mqtt-ws-qos1', 'mqtt-wss-qos1', 'ws-echo']],
    ['mqtt', null, ['mqtt-tcp-qos0', 'mqtt-tcp-qos1', 'mqtt-ws-qos1', 'mqtt-wss-qos1']],
    ['mqtt', 1, ['mqtt-tcp-qos1', 'mqtt-ws-qos1', 'mqtt-wss-qos1']],
    ['ws', null, ['ws-echo']],
    ['mqtt-ws', null, ['mqtt-ws-qos1']],
    ['mqtt-tcp', 0, ['mqtt-tcp-qos0']],
    ['mqtt-tcp-qos1', null, ['mqtt-tcp-qos1']],
    ['mqtt-t', null, []],
    ['ws', 1, []],
  ];
  for (const [scope, qos, want] of cases) {
    test(`${scope}${qos === null ? '' : `.qos${qos}`}`, () => {
      assert.deepEqual(phases.filter((p) => scopeMatches(scope, qos, p)).map((p) => p.name), want);
    });
  }
  test('a threshold that selects no phase is reported with the phases there are', () => {
    const r = parseThreshold('ws.rtt.p99 < 5ms', 'flag');
    assert.ok(r.ok);
    const [u, more] = unmatchedThresholds([r.threshold], phases.slice(0, 2));
    assert.equal(more, undefined);
    assert.equal(u?.where, '--threshold');
    assert.match(u?.message ?? '', /selects no phase of this run.*mqtt-tcp-qos0 \(mqtt, qos0\), mqtt-tcp-qos1/);
  });
});

test('every metric parses in a threshold with a value of its unit', () => {
  const sample: Record<string, string> = { us: '1ms', 'us/msg': '10us', '/s': '1k/s', 'B/s': '1KiB/s', B: '1KiB', 'B/msg': '100B', '%': '1%', count: '0', bool: 'false' };
  for (const m of METRICS) {
    const op = m.unit === 'bool' ? '==' : '<';
    const r = parseThreshold(`all.${m.name} ${op} ${sample[m.unit]}`, 'flag');
    assert.ok(r.ok, `${m.name}: ${r.ok ? '' : r.error}`);
  }
});
