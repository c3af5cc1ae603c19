/**
 * The lean engine's per-connection state (src/drivers/lean/): the packet-id table against a
 * Map as the model (fast-check), and the per-turn output buffer on a real socket pair whose
 * reader is held back, so the socket must queue writes: what arrives is exactly what was
 * written, in order, however the pooled buffers were reused.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { IdTable, OutgoingIds } from '../src/drivers/lean/id-table.js';
import { PublishTemplate } from '../src/drivers/lean/publish-template.js';
import type { TargetEndpoint } from '../src/drivers/transports.js';
import { WireMeter } from '../src/metrics/wire.js';
import { leanDriver } from '../src/worker/mqtt-drivers.js';
import { OutBuffer } from '../src/drivers/lean/out-buffer.js';

test('IdTable: add, find, update and remove agree with a Map, ids spread over all 65,535', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 1, max: 0xffff }), state: fc.integer({ min: 1, max: 4 }), token: fc.integer({ min: 0, max: 2 ** 40 }) }),
    fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 0xffff }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const t = new IdTable();
      const model = new Map<number, { state: number; token: number }>();
      for (const o of ops) {
        if (o.kind === 'add') {
          t.add(o.id, o.state, o.token);
          model.set(o.id, { state: o.state, token: o.token });
        } else {
          const slot = t.find(o.id);
          assert.equal(slot >= 0, model.has(o.id));
          if (slot >= 0) t.remove(slot);
          model.delete(o.id);
        }
        assert.equal(t.size, model.size);
      }
      for (const [id, v] of model) {
        const slot = t.find(id);
        assert.ok(slot >= 0, `id ${id} is in the table`);
        assert.equal(t.state(slot), v.state);
        assert.equal(t.token(slot), v.token);
      }
    }),
    { numRuns: 200 },
  );
});

test('IdTable: a whole id space in flight, then freed', () => {
  const t = new IdTable();
  for (let id = 1; id <= 0xffff; id++) t.add(id, 1, id * 2);
  assert.equal(t.size, 0xffff);
  for (let id = 1; id <= 0xffff; id += 997) assert.equal(t.token(t.find(id)), id * 2);
  for (let id = 1; id <= 0xffff; id++) t.remove(t.find(id));
  assert.equal(t.size, 0);
  assert.equal(t.find(1), -1);
});

test('OutBuffer: one write per turn, and every byte arrives in order while the reader is held back', { timeout: 20_000 }, async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once(server, 'connection');
  const client = net.connect({ host: '127.0.0.1', port });
  await once(client, 'connect');
  const [peer] = (await accepted) as [net.Socket];
  try {
    await turns(client, peer);
  } finally {
    client.destroy();
    peer.destroy();
    server.close();
  }
});

/** Records of 256 bytes: turn number, record number, filler. */
const RECORD = 256;

async function turns(client: net.Socket, peer: net.Socket): Promise<void> {
  peer.pause();
  let writes = 0;
  const write = client.write.bind(client);
  client.write = ((chunk: Buffer) => {
    writes++;
    return write(chunk);
  }) as typeof client.write;
  const out = new OutBuffer(client, () => true);
  // 200 turns of 1..300 records: turns smaller and bigger than a pooled buffer (16 KiB), and
  // far more bytes (about 10 MB) than the socket buffers hold while the reader waits.
  const expected: Buffer[] = [];
  const turns = 200;
  for (let turn = 0; turn < turns; turn++) {
    const records = 1 + ((turn * 37) % 300) + (turn % 50 === 0 ? 1000 : 0);
    for (let r = 0; r < records; r++) {
      const b = Buffer.alloc(RECORD, (turn + r) & 0xff);
      b.writeUInt32BE(turn, 0);
      b.writeUInt32BE(r, 4);
      const at = out.reserve(RECORD);
      b.copy(out.buf!, at);
      out.used = at + RECORD;
      expected.push(b);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(writes, turns, 'one write per turn');
  assert.ok(client.writableLength > 0, 'the socket had to queue writes (the reader was held back)');
  const want = Buffer.concat(expected);
  const got: Buffer[] = [];
  let have = 0;
  peer.on('data', (d: Buffer) => {
    got.push(d);
    have += d.length;
    if (have >= want.length) client.end();
  });
  peer.resume();
  await once(peer, 'end');
  assert.ok(Buffer.concat(got).equals(want), 'the bytes read are the bytes written');
}

test('OutgoingIds: ids count up, skip ids in flight, wrap after 65,535, and continue from another table', () => {
  const a = new OutgoingIds();
  assert.deepEqual([a.take(1, 0), a.take(1, 1), a.take(1, 2)], [1, 2, 3]);
  a.remove(a.find(2));
  const b = new OutgoingIds();
  b.continueFrom(a);
  assert.equal(b.take(2, 7), 4, 'the next connection goes on where the last one stopped');
  const full = new OutgoingIds();
  for (let i = 1; i <= 0xffff; i++) full.take(1, i);
  assert.equal(full.take(1, 0), -1, '65,535 in flight: none free');
  full.remove(full.find(10));
  assert.equal(full.take(1, 0), 10, 'after the wrap, the one id free');
});

test("a client's next connection continues its packet ids: a kept session's QoS 2 ids awaiting PUBREL are not reused", { timeout: 20_000 }, async () => {
  // A broker that keeps the session (CONNACK session present) and answers no PUBLISH: every id stays in flight.
  const seen: number[][] = [];
  const server = net.createServer((sock) => {
    const ids: number[] = [];
    seen.push(ids);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (pk: mqttPacket.Packet) => {
      if (pk.cmd === 'connect') sock.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: true }));
      else if (pk.cmd === 'publish') ids.push(pk.messageId ?? 0);
    });
    sock.on('data', (d: Buffer) => parser.parse(d));
    // The client cuts its first connection: a reset here is the test's own doing.
    sock.on('error', (err: NodeJS.ErrnoException) => assert.equal(err.code, 'ECONNRESET'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const driver = leanTo(port, 'ids-continue', { protocolVersion: 4, clean: false, topicAlias: false });
  const template = new PublishTemplate({ topic: 'ids/continue', qos: 2, retain: false, version: 4 });
  const until = async (n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while ((seen.at(-1)?.length ?? 0) < n) {
      assert.ok(Date.now() < deadline, `the broker got ${seen.at(-1)?.length ?? 0} of ${n} PUBLISHes`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    const first = await driver.connect(true);
    for (let n = 0; n < 3; n++) assert.equal(first.client.publish(template, Buffer.alloc(16), n), null);
    await until(3);
    first.client.destroy();
    const second = await driver.connect(false);
    for (let n = 3; n < 5; n++) assert.equal(second.client.publish(template, Buffer.alloc(16), n), null);
    await until(2);
    second.client.destroy();
    assert.deepEqual(seen, [[1, 2, 3], [4, 5]]);
  } finally {
    server.close();
  }
});

test("MQTT 5 topic alias only where the broker's CONNACK allows one (Topic Alias Maximum)", { timeout: 20_000 }, async () => {
  for (const aliasMaximum of [null, 10]) {
    // A broker that answers CONNACK with or without a Topic Alias Maximum and records each PUBLISH's topic and alias.
    const seen: Array<{ topic: string; alias: number | null }> = [];
    const server = net.createServer((sock) => {
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on('packet', (pk: mqttPacket.Packet) => {
        if (pk.cmd === 'connect') sock.write(mqttPacket.generate({ cmd: 'connack', reasonCode: 0, sessionPresent: false, ...(aliasMaximum === null ? {} : { properties: { topicAliasMaximum: aliasMaximum } }) }, { protocolVersion: 5 }));
        else if (pk.cmd === 'publish') seen.push({ topic: pk.topic, alias: pk.properties?.topicAlias ?? null });
      });
      sock.on('data', (d: Buffer) => parser.parse(d));
      sock.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const driver = leanTo(port, 'alias-max', { protocolVersion: 5, clean: true, topicAlias: true });
    try {
      const first = await driver.connect(true);
      const live = { up: true, client: first.client } as unknown as Parameters<typeof driver.sink>[0];
      const sink = driver.sink(live, 'alias/topic', 0, { retain: false, properties: null });
      const failures: unknown[] = [];
      sink.listen({ done: () => {}, failed: (_seq, err) => failures.push(err) });
      for (let n = 0; n < 3; n++) sink.publish(Buffer.alloc(16), n);
      const deadline = Date.now() + 10_000;
      while (seen.length < 3) {
        assert.ok(Date.now() < deadline, `the broker got ${seen.length} of 3 PUBLISHes`);
        await new Promise((r) => setTimeout(r, 10));
      }
      first.client.destroy();
      assert.deepEqual(failures, []);
      if (aliasMaximum === null) {
        assert.deepEqual(seen, [0, 1, 2].map(() => ({ topic: 'alias/topic', alias: null })), 'no Topic Alias Maximum: no alias, the topic in every PUBLISH');
      } else {
        assert.deepEqual(seen, [{ topic: 'alias/topic', alias: 1 }, { topic: '', alias: 1 }, { topic: '', alias: 1 }], 'the topic once with its alias, then the alias alone');
      }
    } finally {
      server.close();
    }
  }
});

/** mqbench's lean driver for one client of a broker on 127.0.0.1:port, no keepalive. */
function leanTo(port: number, clientId: string, session: { protocolVersion: 4 | 5; clean: boolean; topicAlias: boolean }): ReturnType<typeof leanDriver> {
  return leanDriver({
    endpoint: { transport: 'tcp', host: '127.0.0.1', port, path: '/', ca: null, verify: true, servername: '127.0.0.1', subprotocol: 'mqtt' } satisfies TargetEndpoint,
    clientId,
    options: { connectTimeoutMs: 5000, keepaliveSeconds: 0, noDelay: true },
    session: { ...session, sessionExpirySeconds: null, keepaliveSeconds: 0, will: null },
    localAddress: undefined,
    onStage: () => {},
    meter: new WireMeter(),
    onMessage: null,
    beforeReconnect: () => {},
  });
}
