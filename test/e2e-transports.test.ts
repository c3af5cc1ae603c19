/**
 * One suite over every transport: the same MQTT run over tcp, tls, ws and wss against the
 * bundled broker, and over tcp and ws against Debian's mosquitto (installed by
 * scripts/install-mosquitto.sh before the tests). Delivery must be complete at QoS 1 and 2.
 * Every assertion is a count, so the six runs go side by side, each against its own bundled
 * broker or the one mosquitto (the certificate directory is locked by whichever run generates
 * the certificates first).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ResultDocument } from '../src/metrics/result.js';
import { runCli, tempDir } from './helpers/cli.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { assertMatchesSchema } from './helpers/schema.js';

type Stage = 'connectTcp' | 'connectTls' | 'connectWs';
const STAGES: Record<string, Stage[]> = { tcp: ['connectTcp'], tls: ['connectTcp', 'connectTls'], ws: ['connectWs'], wss: ['connectWs'] };

async function runAndCheck(args: string[], transport: string, env?: NodeJS.ProcessEnv): Promise<ResultDocument> {
  const out = await tempDir();
  // Six of these run at once: a connect timeout well above the second a crowded start can take.
  const r = await runCli(['run', ...args, '--qos', '1,2', '--publishers', '2', '--subscribers', '2', '--workers', '2', '--duration', '1s', '--warmup', '0s', '--connect-timeout', '20s', '--out', out, '--json'], env ? { env } : {});
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ResultDocument;
  assertMatchesSchema(doc);
  assert.deepEqual(doc.phases.map((p) => p.name), [`mqtt-${transport}-qos1`, `mqtt-${transport}-qos2`]);
  for (const p of doc.phases) {
    assert.equal(p.params.transport, transport);
    assert.ok(p.counters.sent > 0, `${p.name}: nothing sent`);
    assert.equal(p.counters.lost, 0, `${p.name}: lost`);
    assert.equal(p.counters.duplicated, 0, `${p.name}: duplicated`);
    assert.equal(p.counters.received, p.counters.expected, `${p.name}: incomplete delivery`);
    assert.ok(p.latency.e2e.count > 0 && p.latency.ack.count > 0, `${p.name}: no latency recorded`);
    assert.equal(p.latency.connect.count, 4);
    for (const stage of STAGES[transport] ?? []) assert.equal(p.latency[stage].count, 4, `${p.name}: ${stage} per connection`);
    for (const stage of (['connectTcp', 'connectTls', 'connectWs'] as const).filter((s) => !(STAGES[transport] ?? []).includes(s))) {
      assert.equal(p.latency[stage].count, 0, `${p.name}: no ${stage} stage on ${transport}`);
    }
  }
  return doc;
}

const certEnv = async () => ({ MQBENCH_CERT_DIR: await tempDir('mqbench-certs-') });

describe('every transport, the brokers side by side', { concurrency: true }, () => {
  describe('bundled broker, every transport', { concurrency: true }, () => {
    let env: NodeJS.ProcessEnv;
    before(async () => {
      env = await certEnv();
    });
    for (const transport of ['tcp', 'tls', 'ws', 'wss']) {
      test(`mqtt over ${transport}`, { timeout: 60_000 }, async () => {
        const doc = await runAndCheck(['--transport', transport], transport, env);
        assert.equal(doc.phases[0]!.target.kind, 'bundled');
        const scheme = { tcp: 'mqtt://', tls: 'mqtts://', ws: 'ws://', wss: 'wss://' }[transport]!;
        assert.ok(doc.phases[0]!.target.url.startsWith(scheme), doc.phases[0]!.target.url);
      });
    }
  });

  describe('mosquitto, tcp and ws', { concurrency: true }, () => {
    let mosquitto: Mosquitto;
    before(async () => {
      mosquitto = await startMosquitto();
    });
    after(async () => {
      await mosquitto?.stop();
    });
    test('mqtt over tcp', { timeout: 60_000 }, async () => {
      const doc = await runAndCheck(['--target', mosquitto.url, '--target-pid', String(mosquitto.pid)], 'tcp');
      assert.equal(doc.phases[0]!.target.kind, 'external');
      assert.ok((doc.phases[0]!.target.cpuSeconds ?? -1) >= 0, 'mosquitto CPU measured through --target-pid');
    });
    test('mqtt over ws', { timeout: 60_000 }, async () => {
      await runAndCheck(['--target', mosquitto.wsUrl], 'ws');
    });
  });
});
