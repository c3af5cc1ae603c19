/**
 * Plain WebSocket load against the bundled echo server (echo and broadcast roles, open and
 * closed model), and certificate verification over wss: no trust without the CA, a pass with it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { BIN, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

async function wsRun(args: string[], env?: NodeJS.ProcessEnv): Promise<PhaseResult> {
  const out = await tempDir();
  const r = await runCli(['run', '--protocol', 'ws', '--workers', '2', '--duration', '1s', '--warmup', '0s', '--out', out, '--json', ...args], env ? { env } : {});
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ResultDocument;
  assertMatchesSchema(doc);
  assert.equal(doc.phases.length, 1, 'one phase: QoS does not apply to plain WebSocket');
  const p = doc.phases[0]!;
  assert.equal(p.params.protocol, 'ws');
  assert.equal(p.params.qos, null);
  assert.ok(p.counters.sent > 0);
  assert.equal(p.counters.lost, 0);
  assert.equal(p.counters.duplicated, 0);
  assert.equal(p.counters.received, p.counters.expected);
  assert.ok(p.latency.e2e.count > 0);
  assert.equal(p.latency.ack.count, 0, 'WebSocket has no acknowledgement');
  assert.equal(p.latency.connectWs.count, p.counters.connects, 'WebSocket upgrade timed per connection');
  return p;
}

// Each run has its own servers and --out, and every assertion is a count: the runs go side by side.
describe('plain WebSocket and wss, run by run', { concurrency: true }, () => {
  test('ws echo, closed model: every message comes back once, round trip recorded', { timeout: 60_000 }, async () => {
    const p = await wsRun(['--role', 'echo', '--publishers', '4']);
    assert.equal(p.name, 'ws-echo');
    assert.equal(p.params.subscribers, 0);
    assert.equal(p.counters.expected, p.counters.sent, 'each client receives its own messages');
    assert.equal(p.counters.connects, 4);
  });

  test('ws echo, open model over wss: scheduled rate, corrected latency never below uncorrected', { timeout: 60_000 }, async () => {
    const p = await wsRun(['--role', 'echo', '--publishers', '2', '--transport', 'wss', '--rate', '1000'], { MQBENCH_CERT_DIR: await tempDir('mqbench-certs-') });
    assert.equal(p.name, 'wss-echo');
    assert.equal(p.params.model, 'open');
    assert.ok(p.latency.e2e.p99 >= p.latency.e2eUncorrected.p99);
  });

  test('ws broadcast: one sender, every receiver gets every message', { timeout: 60_000 }, async () => {
    const p = await wsRun(['--role', 'broadcast', '--publishers', '1', '--subscribers', '3']);
    assert.equal(p.name, 'ws-broadcast');
    assert.equal(p.counters.expected, 3 * p.counters.sent);
    assert.equal(p.counters.connects, 4);
  });

  test('mqtt over wss to a broker with a private CA: fails verification without --ca, passes with it', { timeout: 60_000 }, async () => {
    const certDir = await tempDir('mqbench-certs-');
    const broker = spawn(process.execPath, [BIN, 'broker', '--wss', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MQBENCH_CERT_DIR: certDir } });
    let stderr = '';
    broker.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => broker.on('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        broker.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          const m = /wss:\/\/127\.0\.0\.1:\d+\/mqtt/.exec(stdout);
          if (m) resolve(m[0]);
        });
        broker.on('close', () => reject(new Error(`broker exited: ${stderr}`)));
      });
      const common = ['run', '--target', url, '--qos', '1', '--workers', '1', '--duration', '1s', '--warmup', '0s'];
      const untrusted = await runCli([...common, '--out', await tempDir()]);
      assert.equal(untrusted.code, 3, untrusted.stderr);
      assert.match(untrusted.stderr, /tls/i);
      assert.match(untrusted.stderr, /certificate/i);

      const trusted = await runCli([...common, '--ca', join(certDir, 'ca.pem'), '--out', await tempDir()]);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.match(trusted.stdout, /mqtt-wss-qos1/);
    } finally {
      broker.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });

  test('--insecure and --ca together, or a CA file that is not there: exit 2', { timeout: 30_000 }, async () => {
    const both = await runCli(['run', '--transport', 'wss', '--insecure', '--ca', '/nonexistent/ca.pem']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--ca\/--insecure: choose one/);
    assert.match(both.stderr, /--ca: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });
});
