/**
 * Opening one planned client of a phase, whatever its group asks: a raw idle MQTT connection
 * (connect-only, 3.1.1, clean, no will), an MQTT client on the run's driver, lean or MQTT.js
 * (subscribing, publishing, sessions, wills, MQTT 5), or a plain WebSocket (echo round trip, or a
 * broadcast room). What happens to
 * the client later (offline, drop) is decided here too, as callbacks the runner schedules.
 */
import type { ClientOptions } from '../drivers/client-options.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { classifyError, ConnectError } from '../drivers/errors.js';
import { IdleClient } from '../drivers/mqtt-idle.js';
import type { SessionOptions } from '../drivers/mqtt-driver.js';
import type { ConnectStage } from '../drivers/transports.js';
import { connectWs, endWs, wsSink } from '../drivers/ws-driver.js';
import { nowMicros } from '../metrics/clock.js';
import { encodeWill, makeFiller } from '../metrics/payload.js';
import type { Recorder } from '../metrics/recorder.js';
import type { WireMeter } from '../metrics/wire.js';
import type { ClientPlan } from '../plan/workers.js';
import { publishes, receives, type GroupSpec } from '../config/model.js';
import type { GroupStats } from './group-stats.js';
import { leanDriver, mqttjsDriver, type DriverContext, type MqttDriver } from './mqtt-drivers.js';
import { CLOSE_TIMEOUT_MS, MqttSession, type SessionEvents } from './mqtt-session.js';
import { Publisher, type PublisherSettings } from './publisher.js';
import { Subscriber } from './subscriber.js';


/** What the runner keeps of an open client. */
export interface OpenClient {
  publisher: Publisher | null;
  subscriber: Subscriber | null;
  /** Close gracefully (end of phase). */
  end(): Promise<void>;
  /** Go away without DISCONNECT (the broker publishes the will); returns whether it had a connection to lose. */
  drop(): boolean;
  /** Disconnect now and come back with the same id when `back` is called (MQTT only); `wasConnected`: it had a connection to close. */
  offline: (() => { back: () => void; wasConnected: boolean }) | null;
  /** Clear the retained value this client published (end of phase); resolves once it is written. */
  clearRetained: (() => Promise<void>) | null;
  /** Idle raw connections: send PINGREQ; returns the unanswered pings. */
  ping: (() => number) | null;
  /** MQTT clients the tool reconnects after a drop: since when the one reconnecting has had no connection. */
  session?: { readonly downSince: number | null };
}

/** What the runner lends to the opener. */
export interface OpenContext {
  recorder: Recorder;
  stats: GroupStats;
  delivered: Uint32Array;
  sentCounts: Uint32Array;
  drops: BigInt64Array;
  /** --shard without --clock-sync: 1 for the publisher ids of other shards, whose send times are another machine's clock; null: every delivery is timed. */
  untimed: Uint8Array | null;
  options: ClientOptions;
  tag: string;
  localAddress: string | undefined;
  onStage: (stage: ConnectStage, micros: number) => void;
  /** Counts the bytes of every socket the client opens (reconnects too). */
  meter: WireMeter;
  /** An established connection (first CONNACK or WebSocket open). */
  connected(connectMicros: number): void;
  /** An established idle or WebSocket connection closed by the target: counted, not reconnected (the drop is the finding); `errored`: its error was already counted. */
  dropped(errored: boolean): void;
  /** What an MQTT client reports of its connections after the first: drops, attempts, reconnects, errors. */
  sessionEvents: SessionEvents;
  publisherSettings(g: GroupSpec, c: ClientPlan): PublisherSettings;
}

/** Idle raw connections cost a socket and a small object; anything more needs a full client. */
export function isPlainIdle(g: GroupSpec, c: ClientPlan): boolean {
  return g.protocol === 'mqtt' && g.role === 'connect-only' && g.mqttVersion === 4 && g.clean && c.willId === 0 && g.offline === null;
}

export async function openClient(g: GroupSpec, c: ClientPlan, endpoint: TargetEndpoint, ctx: OpenContext): Promise<OpenClient> {
  if (g.protocol === 'ws') return openWs(g, c, endpoint, ctx);
  if (isPlainIdle(g, c)) return openIdle(g, c, endpoint, ctx);
  return openMqtt(g, c, endpoint, ctx);
}

async function openIdle(g: GroupSpec, c: ClientPlan, endpoint: TargetEndpoint, ctx: OpenContext): Promise<OpenClient> {
  let errored = false;
  const { client, connectMicros } = await IdleClient.connect(
    endpoint,
    c.clientId,
    { ...ctx.options, keepaliveSeconds: g.keepaliveSeconds, localAddress: ctx.localAddress, now: nowMicros, onStage: ctx.onStage, meter: ctx.meter },
    {
      onDrop: () => ctx.dropped(errored),
      // One error per connection: what a dying socket reports after the first is the same event.
      onError: (kind) => {
        if (errored) return;
        errored = true;
        ctx.recorder.error(kind);
      },
    },
  );
  ctx.connected(connectMicros);
  const drop = (): boolean => {
    const was = client.connected;
    client.destroy();
    return was;
  };
  return { publisher: null, subscriber: null, end: () => client.end(), drop, offline: null, clearRetained: null, ping: () => client.ping() };
}

async function openMqtt(g: GroupSpec, c: ClientPlan, endpoint: TargetEndpoint, ctx: OpenContext): Promise<OpenClient> {
  const session: SessionOptions = {
    protocolVersion: g.mqttVersion,
    clean: g.clean,
    sessionExpirySeconds: g.sessionExpirySeconds,
    keepaliveSeconds: g.keepaliveSeconds,
    will: c.willId > 0 && g.will !== null ? { topic: c.willTopic, payload: encodeWill(c.willId), qos: g.will.qos, retain: g.will.retain } : null,
    topicAlias: g.topicAlias,
  };
  const subscriber = receives(g.role) ? new Subscriber(ctx.recorder, ctx.delivered, c.group, ctx.stats, ctx.drops, c.lateFrom, ctx.sentCounts, ctx.untimed) : null;
  const d: DriverContext = {
    endpoint,
    clientId: c.clientId,
    options: ctx.options,
    session,
    localAddress: ctx.localAddress,
    onStage: ctx.onStage,
    meter: ctx.meter,
    // Listening from before the CONNECT: a resumed session's queued messages may come with the CONNACK.
    onMessage: subscriber === null ? null : (payload, retain) => subscriber.onMessage(payload, retain),
    // A comeback starts before its CONNECT: what was sent before it is backlog.
    beforeReconnect: () => subscriber?.comeback(nowMicros()),
  };
  return ctx.options.driver === 'mqttjs' ? openWith(mqttjsDriver(d), g, c, ctx, subscriber) : openWith(leanDriver(d), g, c, ctx, subscriber);
}

/** An MQTT client on either driver: connected, subscribed, reconnected by the session after drops, publishing through the driver's sink. */
async function openWith<C>(driver: MqttDriver<C>, g: GroupSpec, c: ClientPlan, ctx: OpenContext, subscriber: Subscriber | null): Promise<OpenClient> {
  const first = await driver.connect(true);
  ctx.connected(first.connectMicros);
  // Later connections: same id, session and source address; their stages are not first-connect figures.
  const live = new MqttSession(first, () => driver.connect(false), ctx.sessionEvents, driver.ops);
  const subscribe = async (client: C): Promise<void> => {
    for (const f of c.filters) {
      const micros = await driver.subscribe(client, f, g.qos);
      ctx.recorder.subscribe.recordValue(Math.max(1, micros));
    }
  };
  if (subscriber !== null) {
    try {
      await subscribe(first.client);
    } catch (err) {
      await live.end();
      throw err;
    }
    subscriber.subscribed();
  }
  const v5 = g.mqttVersion === 5;
  const properties = v5 && (Object.keys(g.userProperties).length > 0 || g.messageExpirySeconds !== null)
    ? { ...(Object.keys(g.userProperties).length > 0 ? { userProperties: g.userProperties } : {}), ...(g.messageExpirySeconds !== null ? { messageExpiryInterval: g.messageExpirySeconds } : {}) }
    : null;
  const publisher = publishes(g.role) ? new Publisher(c, driver.sink(live, c.topic, g.qos, { retain: g.retain, properties }), ctx.publisherSettings(g, c), ctx.recorder) : null;
  live.onDown = () => publisher?.connectionLost(nowMicros());
  live.onUp = async ({ client, sessionPresent }, planned) => {
    // sessionsResumed counts comebacks from a planned absence (a reconnect after a drop is counted as one).
    if (sessionPresent && planned) ctx.stats.sessionsResumed++;
    // The broker kept the session: its subscriptions too. Otherwise subscribe again (what was sent meanwhile is lost).
    if (!sessionPresent && subscriber !== null) {
      try {
        await subscribe(client);
      } catch (err) {
        ctx.recorder.error(err instanceof ConnectError ? err.kind : classifyError(err));
      }
    }
    if (publisher !== null) {
      publisher.resumed(nowMicros());
      publisher.pump(nowMicros());
    }
  };
  return {
    publisher,
    subscriber,
    session: live,
    end: () => live.end(),
    drop: () => live.drop(),
    offline: () => {
      const wasConnected = live.goOffline();
      return { back: () => live.comeBack(), wasConnected };
    },
    // QoS 1: the broker has stored the clearing before the client disconnects.
    clearRetained: g.retain && publisher !== null ? () => (live.up ? driver.publishOnce(live.client, c.topic, Buffer.alloc(0), true) : Promise.resolve()) : null,
    ping: null,
  };
}

async function openWs(g: GroupSpec, c: ClientPlan, endpoint: TargetEndpoint, ctx: OpenContext): Promise<OpenClient> {
  const query = g.role === 'echo' ? '' : `${endpoint.path.includes('?') ? '&' : '?'}room=${encodeURIComponent(ctx.tag)}`;
  const { ws, connectMicros } = await connectWs(endpoint, query, { ...ctx.options, localAddress: ctx.localAddress, now: nowMicros, onStage: ctx.onStage, meter: ctx.meter });
  ctx.connected(connectMicros);
  let away = false;
  let errored = false;
  // One error per connection, and the drop it ends in is not another.
  ws.on('error', (err) => {
    if (errored || away) return;
    errored = true;
    ctx.recorder.error(classifyError(err));
  });
  ws.on('close', () => {
    if (!away) ctx.dropped(errored);
  });
  const settings = ctx.publisherSettings(g, c);
  const publisher = publishes(g.role) ? new Publisher(c, wsSink(ws), settings, ctx.recorder) : null;
  let subscriber: Subscriber | null = null;
  if (receives(g.role)) {
    const sub = new Subscriber(ctx.recorder, ctx.delivered, c.group, ctx.stats, ctx.drops, c.lateFrom, ctx.sentCounts, ctx.untimed);
    // Echo, closed model: the returning message frees a window slot; send the next one now
    // rather than on the next scheduler pass, as a ping-pong client would.
    const refill = g.role === 'echo' && publisher !== null && settings.inflight !== null ? publisher : null;
    ws.on('message', (data: Buffer) => {
      sub.onMessage(data);
      refill?.pump(nowMicros());
    });
    sub.subscribed();
    subscriber = sub;
  }
  return {
    publisher,
    subscriber,
    end: () => endWs(ws, CLOSE_TIMEOUT_MS),
    drop: () => {
      const was = !away && ws.readyState === ws.OPEN;
      away = true;
      ws.terminate();
      return was;
    },
    offline: null,
    clearRetained: null,
    ping: null,
  };
}

/** Fixed bytes after the header, or a template rendered per message. */
export function fillerFor(g: GroupSpec, c: ClientPlan): PublisherSettings['filler'] {
  const template = g.payload.template;
  if (template === null) return makeFiller(g.payload.bytes);
  const fixed = template.replaceAll('{client}', c.clientId).replaceAll('{group}', g.name).replaceAll('{n}', String(c.n));
  return (seq: number) => Buffer.from(fixed.replaceAll('{seq}', String(seq)).replaceAll('{time}', String(Date.now())));
}
