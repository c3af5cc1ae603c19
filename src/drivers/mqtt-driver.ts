/**
 * The MQTT client driver on MQTT.js. The tool, not MQTT.js, decides about reconnects
 * (reconnectPeriod 0: MQTT.js' fixed 1 s retry would hide outages and skew counts), QoS 0
 * is never queued while offline, the stream is built in transports.ts so every socket option
 * reaches the socket (MQTT.js' own builders drop some), and connect has a short timeout.
 */
import { MqttClient, type IClientOptions } from 'mqtt';
import type { ClientOptions } from '../coordinator/protocol.js';
import { classifyError, errorMessage, type ErrorKind } from './errors.js';
import { buildStream, type ConnectStage, type TargetEndpoint } from './transports.js';
import type { PublishSink } from './sink.js';

export interface ConnectedClient {
  client: MqttClient;
  /** TCP connect + CONNACK, microseconds. */
  connectMicros: number;
}

export class ConnectError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function mqttOptions(clientId: string, options: ClientOptions): IClientOptions {
  return {
    clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: options.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: options.connectTimeoutMs,
    queueQoSZero: false,
    resubscribe: true,
    manualConnect: true,
  };
}

/**
 * Connects one client; resolves on CONNACK, rejects with a classified error otherwise.
 * Reconnects (client.reconnect()) build a new stream with the same source address.
 */
export function connectMqtt(
  target: TargetEndpoint,
  clientId: string,
  options: ClientOptions,
  now: () => number,
  localAddress?: string,
  onStage?: (stage: ConnectStage, micros: number) => void,
): Promise<ConnectedClient> {
  const started = now();
  let first = true;
  const client = new MqttClient(() => {
    // Stages are recorded for the first connection only; reconnects are counted apart.
    const stream = buildStream(target, { noDelay: options.noDelay, localAddress, onStage: first ? onStage : undefined, now });
    first = false;
    return stream;
  }, mqttOptions(clientId, options));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: ConnectError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === null) {
        client.removeListener('connect', onConnect);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        resolve({ client, connectMicros: now() - started });
      } else {
        // The listeners stay: a failed client may still emit its close; the failure is counted once.
        client.end(true);
        reject(err);
      }
    };
    const onConnect = (): void => finish(null);
    const onError = (err: Error): void => finish(new ConnectError(classifyError(err), errorMessage(err)));
    const onClose = (): void => finish(new ConnectError('closed', 'connection closed before CONNACK'));
    const timer = setTimeout(
      () => finish(new ConnectError('timeout', `no CONNACK within ${options.connectTimeoutMs}ms`)),
      options.connectTimeoutMs,
    );
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
    client.connect();
  });
}

/** Subscribes and resolves with the SUBACK latency in microseconds; a refused grant rejects. */
export function subscribeMqtt(client: MqttClient, filter: string, qos: 0 | 1 | 2, now: () => number): Promise<number> {
  const started = now();
  return new Promise((resolve, reject) => {
    client.subscribe(filter, { qos }, (err, granted) => {
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

/** A publisher's sink on an MQTT client: one topic, one QoS, the options object reused. */
export function mqttSink(client: MqttClient, topic: string, qos: 0 | 1 | 2): PublishSink {
  const options = { qos };
  return {
    get connected() {
      return client.connected;
    },
    acknowledged: qos > 0,
    publish(payload, done) {
      client.publish(topic, payload, options, done);
    },
  };
}
