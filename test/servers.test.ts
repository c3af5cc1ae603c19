/**
 * The bundled servers on every transport, over real loopback sockets on port 0: the broker
 * (tcp, tls, ws, wss at once), the TLS material cache, the WebSocket echo and broadcast
 * server, their forked variants, and the `broker` / `echo` commands of the built CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { startBroker, type BrokerTransport } from '../src/servers/broker.js';
import { startBundledBroker } from '../src/servers/bundled.js';
import { startBundledEcho } from '../src/servers/bundled-echo.js';
import { startEchoServer } from '../src/servers/echo.js';
import { ListenError } from '../src/servers/listen.js';
import { bundledTlsMaterial, loadTlsMaterial } from '../src/servers/tls-certs.js';
import { BIN, runCli, tempDir } from './helpers/cli.js';

// Every certificate this file (and the children it forks) makes goes to a fresh directory.
const certDir = await tempDir('mqbench-certs-');
process.env['MQBENCH_CERT_DIR'] = certDir;
const tempDirs = [certDir];
after(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** Verification failures Node reports for a chain it cannot trust. */
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

/** Messages of a WebSocket client, kept from the moment it is created, read in order. */
class Inbox {
  private readonly queue: Array<{ data: Buffer; isBinary: boolean }> = [];
  private waiter: (() => void) | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.queue.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary });
      this.waiter?.();
    });
  }
  async next(): Promise<{ data: Buffer; isBinary: boolean }> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
    return this.queue.shift()!;
  }
}

async function openWs(url: string, ca?: string): Promise<Inbox> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...(ca !== undefined ? { ca } : {}) });
  const inbox = new Inbox(ws);
  await once(ws, 'open');
  return inbox;
}

async function closeWs(...inboxes: Inbox[]): Promise<void> {
  await Promise.all(
    inboxes.map(async ({ ws }) => {
      if (ws.readyState === ws.CLOSED) return;
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }),
  );
}

/** A loopback port (default: a free one) held by a plain server until `close()`; rejects when it is taken. */
async function holdPort(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const holder: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(port, '127.0.0.1', resolve);
  });
  const address = holder.address();
  assert.ok(address !== null && typeof address === 'object');
  return { port: address.port, close: () => new Promise<void>((resolve) => holder.close(() => resolve())) };
}

function mqttOptions(transport: BrokerTransport, ca: string, clientId: string): mqtt.IClientOptions {
  const secure = transport === 'tls' || transport === 'wss';
  return { clientId, reconnectPeriod: 0, connectTimeout: 10_000, ...(secure ? { ca, servername: 'localhost' } : {}) };
}

test('TLS material: generated once (also by concurrent callers), reused, loopback SANs, private key 0600', async () => {
  const dir = await tempDir('mqbench-certs-');
  tempDirs.push(dir);
  const [a, b] = await Promise.all([bundledTlsMaterial(dir), bundledTlsMaterial(dir)]);
  assert.deepEqual(b, a, 'two callers at once agree on one CA and certificate');
  const again = await bundledTlsMaterial(dir);
  assert.deepEqual(again, a, 'the second call reuses the cached files');
  assert.equal(a.caPath, join(dir, 'ca.pem'));

  const ca = new X509Certificate(a.ca);
  const leaf = new X509Certificate(a.cert);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the leaf is signed by the CA');
  const sans = leaf.subjectAltName ?? '';
  assert.match(sans, /DNS:localhost/);
  assert.match(sans, /IP Address:127\.0\.0\.1/);
  assert.match(sans, /IP Address:(::1|0:0:0:0:0:0:0:1)(,|$)/);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extKeyUsage serverAuth');
  assert.ok(Date.parse(leaf.validFrom) < Date.now(), 'valid from a few minutes ago');
  assert.ok(Date.parse(leaf.validTo) - Date.now() > 365 * 86_400_000);
  assert.equal((await stat(a.keyPath)).mode & 0o777, 0o600);

  const loaded = await loadTlsMaterial({ cert: a.certPath, key: a.keyPath, ca: a.caPath });
  assert.deepEqual(loaded, a);
  await assert.rejects(loadTlsMaterial({ cert: a.certPath, key: join(dir, 'nope.pem') }), /--key .*nope\.pem.*ENOENT/);
  await assert.rejects(loadTlsMaterial({ cert: a.caPath, key: a.keyPath }), /--key .* is not the private key of --cert/);
});

test('broker: QoS 1 messages cross tcp, tls, ws and wss, all served at once', async () => {
  const material = await bundledTlsMaterial();
  const broker = await startBroker({ host: '127.0.0.1', listeners: { tcp: 0, tls: 0, ws: 0, wss: 0 }, tls: material });
  const errors: string[] = [];
  broker.onClientError((id, err) => errors.push(`${id}: ${err.message}`));
  const transports: BrokerTransport[] = ['tcp', 'tls', 'ws', 'wss'];
  assert.deepEqual(Object.keys(broker.urls).sort(), [...transports].sort());
  assert.match(broker.urls.ws ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  assert.match(broker.urls.tls ?? '', /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  const clients: MqttClient[] = [];
  try {
    for (const t of transports) clients.push(await mqtt.connectAsync(broker.urls[t]!, mqttOptions(t, material.ca, `c-${t}`)));
    const received = clients.map((client) => {
      const topics = new Set<string>();
      return new Promise<Set<string>>((resolve) =>
        client.on('message', (topic, payload, packet) => {
          assert.equal(packet.qos, 1);
          assert.equal(payload.toString(), topic.slice('x/'.length));
          topics.add(topic);
          if (topics.size === transports.length) resolve(topics);
        }),
      );
    });
    await Promise.all(clients.map((c) => c.subscribeAsync('x/#', { qos: 1 })));
    await Promise.all(clients.map((c, i) => c.publishAsync(`x/${transports[i]}`, transports[i]!, { qos: 1 })));
    const expected = new Set(transports.map((t) => `x/${t}`));
    for (const topics of await Promise.all(received)) assert.deepEqual(topics, expected, 'every subscriber got the message of every transport');
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
    await broker.close();
  }
  assert.deepEqual(errors, []);
});

test('broker: tls and wss clients without the CA fail verification, with it they connect; other WebSocket paths are 404', async () => {
  const material = await bundledTlsMaterial();
  const broker = await startBroker({ host: '127.0.0.1', listeners: { tls: 0, ws: 0, wss: 0 }, tls: material });
  try {
    for (const t of ['tls', 'wss'] as const) {
      const err = await mqtt.connectAsync(broker.urls[t]!, { clientId: `untrusting-${t}`, reconnectPeriod: 0 }, false).then(
        (c) => (c.end(true), null),
        (e: unknown) => e as { code?: string },
      );
      assert.ok(err !== null && UNTRUSTED.has(err.code ?? ''), `${t} without the CA: ${JSON.stringify(err)}`);
      const trusted = await mqtt.connectAsync(broker.urls[t]!, mqttOptions(t, material.ca, `trusting-${t}`));
      assert.equal(trusted.connected, true);
      await trusted.endAsync();
    }
    const wrongPath = new WebSocket(broker.urls.ws!.replace('/mqtt', '/other'));
    const [refusal] = (await once(wrongPath, 'error')) as [Error];
    assert.match(refusal.message, /Unexpected server response: 404/);
  } finally {
    await broker.close();
  }
});

/**
 * The TCP ports this process listens on, from the kernel: the socket inodes among this process's
 * open descriptors that /proc/net/tcp and tcp6 list in state LISTEN. A server's descriptor is
 * closed as soon as it is closed, so this shows what is left open without reusing a port.
 */
function listeningPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch (err) {
      // The descriptor readdirSync itself used is closed by now: not a socket.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex address:port), st is f[3] (0A = LISTEN), inode is f[9].
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

test('a busy port: ListenError naming the listener, and nothing left open (broker and echo server)', async () => {
  const held = await holdPort();
  try {
    const before = listeningPorts();
    assert.ok(before.includes(held.port), `listeningPorts() sees the held port ${held.port}: ${before.join(', ')}`);
    // Listeners open one after another: tcp (port 0, a free one) opens, then ws fails on the held port.
    await assert.rejects(startBroker({ host: '127.0.0.1', listeners: { tcp: 0, ws: held.port } }), (err: unknown) => {
      assert.ok(err instanceof ListenError, String(err));
      assert.equal(err.listener, 'ws');
      assert.equal(err.code, 'EADDRINUSE');
      return true;
    });
    // The listener opened before the failure was closed: this process listens where it did before.
    assert.deepEqual(listeningPorts(), before, 'the broker left a listener open');
    await assert.rejects(startEchoServer({ host: '127.0.0.1', listeners: { ws: 0, wss: held.port }, tls: await bundledTlsMaterial() }), { name: 'ListenError', listener: 'wss', code: 'EADDRINUSE' });
    assert.deepEqual(listeningPorts(), before, 'the echo server left a listener open');
    // aedes' timers are closed too, or this test file would never exit.
  } finally {
    await held.close();
  }
});

test('echo server: /echo keeps binary and text on ws and wss; /broadcast reaches the other members of the room only', async () => {
  const material = await bundledTlsMaterial();
  const server = await startEchoServer({ host: '127.0.0.1', listeners: { ws: 0, wss: 0 }, tls: material });
  const errors: string[] = [];
  server.onError((kind, err) => errors.push(`${kind}: ${err.message}`));
  try {
    for (const base of [server.urls.ws!, server.urls.wss!]) {
      const echo = await openWs(`${base}/echo`, material.ca);
      const payload = randomBytes(70_000);
      echo.ws.send(payload, { binary: true });
      echo.ws.send('héllo', { binary: false });
      assert.deepEqual(await echo.next(), { data: payload, isBinary: true }, `binary echo on ${base}`);
      const text = await echo.next();
      assert.equal(text.isBinary, false);
      assert.equal(text.data.toString('utf8'), 'héllo');
      await closeWs(echo);
    }

    const [a1, a2, a3, b1, b2] = await Promise.all(
      ['a', 'a', 'a', 'b', 'b'].map((room) => openWs(`${server.urls.ws}/broadcast?room=${room}`)),
    );
    const lobby = await openWs(`${server.urls.wss}/broadcast`, material.ca);
    a1!.ws.send(Buffer.from('from a1'));
    assert.equal((await a2!.next()).data.toString(), 'from a1');
    assert.equal((await a3!.next()).data.toString(), 'from a1');
    // Order proves absence: anything wrongly sent to a1 or to room b for 'from a1' was queued
    // before these markers, which are sent only after the room got 'from a1'.
    a2!.ws.send(Buffer.from('from a2'));
    b2!.ws.send(Buffer.from('from b2'));
    lobby.ws.send(Buffer.from('from lobby'));
    assert.equal((await a1!.next()).data.toString(), 'from a2', 'the sender does not get its own message');
    assert.equal((await a3!.next()).data.toString(), 'from a2');
    assert.equal((await b1!.next()).data.toString(), 'from b2', 'another room does not get it');
    await closeWs(a1!, a2!, a3!, b1!, b2!, lobby);

    const res = await fetch(`${server.urls.ws!.replace('ws:', 'http:')}/nowhere`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
  assert.deepEqual(errors, []);
});

test('echo server: a broadcast receiver that stops reading is terminated and counted, not buffered without bound', async () => {
  const server = await startEchoServer({ host: '127.0.0.1', listeners: { ws: 0 }, maxBufferedBytes: 1024 * 1024 });
  const slow: Error[] = [];
  server.onError((kind, err) => {
    if (kind === 'slow-consumer') slow.push(err);
  });
  try {
    const [sender, receiver] = await Promise.all([openWs(`${server.urls.ws}/broadcast?room=slow`), openWs(`${server.urls.ws}/broadcast?room=slow`)]);
    receiver!.ws.pause();
    const chunk = randomBytes(256 * 1024);
    // Loopback socket buffers hold a few MiB; 256 MiB is far more than they and the limit take.
    for (let i = 0; i < 1024 && slow.length === 0; i++) {
      await new Promise<void>((resolve, reject) => sender!.ws.send(chunk, (err) => (err ? reject(err) : resolve())));
    }
    assert.equal(slow.length, 1, 'the paused receiver was terminated once');
    assert.match(slow[0]!.message, /receiver terminated: \d+ bytes queued, limit 1048576/);
    receiver!.ws.terminate();
    await closeWs(sender!);
  } finally {
    await server.close();
  }
});

test('bundled broker and echo server run in their own processes and are gone after stop()', async () => {
  const broker = await startBundledBroker({ transports: ['tcp', 'ws'] });
  const echo = await startBundledEcho({ transports: ['ws', 'wss'] });
  try {
    assert.notEqual(broker.pid, process.pid);
    assert.deepEqual(Object.keys(broker.urls).sort(), ['tcp', 'ws']);
    assert.equal(broker.url, broker.urls.tcp, 'url stays the TCP URL');
    assert.equal(broker.port, broker.ports.tcp);
    assert.equal(broker.caPem, null, 'no TLS listener, no CA');
    const client = await mqtt.connectAsync(broker.urls.ws!, { clientId: 'bundled-ws', reconnectPeriod: 0 });
    await client.endAsync();

    assert.ok(echo.caPem !== null && echo.caPem.includes('BEGIN CERTIFICATE'));
    const inbox = await openWs(`${echo.urls.wss}/echo`, echo.caPem);
    inbox.ws.send(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual((await inbox.next()).data, Buffer.from([0, 1, 2, 255]));
    await closeWs(inbox);
  } finally {
    const [brokerErrors, echoErrors] = await Promise.all([broker.stop(), echo.stop()]);
    assert.deepEqual(brokerErrors, {});
    assert.deepEqual(echoErrors, {});
  }
  for (const pid of [broker.pid, echo.pid]) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} is gone`);
});

test('mqbench broker --tcp 0 --ws 0 prints both URLs and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'broker', '--tcp', '0', '--ws', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (/ws:\/\/127\.0\.0\.1:\d+\/mqtt\n/.test(stdout)) resolve();
      });
      child.on('close', () => reject(new Error(`broker exited before listening: ${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stdout, /listening on mqtt:\/\/127\.0\.0\.1:\d+\n/);
  assert.match(stdout, /listening on ws:\/\/127\.0\.0\.1:\d+\/mqtt\n/);
  assert.doesNotMatch(stdout, /mqtts|wss|clients must trust/, 'no TLS listener was asked for');
});

test('mqbench echo and broker: bad ports and stray TLS flags are usage errors naming the flag, exit 2', { timeout: 30_000 }, async () => {
  const badPort = await runCli(['echo', '--ws', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--ws '70000' must be a whole number from 0 to 65535/);
  const stray = await runCli(['broker', '--ws', '0', '--cert', 'x.pem', '--key', 'y.pem']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--cert, --key apply only to TLS listeners; add --tls/);
  const held = await holdPort();
  try {
    const busy = await runCli(['echo', '--ws', String(held.port)]);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /EADDRINUSE/);
    assert.match(busy.stderr, /Pick another --ws \(0 for a free one\)/);
  } finally {
    await held.close();
  }
  const missing = await runCli(['broker', '--tls', '0', '--cert', join(certDir, 'absent.pem'), '--key', join(certDir, 'absent-key.pem')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--cert .*absent\.pem: cannot read the file \(ENOENT\)/);
});
