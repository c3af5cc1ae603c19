/**
 * `--broker mosquitto`: Debian's mosquitto started by mqbench instead of (or beside) the embedded
 * aedes (src/servers/mosquitto.ts, bundled-mosquitto.ts). The process on its own: listeners on
 * loopback only, a taken fixed port named, stopped by its pid with its directory removed; then
 * the built CLI: four transports delivered in full, capacity on it, and bad input (a target
 * beside it, no mosquitto installed) refused with exit 2 before anything starts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startBundledMosquitto } from '../src/servers/bundled-mosquitto.js';
import { startMosquitto } from '../src/servers/mosquitto.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

/** Local addresses of the listening TCP sockets on `port` (/proc/net/tcp and tcp6, state 0A), as hex. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue;
      const [address, p] = local.split(':');
      if (p === hexPort && address !== undefined) out.push(address);
    }
  }
  return out;
}

/** 127.0.0.1 as /proc writes it: in tcp, and as ::ffff:127.0.0.1 in tcp6. */
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F']);

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

describe('the mosquitto process mqbench starts', () => {
  test('every listener (tcp, tls, ws, wss) is bound to loopback only; stopped by its pid', { timeout: 30_000 }, async () => {
    const broker = await startBundledMosquitto({ transports: ['tcp', 'tls', 'ws', 'wss'] });
    try {
      assert.deepEqual(Object.keys(broker.urls).sort(), ['tcp', 'tls', 'ws', 'wss']);
      assert.match(broker.urls.wss ?? '', /^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
      assert.ok(broker.caPem?.includes('BEGIN CERTIFICATE'), 'the bundled CA, for the tls and wss listeners');
      for (const [t, port] of Object.entries(broker.ports)) {
        const bound = listeningAddresses(port);
        assert.ok(bound.length > 0, `${t}: nothing listens on ${port}`);
        assert.deepEqual(bound.filter((a) => !LOOPBACK.has(a)), [], `${t} listener on port ${port}: bound beyond loopback (${bound.join(', ')})`);
      }
    } finally {
      assert.deepEqual(await broker.stop(), {}, 'mosquitto logged nothing while idle');
    }
    assert.equal(alive(broker.pid), false, 'the process is gone');
  });

  test('a fixed port that is taken is an error naming it; the temporary directory is removed after a stop', { timeout: 30_000 }, async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    assert.ok(address !== null && typeof address !== 'string');
    try {
      await assert.rejects(startMosquitto({ listeners: [{ name: 'tcp', protocol: 'mqtt', port: address.port }] }), new RegExp(`could not listen on 127\\.0\\.0\\.1:${address.port} .*ports fixed by the caller.*Address already in use`, 's'));
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const m = await startMosquitto({ listeners: [{ name: 'tcp', protocol: 'mqtt' }], settings: () => ['allow_anonymous true'] });
    assert.ok(existsSync(join(m.dir, 'mosquitto.conf')));
    await m.stop();
    assert.equal(existsSync(m.dir), false, `${m.dir} removed`);
    assert.equal(alive(m.pid), false);
  });
});

describe('mqbench run --broker mosquitto', () => {
  test('tcp, tls, ws and wss: one mosquitto for the run, every message delivered, its CPU measured, then stopped', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    const file = join(out, 'transports.yaml');
    await writeFile(file, 'groups:\n  - { name: p, role: publish, clients: 1, rate: 200/s, qos: 1 }\n  - { name: s, role: subscribe, clients: 2, qos: 1 }\nmatrix: { transport: [tcp, tls, ws, wss] }\n');
    const r = await runCli(['run', file, '--broker', 'mosquitto', '--duration', '1s', '--warmup', '0s', '--drain', '2s', '--workers', '2', '--out', out], { timeoutMs: 80_000 });
    assert.equal(r.code, 0, r.stderr);
    const started = [...(r.stdout + r.stderr).matchAll(/bundled broker \((\w+)\) listening on (.*), pid (\d+)/g)];
    assert.deepEqual(started.map((m) => m[1]), ['mosquitto'], `one broker started, mosquitto:\n${r.stderr}`);
    assert.equal(started[0]?.[2]?.split(', ').length, 4, 'one listener per transport');
    const pid = Number(started[0]?.[3]);
    assert.equal(alive(pid), false, 'mosquitto stopped with the run');
    const { doc } = await readOnlyResult(out);
    assertMatchesSchema(doc);
    assert.equal(doc.targetErrors, undefined, `mosquitto logged nothing: ${JSON.stringify(doc.targetErrors)}`);
    assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos1', 'mqtt-tls-qos1', 'mqtt-ws-qos1', 'mqtt-wss-qos1']);
    for (const p of doc.phases) {
      assert.deepEqual([p.status, p.target.kind, p.target.broker], ['completed', 'bundled', 'mosquitto'], p.name);
      assert.ok(p.target.cpuSeconds !== null, `${p.name}: mosquitto's CPU measured by its pid`);
      assert.match(p.target.url, /^(mqtts?|wss?):\/\/127\.0\.0\.1:\d+/, p.name);
      const pub = p.groups.find((g) => g.name === 'p');
      const sub = p.groups.find((g) => g.name === 's');
      assert.ok(pub !== undefined && sub !== undefined && pub.sent > 0, p.name);
      assert.equal(pub.acked, pub.sent, `${p.name}: every publish acknowledged`);
      assert.deepEqual([sub.expected, sub.received, sub.lost, sub.duplicated], [2 * pub.sent, 2 * pub.sent, 0, 0], `${p.name}: every message to both subscribers, once`);
    }
    assert.equal((doc.scenario as { broker?: unknown }).broker, 'mosquitto');
  });

  test('capacity --broker mosquitto searches the mosquitto it started', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    const r = await runCli(['capacity', '--broker', 'mosquitto', '--qos', '0', '--from', '100', '--to', '200', '--confirm', '0', '--step-duration', '1s', '--warmup', '0s', '--drain', '1s', '--out', out], { timeoutMs: 80_000 });
    // The search's answer depends on the machine (a loaded one ends on the generator's limit, exit 3);
    // what is asserted is where it ran: accepted (not exit 2), on the mosquitto it started.
    assert.ok(r.code === 0 || r.code === 1 || r.code === 3, `exit ${r.code}:\n${r.stderr}`);
    assert.match(r.stderr + r.stdout, /bundled broker \(mosquitto\) listening on mqtt:\/\/127\.0\.0\.1:\d+/);
    const { doc } = await readOnlyResult(out);
    assert.ok(doc.phases.length >= 1, 'a level ran');
    for (const p of doc.phases) assert.deepEqual([p.target.kind, p.target.broker], ['bundled', 'mosquitto'], p.name);
  });

  test('with --target: exit 2, they exclude each other; nothing starts', { timeout: 30_000 }, async () => {
    const r = await runCli(['run', '--broker', 'mosquitto', '--target', 'mqtt://127.0.0.1:1883', '--out', await tempDir()]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--broker: starts a broker for the run, and --target names one; they exclude each other: drop one/);
    assert.doesNotMatch(r.stderr, /listening|connecting/);
  });

  test('mosquitto not installed: exit 2 with the install command; nothing starts', { timeout: 30_000 }, async () => {
    const out = await tempDir();
    const r = await runCli(['run', '--broker', 'mosquitto', '--qos', '1', '--out', out], { env: { MQBENCH_MOSQUITTO: join(out, 'no-such-mosquitto') } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /mosquitto: not installed \(looked in MQBENCH_MOSQUITTO=.*no-such-mosquitto\); install it with sudo apt-get install mosquitto \(or bash scripts\/install-mosquitto\.sh\)/);
    assert.doesNotMatch(r.stderr, /listening|connecting/);
  });
});
