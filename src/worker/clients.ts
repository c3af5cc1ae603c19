/**
 * Opening one planned client of a phase, whatever its group asks: a raw idle MQTT connection
 * (connect-only, 3.1.1, clean, no will), an MQTT.js client (subscribing, publishing, sessions,
 * wills, MQTT 5), or a plain WebSocket (echo round trip, or a broadcast room). What happens to
 * the client later (offline, drop) is decided here too, as callbacks the runner schedules.
 */
import type { MqttClient } from 'mqtt';
import type WebSocket from 'ws';
import type { ClientOptions, TargetEndpoint } from '../coordinator/protocol.js';
import { classifyError } from '../drivers/errors.js';
import { IdleClient } from '../drivers/mqtt-idle.js';
import { connectMqtt, endMqtt, mqttSink, subscribeMqtt, type SessionOptions } from '../drivers/mqtt-driver.js';
import type { ConnectStage } from '../drivers/transports.js';
import { connectWs, endWs, wsSink } from '../drivers/ws-driver.js';
import { nowMicros } from '../metrics/clock.js';
import { encodeWill, makeFiller } from '../metrics/payload.js';
import type { Recorder } from '../metrics/recorder.js';
import type { WireMeter } from '../metrics/wire.js';
import type { ClientPlan } from '../plan/workers.js';
import { publishes, receives, type GroupSpec } from '../scenario/model.js';
import type { GroupStats } from './group-stats.js';
import { Publisher, type PublisherSettings } from './publisher.js';
import { Subscriber } from './subscriber.js';

/** How long a graceful close may take before the connection is cut, ms. */
const CLOSE_TIMEOUT_MS = 2000;

/** What the runner keeps of an open client. */
export interface OpenClient {
  publisher: Publisher | null;
  subscriber: Subscriber | null;
  /** Close gracefully (end of phase). */
  end(): Promise<void>;
  /** Go away without DISCONNECT (the broker publishes the will). */
  drop(): void;
  /** Disconnect now and come back with the same id when `back` is called (MQTT only). */
  offline: (() => { back: () => void }) | null;
  /** Clear the retained value this client published (end of phase); resolves once it is written. */
  clearRetained: (() => Promise<void>) | null;
  /** Idle raw connections: send PINGREQ; returns the unanswered pings. */
  ping: (() => number) | null;
}

/** What the runner lends to the opener. */
export interface OpenContext {
  recorder: Recorder;
  stats: GroupStats;
  delivered: Uint32Array;
  sentCounts: Uint32Array;
  drops: BigInt64Array;
  options: ClientOptions;
  tag: string;
  localAddress: string | undefined;
  onStage: (stage: ConnectStage, micros: number) => void;
  /** Counts the bytes of every socket the client opens (reconnects too). */
  meter: WireMeter;
  /** An established connection (first CONNACK or WebSocket open). */
  connected(connectMicros: number): void;
  /** An established connection closed by the target: counted (MQTT clients are reconnected by `adopt`). */
  dropped(): void;
  /** MQTT.js runtime handlers: errors, drops and reconnects; `away` silences a close the tool caused. */
  adopt(client: MqttClient, away: () => boolean): void;
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
  const { client, connectMicros } = await IdleClient.connect(
    endpoint,
    c.clientId,
    { ...ctx.options, keepaliveSeconds: g.keepaliveSeconds, localAddress: ctx.localAddress, now: nowMicros, onStage: ctx.onStage, meter: ctx.meter },
    { onDrop: () => ctx.dropped(), onError: (kind) => ctx.recorder.error(kind) },
  );
  ctx.connected(connectMicros);
  return { publisher: null, subscriber: null, end: () => client.end(), drop: () => client.destroy(), offline: null, clearRetained: null, ping: () => client.ping() };
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
  const { client, connectMicros } = await connectMqtt(endpoint, c.clientId, ctx.options, nowMicros, ctx.localAddress, ctx.onStage, session, ctx.meter);
  ctx.connected(connectMicros);
  let away = false;
  ctx.adopt(client, () => away);
  let subscriber: Subscriber | null = null;
  const subscribe = async (): Promise<void> => {
    for (const f of c.filters) {
      const micros = await subscribeMqtt(client, f, g.qos, nowMicros);
      ctx.recorder.subscribe.recordValue(Math.max(1, micros));
    }
  };
  if (receives(g.role)) {
    const sub = new Subscriber(ctx.recorder, ctx.delivered, c.group, ctx.stats, ctx.drops, c.lateFrom, ctx.sentCounts);
    client.on('message', (_topic: string, payload: Buffer, packet: { retain?: boolean }) => sub.onMessage(payload, packet.retain === true));
    await subscribe();
    sub.subscribed();
    subscriber = sub;
  }
  const v5 = g.mqttVersion === 5;
  const properties = v5 && (Object.keys(g.userProperties).length > 0 || g.messageExpirySeconds !== null)
    ? { ...(Object.keys(g.userProperties).length > 0 ? { userProperties: g.userProperties } : {}), ...(g.messageExpirySeconds !== null ? { messageExpiryInterval: g.messageExpirySeconds } : {}) }
    : null;
  const publisher = publishes(g.role) ? new Publisher(c, mqttSink(client, c.topic, g.qos, { retain: g.retain, properties }), ctx.publisherSettings(g, c), ctx.recorder) : null;
  return {
    publisher,
    subscriber,
    end: () => endMqtt(client, CLOSE_TIMEOUT_MS),
    drop: () => {
      away = true;
      client.stream?.destroy();
    },
    offline: () => {
      away = true;
      client.end(false);
      return {
        back: () => {
          client.once('connect', (connack: { sessionPresent?: boolean }) => {
            away = false;
            subscriber?.comeback(nowMicros());
            if (connack.sessionPresent === true) ctx.stats.sessionsResumed++;
            // The broker forgot the session: subscribe again (what was sent meanwhile is lost).
            else if (subscriber !== null) subscribe().catch((err: unknown) => ctx.recorder.error(classifyError(err)));
          });
          client.reconnect();
        },
      };
    },
    clearRetained:
      g.retain && publisher !== null
        ? () =>
            new Promise<void>((resolve) => {
              if (!client.connected) resolve();
              // QoS 1: the broker has stored the clearing before the client disconnects.
              else client.publish(c.topic, Buffer.alloc(0), { qos: 1, retain: true }, () => resolve());
            })
        : null,
    ping: null,
  };
}

async function openWs(g: GroupSpec, c: ClientPlan, endpoint: TargetEndpoint, ctx: OpenContext): Promise<OpenClient> {
  const query = g.role === 'echo' ? '' : `${endpoint.path.includes('?') ? '&' : '?'}room=${encodeURIComponent(ctx.tag)}`;
  const { ws, connectMicros } = await connectWs(endpoint, query, { ...ctx.options, localAddress: ctx.localAddress, now: nowMicros, onStage: ctx.onStage, meter: ctx.meter });
  ctx.connected(connectMicros);
  let away = false;
  ws.on('error', (err) => ctx.recorder.error(classifyError(err)));
  ws.on('close', () => {
    if (!away) ctx.dropped();
  });
  const settings = ctx.publisherSettings(g, c);
  const publisher = publishes(g.role) ? new Publisher(c, wsSink(ws), settings, ctx.recorder) : null;
  let subscriber: Subscriber | null = null;
  if (receives(g.role)) {
    const sub = new Subscriber(ctx.recorder, ctx.delivered, c.group, ctx.stats, ctx.drops, c.lateFrom, ctx.sentCounts);
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
      away = true;
      ws.terminate();
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
