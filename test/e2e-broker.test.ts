/** `mqbench broker` standalone, and `mqbench run --target` against it as an external broker. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { ResultDocument } from '../src/metrics/result.js';
import { BIN, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

test('broker --port 0 serves a run given as --target, then stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const broker = spawn(process.execPath, [BIN, 'broker', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  broker.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => broker.on('close', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      broker.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      broker.on('close', () => reject(new Error(`broker exited before listening: ${stderr}`)));
    });
    const out = await tempDir();
    const r = await runCli(['run', '--target', url, '--workers', '1', '--qos', '1', '--duration', '1s', '--warmup', '0s', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    assertMatchesSchema(doc);
    const p = doc.phases[0]!;
    assert.equal(p.target.kind, 'external');
    assert.equal(p.target.url, url);
    assert.equal(p.target.cpuSeconds, null, 'no --target-pid: the target CPU is unknown, not guessed');
    assert.ok(p.counters.received > 0);
    assert.equal(p.counters.received, p.counters.expected);
    assert.doesNotMatch(r.stderr, /bundled broker/, 'no bundled broker is started when a target is named');
  } finally {
    broker.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGTERM, closing/);
});

test('broker: a bad or busy port is a usage error with the fix, exit 2', { timeout: 30_000 }, async () => {
  const bad = await runCli(['broker', '--port', '70000']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port '70000' must be a whole number from 0 to 65535/);

  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const address = holder.address();
  assert.ok(address !== null && typeof address === 'object');
  try {
    const busy = await runCli(['broker', '--port', String(address.port)]);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /EADDRINUSE/);
    assert.match(busy.stderr, /Pick another --port/);
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});
