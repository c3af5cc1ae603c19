/**
 * One MQTT client across its connections (src/worker/mqtt-session.ts), with real MQTT.js
 * clients (connectMqtt) against an in-process aedes broker on 127.0.0.1, port 0, whose
 * listener can be closed and reopened on the same port and whose sockets can be cut from the
 * broker's side. Every real event must be reported once and in order. Nothing asserts a
 * duration: backoff is checked by how few attempts fit in a window, and every wait has a
 * generous deadline.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import type { ClientOptions } from '../src/drivers/client-options.js';
import type { ErrorKind } from '../src/drivers/errors.js';
import { connectMqtt, subscribeMqtt, type ConnectedClient, type SessionOptions } from '../src/drivers/mqtt-driver.js';
import type { TargetEndpoint } from '../src/drivers/transports.js';
import { nowMicros } from '../src/metrics/clock.js';
import { MQTTJS_OPS } from '../src/worker/mqtt-drivers.js';
import { MqttSession, type SessionEvents } from '../src/worker/mqtt-session.js';

const HOST = '127.0.0.1';
const OPTIONS: ClientOptions = { connectTimeoutMs: 2000, keepaliveSeconds: 30, noDelay: true };
const WILL_TOPIC = 'mqbench-test/will';
const WITH_WILL: SessionOptions = {
  protocolVersion: 4,
  clean: true,
  sessionExpirySeconds: null,
  keepaliveSeconds: 30,
  will: { topic: WILL_TOPIC, payload: Buffer.from('gone'), qos: 0, retain: false },
  topicAlias: false,
};

/** aedes on a TCP listener that can be closed and reopened on its port; broker-side sockets by client id. */
class TestBroker {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly byClient = new Map<string, Socket>();
  port = 0;

  private constructor(readonly aedes: Aedes) {
    aedes.on('clientReady', (client) => this.byClient.set(client.id, client.conn as Socket));
  }

  static async start(): Promise<TestBroker> {
    const broker = new TestBroker(await Aedes.createBroker({ concurrency: 0 }));
    await broker.listen(0);
    return broker;
  }

  private async listen(port: number): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    this.port = address.port;
    this.server = server;
  }

  get target(): TargetEndpoint {
    return { transport: 'tcp', host: HOST, port: this.port, path: '', ca: null, verify: true, servername: HOST, subprotocol: null };
  }

  /** Cuts a client's connection from the broker's side: a FIN ('end') or a RST ('reset'). */
  async kick(clientId: string, how: 'end' | 'reset'): Promise<void> {
    // aedes reports the client ready just after its CONNACK, so maybe after the client saw it.
    const deadline = Date.now() + 2000;
    let socket = this.byClient.get(clientId);
    while ((socket === undefined || socket.destroyed) && Date.now() < deadline) {
      await sleep(5);
      socket = this.byClient.get(clientId);
    }
    assert.ok(socket !== undefined && !socket.destroyed, `${clientId} is connected`);
    if (how === 'end') socket.destroy();
    else socket.resetAndDestroy();
  }

  /** Closes the listener (connects are refused) and cuts every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  restart(): Promise<void> {
    return this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}

type Event =
  | { type: 'reconnected'; connectMicros: number; downSinceUs: number; planned: boolean; atUs: number }
  | { type: 'dropped'; errored: boolean; downSince: number | null }
  | { type: 'attempt' }
  | { type: 'failed'; kind: ErrorKind; message: string }
  | { type: 'error'; kind: ErrorKind }
  | { type: 'gaveUp'; downSinceUs: number };

/** Every session event in order, with waits on what has arrived. */
class Log implements SessionEvents {
  readonly events: Event[] = [];
  /** When each event came (nowMicros), index for index with `events`. */
  readonly atUs: number[] = [];
  session: MqttSession<MqttClient> | null = null;
  /** Called inside `attempt`, before the attempt connects. */
  onAttempt: () => void = () => {};
  private readonly waiters = new Set<() => void>();

  reconnected(connectMicros: number, downSinceUs: number, planned: boolean): void {
    this.push({ type: 'reconnected', connectMicros, downSinceUs, planned, atUs: nowMicros() });
  }
  dropped(errored: boolean): void {
    this.push({ type: 'dropped', errored, downSince: this.session?.downSince ?? null });
  }
  attempt(): void {
    this.push({ type: 'attempt' });
    this.onAttempt();
  }
  failed(kind: ErrorKind, message: string): void {
    this.push({ type: 'failed', kind, message });
  }
  error(kind: ErrorKind): void {
    this.push({ type: 'error', kind });
  }
  gaveUp(downSinceUs: number): void {
    this.push({ type: 'gaveUp', downSinceUs });
  }

  get types(): string[] {
    return this.events.map((e) => e.type);
  }

  count(type: Event['type']): number {
    return this.types.filter((t) => t === type).length;
  }

  private push(e: Event): void {
    this.events.push(e);
    this.atUs.push(nowMicros());
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `done(events)` holds; fails after `timeoutMs` with what arrived. */
  until(done: (events: readonly Event[]) => boolean, what: string, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done(this.events)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.types)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  untilType(type: Event['type'], n = 1, timeoutMs = 3000): Promise<void> {
    return this.until((events) => events.filter((e) => e.type === type).length >= n, `${n} '${type}'`, timeoutMs);
  }
}

interface Opened {
  session: MqttSession<MqttClient>;
  log: Log;
  first: ConnectedClient;
  downs: number;
  ups: boolean[];
}

let nextId = 0;

/** A session for a fresh client id, counting onDown and onUp calls. */
async function openSession(broker: TestBroker, session?: SessionOptions): Promise<Opened & { clientId: string }> {
  const clientId = `mqbench-session-${process.pid}-${nextId++}`;
  const connect = (): Promise<ConnectedClient> => connectMqtt(broker.target, clientId, OPTIONS, nowMicros, undefined, undefined, session);
  const first = await connect();
  const log = new Log();
  const s = new MqttSession(first, connect, log, MQTTJS_OPS);
  log.session = s;
  const opened = { session: s, log, first, downs: 0, ups: [] as boolean[], clientId };
  s.onDown = () => {
    opened.downs++;
  };
  s.onUp = (c, planned) => {
    assert.equal(c.client, s.client, 'onUp gets the new current client');
    opened.ups.push(planned);
    return Promise.resolve();
  };
  return opened;
}

/** Runs `body` with a broker and a session, then ends both whatever happened. */
async function withSession(body: (broker: TestBroker, o: Opened & { clientId: string }) => Promise<void>, session?: SessionOptions): Promise<void> {
  const broker = await TestBroker.start();
  let opened: (Opened & { clientId: string }) | null = null;
  try {
    opened = await openSession(broker, session);
    await body(broker, opened);
  } finally {
    await opened?.session.end();
    await broker.close();
  }
}

/** A plain client subscribed to the will topic; `wills` counts what it got. */
async function willWatcher(broker: TestBroker): Promise<{ wills: () => number; end: () => void }> {
  const { client } = await connectMqtt(broker.target, `mqbench-watcher-${process.pid}-${nextId++}`, OPTIONS, nowMicros);
  let wills = 0;
  client.on('message', (topic) => {
    if (topic === WILL_TOPIC) wills++;
  });
  await subscribeMqtt(client, WILL_TOPIC, 0, nowMicros, 2000);
  return { wills: () => wills, end: () => client.end(true) };
}

/** Resolves when aedes has let go of every connection of `clientId`. */
function untilGone(broker: TestBroker, clientId: string): Promise<void> {
  return new Promise((resolve) => {
    const onDisconnect = (client: { id: string }): void => {
      if (client.id !== clientId) return;
      broker.aedes.off('clientDisconnect', onDisconnect);
      resolve();
    };
    broker.aedes.on('clientDisconnect', onDisconnect);
  });
}

describe('MqttSession: a drop and the reconnect', () => {
  const cases: Array<{ how: 'end' | 'reset'; types: string[]; errored: boolean; errorKind?: ErrorKind }> = [
    { how: 'end', types: ['dropped', 'attempt', 'reconnected'], errored: false },
    { how: 'reset', types: ['error', 'dropped', 'attempt', 'reconnected'], errored: true, errorKind: 'reset' },
  ];
  for (const c of cases) {
    test(`the broker cuts the connection (${c.how === 'end' ? 'FIN' : 'RST'}): ${c.types.join(', ')}, once each`, () =>
      withSession(async (broker, o) => {
        const { session, log } = o;
        assert.equal(session.up, true);
        assert.equal(session.downSince, null);
        const beforeUs = nowMicros();
        await broker.kick(o.clientId, c.how);
        await log.untilType('reconnected');
        // Anything reported twice would arrive within this.
        await sleep(300);
        assert.deepEqual(log.types, c.types);
        const dropped = log.events.find((e) => e.type === 'dropped');
        assert.ok(dropped?.type === 'dropped');
        assert.equal(dropped.errored, c.errored);
        assert.ok(dropped.downSince !== null && dropped.downSince >= beforeUs, 'down since the drop, while reconnecting');
        if (c.errorKind !== undefined) assert.deepEqual(log.events[0], { type: 'error', kind: c.errorKind });
        const back = log.events.at(-1);
        assert.ok(back?.type === 'reconnected');
        assert.equal(back.planned, false);
        assert.equal(back.downSinceUs, dropped.downSince, 'reported with the time the connection was lost');
        assert.ok(back.downSinceUs <= back.atUs);
        assert.ok(back.connectMicros > 0);
        assert.equal(o.downs, 1, 'onDown once');
        assert.deepEqual(o.ups, [false], 'onUp once, not planned');
        assert.equal(session.up, true);
        assert.equal(session.downSince, null);
        assert.notEqual(session.client, o.first.client, 'a fresh MqttClient');
        assert.equal(session.client.connected, true);
      }),
    );
  }

  test('two drops: each reported on its own', () =>
    withSession(async (broker, o) => {
      await broker.kick(o.clientId, 'end');
      await o.log.untilType('reconnected');
      await broker.kick(o.clientId, 'end');
      await o.log.untilType('reconnected', 2);
      await sleep(300);
      assert.deepEqual(o.log.types, ['dropped', 'attempt', 'reconnected', 'dropped', 'attempt', 'reconnected']);
      assert.equal(o.downs, 2);
      assert.deepEqual(o.ups, [false, false]);
    }));
});

describe('MqttSession: the broker is gone', () => {
  test('attempts are refused and back off: 100 ms after the drop, then each wait twice the last', () =>
    withSession(async (broker, o) => {
      await broker.stop();
      await o.log.untilType('dropped');
      await o.log.untilType('failed', 4, 10_000);
      // dropped, then attempt and its failure, in turn.
      const types = o.log.types;
      assert.equal(types[0], 'dropped');
      types.slice(1).forEach((t, i) => assert.equal(t, i % 2 === 0 ? 'attempt' : 'failed', `event ${i + 1} of ${JSON.stringify(types)}`));
      const failed = o.log.events.filter((e) => e.type === 'failed');
      for (const f of failed) assert.equal(f.kind, 'refused', JSON.stringify(f));
      // A timer never fires before its time (Node may round a millisecond down), so each wait is at
      // least the backoff's: 100 ms after the drop, then 200, 400, 800 ms after each failure (capped
      // at 2 s). Without backoff every wait would be 100 ms. A busy machine only makes them longer.
      const times = (type: Event['type']): number[] => o.log.atUs.filter((_, i) => o.log.events[i]!.type === type);
      const [dropped, attempts, failures] = [times('dropped'), times('attempt'), times('failed')];
      const waitsMs = [attempts[0]! - dropped[0]!, ...[0, 1, 2].map((n) => attempts[n + 1]! - failures[n]!)].map((us) => us / 1000);
      [100, 200, 400, 800].forEach((want, i) => assert.ok(waitsMs[i]! >= want - 1, `wait ${i + 1}: ${waitsMs[i]!.toFixed(1)} ms, backoff ${want} ms (waits ${waitsMs.map((w) => w.toFixed(0)).join(', ')} ms)`));
      assert.equal(o.log.count('reconnected'), 0);
      assert.equal(o.session.up, false);
      assert.ok(o.session.downSince !== null);
    }));

  test('back on the same port: the next attempt reconnects, once', () =>
    withSession(async (broker, o) => {
      await broker.stop();
      await o.log.untilType('failed');
      await broker.restart();
      await o.log.untilType('reconnected');
      await sleep(300);
      const types = o.log.types;
      assert.equal(types[0], 'dropped');
      assert.equal(types.at(-1), 'reconnected');
      assert.equal(o.log.count('reconnected'), 1);
      assert.equal(o.log.count('dropped'), 1);
      assert.equal(o.log.count('failed'), o.log.count('attempt') - 1, 'every attempt but the last failed');
      assert.deepEqual(o.ups, [false]);
      assert.equal(o.session.up, true);
    }));

  test('end() while down stops retrying', () =>
    withSession(async (broker, o) => {
      await broker.stop();
      await o.log.untilType('failed');
      await o.session.end();
      const seen = o.log.events.length;
      // The next attempt was due 200 ms after the failure, the one after 400 ms later.
      await sleep(700);
      assert.equal(o.log.events.length, seen, `events after end(): ${JSON.stringify(o.log.types.slice(seen))}`);
      assert.equal(o.session.up, false);
      assert.equal(o.session.downSince, null, 'ended, not reconnecting');
    }));

  test('end() during an attempt: the connection it opens is closed, no reconnect reported', () =>
    withSession(async (broker, o) => {
      o.log.onAttempt = () => void o.session.end();
      const gone = untilGone(broker, o.clientId);
      await broker.kick(o.clientId, 'end');
      await o.log.untilType('attempt');
      await sleep(500);
      assert.deepEqual(o.log.types, ['dropped', 'attempt']);
      assert.deepEqual(o.ups, []);
      assert.equal(o.session.up, false);
      await gone;
      // The attempt's CONNECT reached the broker; the session ends that connection at once.
      const deadline = Date.now() + 3000;
      while (broker.aedes.connectedClients > 0 && Date.now() < deadline) await sleep(20);
      assert.equal(broker.aedes.connectedClients, 0, 'no connection left behind');
    }));
});

describe('MqttSession: planned absences', () => {
  test('goOffline() then comeBack(): reconnected as planned, no attempt, no drop, no will', () =>
    withSession(async (broker, o) => {
      const watcher = await willWatcher(broker);
      try {
        const gone = untilGone(broker, o.clientId);
        o.session.goOffline();
        assert.equal(o.session.up, false);
        assert.equal(o.downs, 1, 'onDown at once');
        await gone;
        await sleep(200);
        assert.deepEqual(o.log.types, [], 'a planned absence is no drop');
        assert.equal(watcher.wills(), 0, 'DISCONNECT: no will');
        const beforeUs = nowMicros();
        o.session.comeBack();
        await o.log.untilType('reconnected');
        await sleep(300);
        assert.deepEqual(o.log.types, ['reconnected']);
        const back = o.log.events[0];
        assert.ok(back?.type === 'reconnected');
        assert.equal(back.planned, true);
        assert.ok(back.downSinceUs >= beforeUs, 'down since the comeback began');
        assert.deepEqual(o.ups, [true]);
        assert.equal(o.downs, 1);
        assert.equal(o.session.up, true);
        assert.equal(o.session.client.connected, true);
        assert.equal(watcher.wills(), 0);
      } finally {
        watcher.end();
      }
    }, WITH_WILL));

  test('comeBack() while the broker is gone is retried with backoff, still as the comeback', () =>
    withSession(async (broker, o) => {
      o.session.goOffline();
      await broker.stop();
      o.session.comeBack();
      await o.log.untilType('failed', 2);
      const first = o.log.events[0];
      assert.ok(first?.type === 'failed', JSON.stringify(o.log.types));
      assert.equal(first.kind, 'refused');
      await broker.restart();
      await o.log.untilType('reconnected');
      await sleep(300);
      assert.equal(o.log.count('attempt'), 0, 'the retries of a comeback are not reconnect attempts after a drop');
      assert.equal(o.log.count('reconnected'), 1);
      const back = o.log.events.find((e) => e.type === 'reconnected');
      assert.ok(back?.type === 'reconnected' && back.planned, JSON.stringify(o.log.events));
      assert.equal(o.log.count('dropped'), 0);
      assert.equal(o.session.up, true);
      assert.equal(o.ups.length, 1);
    }));

  // The phase runner counts a client down on `dropped` and up again on an unplanned `reconnected`
  // or a `gaveUp` (src/worker/phase-runner.ts): a comeback that fails once and is retried must
  // stay planned, or `down` would go below zero and the absence would count as a reconnect.
  test('a comeback that needed retries is still no reconnect after a drop', () =>
    withSession(async (broker, o) => {
      o.session.goOffline();
      await broker.stop();
      o.session.comeBack();
      await o.log.untilType('failed');
      await broker.restart();
      await o.log.untilType('reconnected');
      const unplanned = o.log.events.filter((e) => e.type === 'reconnected' && !e.planned).length;
      assert.equal(unplanned, o.log.count('dropped'), `events: ${JSON.stringify(o.log.events.map((e) => (e.type === 'reconnected' ? `reconnected(planned=${e.planned})` : e.type)))}`);
    }));

  // The other way round: a drop, then the scheduled offline time comes while the session is still
  // reconnecting. The drop's outage ends there (gaveUp, with the drop's time), once, and the
  // comeback is planned.
  test('a drop followed by a planned absence: the drop still ends once', () =>
    withSession(async (broker, o) => {
      await broker.stop();
      await o.log.untilType('dropped');
      const droppedAt = o.session.downSince;
      assert.equal(o.session.goOffline(), false, 'it had no connection to close');
      await broker.restart();
      o.session.comeBack();
      await o.log.untilType('reconnected');
      const unplanned = o.log.events.filter((e) => e.type === 'reconnected' && !e.planned).length;
      const events = JSON.stringify(o.log.events.map((e) => (e.type === 'reconnected' ? `reconnected(planned=${e.planned})` : e.type)));
      assert.equal(unplanned + o.log.count('gaveUp'), o.log.count('dropped'), `events: ${events}`);
      const gave = o.log.events.find((e) => e.type === 'gaveUp');
      assert.ok(gave !== undefined && gave.type === 'gaveUp' && gave.downSinceUs === droppedAt, `the outage ends with the drop's time: ${events}`);
    }));

  test('drop(): gone for good, without DISCONNECT (the will is published), nothing reported', () =>
    withSession(async (broker, o) => {
      const watcher = await willWatcher(broker);
      try {
        o.session.drop();
        assert.equal(o.session.up, false);
        const deadline = Date.now() + 3000;
        while (watcher.wills() === 0 && Date.now() < deadline) await sleep(20);
        assert.equal(watcher.wills(), 1, 'the broker published the will');
        await sleep(500);
        assert.deepEqual(o.log.types, [], 'no drop reported, no attempt');
        assert.equal(o.session.up, false);
        assert.equal(o.session.downSince, null);
        assert.equal(broker.aedes.connectedClients, 1, 'only the watcher');
      } finally {
        watcher.end();
      }
    }, WITH_WILL));
});
