/**
 * The two MQTT client drivers behind one shape, so a phase's clients are opened, reconnected,
 * subscribed and published the same way whichever runs them: `lean` (mqbench's own engine,
 * src/drivers/lean/, the default) and `mqttjs` (MQTT.js, the independent reference the tests
 * hold the engine against).
 */
import type { MqttClient } from 'mqtt';
import type { ClientOptions } from '../drivers/client-options.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { PublishTemplate, publishTemplates } from '../drivers/lean/publish-template.js';
import { connectLean } from '../drivers/lean/connect.js';
import { CLOSED, LeanConnection } from '../drivers/lean/connection.js';
import { connectMqtt, endMqtt, mqttSink, subscribeMqtt, type PublishOptions, type SessionOptions } from '../drivers/mqtt-driver.js';
import type { PublishSink, SinkListener } from '../drivers/sink.js';
import type { ConnectStage } from '../drivers/transports.js';
import { classifyError, ConnectError } from '../drivers/errors.js';
import { nowMicros } from '../metrics/clock.js';
import type { WireMeter } from '../metrics/wire.js';
import { CLOSE_TIMEOUT_MS, type Connected, type ConnectionOps, type MqttSession } from './mqtt-session.js';

/** One client's way of talking MQTT: connect (again), subscribe, a publisher's sink, a one-off publish. */
export interface MqttDriver<C> {
  readonly ops: ConnectionOps<C>;
  /** `first`: the phase's first connection of this client (its connect stages are recorded). */
  connect(first: boolean): Promise<Connected<C>>;
  /** SUBSCRIBE one filter; resolves with the SUBACK latency in microseconds, rejects on a refused grant or a timeout. */
  subscribe(c: C, filter: string, qos: 0 | 1 | 2): Promise<number>;
  sink(live: MqttSession<C>, topic: string, qos: 0 | 1 | 2, extra: PublishOptions): PublishSink;
  /** A QoS 1 publish resolved on its PUBACK (or at once on a closed connection): clearing a retained value. */
  publishOnce(c: C, topic: string, payload: Buffer, retain: boolean): Promise<void>;
}

export interface DriverContext {
  endpoint: TargetEndpoint;
  clientId: string;
  options: ClientOptions;
  session: SessionOptions;
  localAddress: string | undefined;
  onStage: (stage: ConnectStage, micros: number) => void;
  meter: WireMeter;
  /** Receiving clients: delivered messages, set on every new connection before its CONNECT. */
  onMessage: ((payload: Buffer, retain: boolean) => void) | null;
  /** Called before each connection after the first (a comeback begins). */
  beforeReconnect: () => void;
}

export function mqttjsDriver(ctx: DriverContext): MqttDriver<MqttClient> {
  const prepare = (first: boolean) => (client: MqttClient): void => {
    if (ctx.onMessage !== null) {
      const onMessage = ctx.onMessage;
      client.on('message', (_topic: string, payload: Buffer, packet: { retain?: boolean }) => onMessage(payload, packet.retain === true));
    }
    if (!first) ctx.beforeReconnect();
  };
  return {
    ops: MQTTJS_OPS,
    connect: (first) =>
      connectMqtt(ctx.endpoint, ctx.clientId, ctx.options, nowMicros, ctx.localAddress, first ? ctx.onStage : undefined, ctx.session, ctx.meter, prepare(first)),
    subscribe: (c, filter, qos) => subscribeMqtt(c, filter, qos, nowMicros, ctx.options.connectTimeoutMs),
    sink: (live, topic, qos, extra) => mqttSink(live, topic, qos, extra),
    publishOnce: (c, topic, payload, retain) =>
      new Promise<void>((resolve) => {
        if (!c.connected) resolve();
        else c.publish(topic, payload, { qos: 1, retain }, () => resolve());
      }),
  };
}

/** MQTT.js clients. */
export const MQTTJS_OPS: ConnectionOps<MqttClient> = {
  watch(c, error, close) {
    c.on('error', (err) => error(classifyError(err)));
    c.on('close', close);
  },
  kill: (c) => void c.end(true),
  disconnect: (c) => void c.end(false),
  cut: (c) => void c.stream?.destroy(),
  end: (c, timeoutMs) => endMqtt(c, timeoutMs),
};

export const LEAN_OPS: ConnectionOps<LeanConnection> = {
  watch(c, error, close) {
    c.onError = (kind) => error(kind);
    c.onClose = close;
  },
  kill: (c) => c.destroy(),
  // Not awaited, but with time for the DISCONNECT to leave (cut short, the broker would publish the will).
  disconnect: (c) => void c.end(CLOSE_TIMEOUT_MS),
  cut: (c) => c.destroy(),
  end: (c, timeoutMs) => c.end(timeoutMs),
};

export function leanDriver(ctx: DriverContext): MqttDriver<LeanConnection> {
  const s = ctx.session;
  const connectOptions = {
    clientId: ctx.clientId,
    version: s.protocolVersion,
    clean: s.clean,
    keepaliveSeconds: s.keepaliveSeconds,
    sessionExpirySeconds: s.sessionExpirySeconds,
    will: s.will,
    ...(ctx.options.username !== undefined ? { username: ctx.options.username } : {}),
    ...(ctx.options.password !== undefined ? { password: ctx.options.password } : {}),
    connectTimeoutMs: ctx.options.connectTimeoutMs,
  };
  /** This client's latest connection: the next one continues its packet ids. */
  let last: LeanConnection | null = null;
  return {
    ops: LEAN_OPS,
    connect: (first) =>
      connectLean(
        ctx.endpoint,
        connectOptions,
        { noDelay: ctx.options.noDelay, localAddress: ctx.localAddress, onStage: first ? ctx.onStage : undefined, now: nowMicros, meter: ctx.meter },
        (c) => {
          if (ctx.onMessage !== null) c.onMessage = ctx.onMessage;
          if (last !== null) c.resumeIds(last);
          last = c;
          if (!first) ctx.beforeReconnect();
        },
      ),
    async subscribe(c, filter, qos) {
      const started = nowMicros();
      const granted = await c.subscribe([{ filter, qos }], ctx.options.connectTimeoutMs);
      const g = granted[0];
      if (g === undefined || g >= 0x80) throw new ConnectError('subscribe', `the broker refused the subscription to '${filter}' (SUBACK 0x${(g ?? 0x80).toString(16)})`);
      return nowMicros() - started;
    },
    sink(live, topic, qos, extra) {
      const version = s.protocolVersion;
      const props = version === 5 ? { userProperties: extra.properties?.userProperties ?? null, messageExpirySeconds: extra.properties?.messageExpiryInterval ?? null } : {};
      // MQTT 5 topic alias: the first PUBLISH of each connection carries the topic and the alias, the rest the alias alone;
      // on a connection whose broker takes no alias (its CONNACK's Topic Alias Maximum is 0 or absent), every PUBLISH its topic.
      const { first: full, rest } = publishTemplates({ topic, qos, retain: extra.retain, version, ...props, topicAlias: s.topicAlias && version === 5 ? 1 : null });
      const plain = rest === full ? full : publishTemplates({ topic, qos, retain: extra.retain, version, ...props, topicAlias: null }).first;
      let aliased: typeof rest | null = null;
      let introduced: LeanConnection | null = null;
      let listener: SinkListener | null = null;
      const acked = (seq: number): void => listener!.done(seq);
      return {
        get connected() {
          return live.up && live.client.connected;
        },
        acknowledged: qos > 0,
        copiesPayload: true,
        listen(l) {
          listener = l;
        },
        publish(payload, seq) {
          const c = live.client;
          let err: Error | null;
          if (introduced !== c) {
            introduced = c;
            c.onAcked = acked;
            aliased = rest !== full && c.topicAliasMaximum >= 1 ? rest : null;
            err = c.publish(aliased === null ? plain : full, payload, seq);
          } else err = c.publish(aliased ?? plain, payload, seq);
          if (err === null) {
            if (qos === 0) listener!.done(seq);
          } else if (err !== CLOSED) listener!.failed(seq, err);
          // CLOSED: the connection is going; its drop resolves the message.
        },
      };
    },
    publishOnce: (c, topic, payload, retain) => c.publishAcked(new PublishTemplate({ topic, qos: 1, retain, version: s.protocolVersion }), payload),
  };
}
