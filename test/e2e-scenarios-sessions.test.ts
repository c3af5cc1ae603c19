/**
 * End to end: the session-feature scenarios of scenarios/ (retained messages, offline queues,
 * last wills, shared subscriptions, MQTT 5 sessions), run by the built CLI in a short mode; the
 * MQTT 5 ones on the mosquitto mqbench starts (--broker mosquitto), no target. Their time offsets
 * (start, offline, drop) count from the start of the load, so each case overrides the duration to
 * let them happen with room to spare. Every case runs on both drivers, the lean engine and
 * MQTT.js. No assertion depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli, tempDir } from './helpers/cli.js';
import { FILES_TESTED_IN, group, only, runScenario, SCENARIO_DIR, type ScenarioCase } from './helpers/scenarios.js';

const CASES: Record<string, ScenarioCase> = {
  'retained.yaml': {
    // The dashboards join 2 s after the load starts.
    flags: { duration: '3s' },
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      const devices = group(p, 'devices');
      const dashboards = group(p, 'dashboards');
      assert.equal(devices.sent, devices.clients, 'messages: 1 each');
      assert.equal(dashboards.expected, dashboards.clients * devices.clients, 'one retained value per device per dashboard');
      assert.equal(dashboards.retained, dashboards.expected, 'every delivery was a retained value');
      assert.deepEqual(dashboards.receivedPerClient, { min: devices.clients, max: devices.clients });
    },
  },
  'offline-queue.yaml': {
    // The trucks are away from 2 s to 4 s after the load starts.
    flags: { duration: '5s' },
    redelivery: true,
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      const dispatcher = group(p, 'dispatcher');
      const trucks = group(p, 'trucks');
      assert.ok(dispatcher.sent > 0);
      assert.equal(trucks.expected, trucks.clients * dispatcher.sent, 'the messages sent while away are expected too');
      assert.equal(trucks.sessionsResumed, trucks.clients, 'the broker kept every session');
      assert.ok(trucks.backlog.messages > 0, 'a backlog was delivered after the comeback');
      assert.ok(trucks.backlog.messages < trucks.expected, 'the backlog is what was sent while away, not everything');
      assert.equal(trucks.receivedPerClient.min, dispatcher.sent, 'every truck got every message, the backlog included');
    },
  },
  'last-will.yaml': {
    // The flaky devices drop 2 s after the load starts.
    flags: { duration: '3s' },
    phases: ['mqtt-tcp-connect'],
    check(phases) {
      const p = only(phases);
      const flaky = group(p, 'flaky');
      const steady = group(p, 'steady');
      const monitor = group(p, 'monitor');
      assert.equal(steady.disconnects, 0);
      assert.deepEqual(monitor.wills, { expected: flaky.clients, received: flaky.clients }, 'the wills of the dropped devices, and only theirs');
      assert.equal(monitor.latency.will.count, flaky.clients);
    },
  },
  'shared-subscription.yaml': {
    // mqbench starts mosquitto itself: no target (the file says broker: mosquitto too).
    flags: { broker: 'mosquitto' },
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      assert.deepEqual([p.target.kind, p.target.broker], ['bundled', 'mosquitto']);
      const orders = group(p, 'orders');
      const workers = group(p, 'workers');
      assert.equal(orders.mqttVersion, 5);
      assert.equal(workers.mqttVersion, 5);
      assert.ok(orders.sent > 0);
      assert.equal(workers.expected, orders.sent, 'once per share group, not once per member');
      assert.ok(workers.receivedPerClient.min > 0, `every member got some: ${JSON.stringify(workers.receivedPerClient)}`);
      assert.ok(workers.receivedPerClient.max < orders.sent, 'no member got them all');
    },
  },
  'mqtt5-sessions.yaml': {
    // The gateways are away from 2 s to 4 s after the load starts; mosquitto started by mqbench.
    flags: { broker: 'mosquitto', duration: '5s' },
    redelivery: true,
    phases: ['mqtt-tcp-qos1'],
    check(phases) {
      const p = only(phases);
      assert.deepEqual([p.target.kind, p.target.broker], ['bundled', 'mosquitto']);
      const backend = group(p, 'backend');
      const gateways = group(p, 'gateways');
      assert.deepEqual([backend.mqttVersion, gateways.mqttVersion], [5, 5]);
      assert.ok(backend.sent > 0);
      assert.equal(gateways.sessionsResumed, gateways.clients, 'MQTT 5 session expiry: the broker kept every session past its connection');
      assert.ok(gateways.backlog.messages > 0, 'a backlog was delivered after the comeback');
      assert.equal(gateways.expected, gateways.clients * backend.sent, 'the messages sent while away are expected too');
      assert.equal(gateways.receivedPerClient.min, backend.sent, 'every gateway got every command, the backlog included');
    },
  },
};

test('every session scenario listed in FILES_TESTED_IN has a case here', () => {
  assert.deepEqual(Object.keys(CASES).sort(), [...FILES_TESTED_IN['e2e-scenarios-sessions.test']].sort());
});

// Side by side, each against its own broker: the loads are small, every assertion is a count, and
// the time offsets (start, offline, drop) leave a second or more before the window ends. Then the
// same cases on MQTT.js, the reference driver (after the first set, not beside it): retained
// values, offline queues, wills, shared subscriptions and MQTT 5 session expiry must come out
// with the same counts on both engines.
for (const driver of ['lean', 'mqttjs']) {
  describe(`the session scenarios, side by side, --driver ${driver}`, { concurrency: true }, () => {
    for (const [file, c] of Object.entries(CASES)) {
      test(`scenarios/${file}`, { timeout: 90_000 }, async () => c.check(await runScenario(file, { ...c, flags: { ...c.flags, driver } })));
    }
  });
}

test('scenarios/shared-subscription.yaml with --broker aedes: exit 2, asks for mosquitto or an MQTT 5 broker, connects nothing', { timeout: 30_000 }, async () => {
  const r = await runCli(['run', `${SCENARIO_DIR}shared-subscription.yaml`, '--broker', 'aedes', '--out', await tempDir()]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /shared-subscription\.yaml: defaults\.mqttVersion \(line \d+\): MQTT 5 needs a broker that speaks it: the embedded broker \(aedes\) speaks 3\.1\.1 only/);
  assert.match(r.stderr, /shared-subscription\.yaml: groups\[1\]\.subscribe \(line \d+\): shared subscriptions .* the embedded broker \(aedes\) has none/);
  assert.match(r.stderr, /run with --broker mosquitto .*or give --target/);
  assert.doesNotMatch(r.stderr, /listening/, 'no broker was started');
});
