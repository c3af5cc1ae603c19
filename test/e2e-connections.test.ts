/** Connect-only clients held through a phase, the open-files check, and --local-address. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { ResultDocument } from '../src/metrics/result.js';
import { BIN, runCli, tempDir } from './helpers/cli.js';
import { startMosquitto } from './helpers/mosquitto.js';
import { assertMatchesSchema } from './helpers/schema.js';

async function holdConnections(extra: string[], n: number, transport = 'tcp', env?: NodeJS.ProcessEnv): Promise<ResultDocument> {
  const out = await tempDir();
  // keepalive 1 s: the idle clients ping every half second, so a broker that stopped answering would show.
  const r = await runCli(['run', '--publishers', '0', '--subscribers', '0', '--connections', String(n), '--keepalive', '1', '--duration', '2s', '--warmup', '0s', '--workers', '2', '--out', out, '--json', ...extra], env ? { env } : {});
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ResultDocument;
  assertMatchesSchema(doc);
  assert.equal(doc.phases.length, 1);
  const p = doc.phases[0]!;
  assert.equal(p.name, `mqtt-${transport}-connect`);
  assert.equal(p.counters.connects, n);
  assert.equal(p.counters.connectFailures, 0);
  assert.equal(p.counters.disconnects, 0);
  assert.deepEqual(p.counters.errors, {}, 'no errors: every ping answered');
  assert.equal(p.latency.connect.count, n);
  assert.equal(p.latency[transport.startsWith('ws') ? 'connectWs' : 'connectTcp'].count, n);
  const steady = p.timeline.filter((t) => !t.warmup);
  assert.ok(steady.length > 0 && steady.every((t) => t.connections === n), `held ${n} through the phase: ${JSON.stringify(steady.map((t) => t.connections))}`);
  return doc;
}

test('connect-only: 300 idle clients held against the bundled broker', { timeout: 60_000 }, async () => {
  await holdConnections([], 300);
});

test('connect-only over ws and wss: CONNACK read across WebSocket frames, pings answered', { timeout: 60_000 }, async () => {
  const env = { MQBENCH_CERT_DIR: await tempDir('mqbench-certs-') };
  await holdConnections(['--transport', 'ws'], 100, 'ws', env);
  await holdConnections(['--transport', 'wss'], 100, 'wss', env);
});

test('connect-only: 300 idle clients held against mosquitto, spread over two source addresses', { timeout: 60_000 }, async () => {
  const m = await startMosquitto();
  try {
    await holdConnections(['--target', m.url, '--local-address', '127.0.0.2,127.0.0.3'], 300);
  } finally {
    await m.stop();
  }
});

test('too low an open-files limit: exit 2 before connecting, with the numbers and the fix', { timeout: 30_000 }, async () => {
  const child = spawn('bash', ['-c', `ulimit -n 400 && exec "${process.execPath}" "${BIN}" run --publishers 0 --subscribers 0 --connections 1000`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /1000 clients need about \d+ open files/);
  assert.match(stderr, /may open 400/);
  assert.match(stderr, /ulimit|limits\.conf/);
  assert.doesNotMatch(stderr, /listening/, 'nothing was started');
});
