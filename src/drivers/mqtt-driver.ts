/**
 * The MQTT client driver on MQTT.js. The tool, not MQTT.js, decides about reconnects
 * (reconnectPeriod 0: MQTT.js' fixed 1 s retry would hide outages and skew counts), QoS 0
 * is never queued while offline, the stream is built in transports.ts so every socket option
 * reaches the socket (MQTT.js' own builders drop some), and connect has a short timeout.
 */
import { MqttClient, type IClientOptions } from 'mqtt';
import type { ClientOptions } from './client-options.js';
import { attempt } from './attempt.js';
import { classifyError, ConnectError, errorMessage } from './errors.js';
import { buildStream, type ConnectStage, type TargetEndpoint } from './transports.js';
import type { PublishSink, SinkListener } from './sink.js';
import type { WireMeter } from '../metrics/wire.js';

/** MQTT.js' errors for messages in flight on a connection it gives up. */
const CONNECTION_GONE = /connection closed|client disconnecting/i;

export interface ConnectedClient {
  client: MqttClient;
  /** TCP connect + CONNACK, microseconds. */
  connectMicros: number;
  /** CONNACK's session present flag: the broker kept a session for this client id. */
  sessionPresent: boolean;
}

/** A client's session choices (a scenario group's); absent: MQTT 3.1.1, clean, no will. */
export interface SessionOptions {
  protocolVersion: 4 | 5;
  clean: boolean;
  /** MQTT 5 session expiry interval, seconds; null: not sent. */
  sessionExpirySeconds: number | null;
  keepaliveSeconds: number;
  will: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | null;
  /** MQTT 5: assign topic aliases to outgoing topics. */
  topicAlias: boolean;
}

export function mqttOptions(clientId: string, options: ClientOptions, session?: SessionOptions): IClientOptions {
  const v5 = session?.protocolVersion === 5;
  return {
    clientId,
    protocolVersion: session?.protocolVersion ?? 4,
    clean: session?.clean ?? true,
    keepalive: session?.keepaliveSeconds ?? options.keepaliveSeconds,
    ...(v5 && session?.sessionExpirySeconds != null ? { properties: { sessionExpiryInterval: session.sessionExpirySeconds } } : {}),
    ...(session?.will ? { will: { topic: session.will.topic, payload: session.will.payload, qos: session.will.qos, retain: session.will.retain } } : {}),
    ...(v5 && session?.topicAlias ? { autoAssignTopicAlias: true } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    reconnectPeriod: 0,
    connectTimeout: options.connectTimeoutMs,
    queueQoSZero: false,
    resubscribe: true,
    manualConnect: true,
  };
}

/**
 * Connects one client; resolves on CONNACK, rejects with a classified error otherwise.
 * Reconnects (client.reconnect()) build a new stream with the same source address, counted
 * by the same `meter`.
 */
export function connectMqtt(
  target: TargetEndpoint,
  clientId: string,
  options: ClientOptions,
  now: () => number,
  localAddress?: string,
  onStage?: (stage: ConnectStage, micros: number) => void,
  session?: SessionOptions,
  meter?: WireMeter,
  /** Called with the new client before it connects: a broker may deliver queued messages in the same read as the CONNACK, before the caller sees the connection. */
  prepare?: (client: MqttClient) => void,
): Promise<ConnectedClient> {
  const started = now();
  let first = true;
  const client = new MqttClient(() => {
    // Stages are recorded for the first connection only; reconnects are counted apart.
    const stream = buildStream(target, { noDelay: options.noDelay, localAddress, onStage: first ? onStage : undefined, now, meter });
    first = false;
    return stream;
  }, mqttOptions(clientId, options, session));
  prepare?.(client);
  return new Promise((resolve, reject) => {
    let sessionPresent = false;
    // On a failure the listeners stay: a failed client may still emit its close; the failure is counted once.
    const a = attempt<ConnectedClient>(options.connectTimeoutMs, `no CONNACK within ${options.connectTimeoutMs}ms`, () => client.end(true), resolve, reject);
    const onConnect = (connack: { sessionPresent?: boolean }): void => {
      if (a.settled) return;
      sessionPresent = connack.sessionPresent === true;
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      a.succeed({ client, connectMicros: now() - started, sessionPresent });
    };
    const onError = (err: Error): void => a.fail(new ConnectError(classifyError(err), errorMessage(err)));
    const onClose = (): void => a.fail(new ConnectError('closed', 'connection closed before CONNACK'));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
    client.connect();
  });
}

/**
 * Subscribes and resolves with the SUBACK latency in microseconds; a refused grant rejects, and
 * so does a broker that never answers within `timeoutMs` (a SUBACK that never comes would
 * otherwise hold the phase until the coordinator gives up on the worker).
 */
export function subscribeMqtt(client: MqttClient, filter: string, qos: 0 | 1 | 2, now: () => number, timeoutMs: number): Promise<number> {
  const started = now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConnectError('timeout', `no SUBACK for '${filter}' within ${timeoutMs}ms (the broker accepted the connection but did not answer the SUBSCRIBE)`)), timeoutMs);
    client.subscribe(filter, { qos }, (err, granted) => {
      clearTimeout(timer);
      if (err) {
        reject(new ConnectError('subscribe', `subscribe to '${filter}' failed: ${errorMessage(err)}`));
        return;
      }
      const g = granted?.[0];
      if (g === undefined || g.qos === 128) {
        reject(new ConnectError('subscribe', `the broker refused the subscription to '${filter}' (SUBACK 0x80)`));
        return;
      }
      resolve(now() - started);
    });
  });
}

/** Ends a client gracefully (DISCONNECT), forcing it after `timeoutMs`. */
export function endMqtt(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => client.end(true, () => resolve()), timeoutMs);
    client.end(false, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Per-publish choices beyond the QoS (a scenario group's). */
export interface PublishOptions {
  retain: boolean;
  /** MQTT 5 properties; null: none. A fresh copy goes with each publish (MQTT.js writes the topic alias into it). */
  properties: { userProperties?: Record<string, string>; messageExpiryInterval?: number } | null;
}

/** The connection a sink publishes on: the client of the moment (a reconnect brings a new one), and whether it is up. */
export interface LiveClient {
  readonly client: MqttClient;
  readonly up: boolean;
}

/** A publisher's sink on an MQTT connection: one topic, one QoS, the options object reused when it carries no properties. */
export function mqttSink(live: LiveClient, topic: string, qos: 0 | 1 | 2, extra?: PublishOptions): PublishSink {
  const props = extra?.properties ?? null;
  const fixed = { qos, retain: extra?.retain ?? false };
  let listener: SinkListener | null = null;
  return {
    get connected() {
      return live.up && live.client.connected;
    },
    acknowledged: qos > 0,
    // MQTT.js keeps QoS 1/2 payloads until acknowledged (and writes QoS 0 ones later).
    copiesPayload: false,
    listen(l) {
      listener = l;
    },
    publish(payload, seq) {
      const client = live.client;
      const l = listener!;
      client.publish(topic, payload, props === null && !client.options.autoAssignTopicAlias ? fixed : { ...fixed, properties: { ...props } }, (err) => {
        if (!err) l.done(seq);
        // MQTT.js fails the messages in flight when it gives a connection up (keepalive timeout,
        // before the close): the drop resolves them, counted once, as a drop.
        else if (!CONNECTION_GONE.test(err.message)) l.failed(seq, err);
      });
    },
  };
}
