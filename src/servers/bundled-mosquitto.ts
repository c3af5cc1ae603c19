/**
 * `--broker mosquitto`: Debian's mosquitto started for the run beside (or instead of) the
 * embedded aedes, for what aedes 1.x lacks (MQTT 5, shared subscriptions). One listener per
 * transport the phases need, all on loopback: tcp, tls and wss with the bundled certificate
 * (tls-certs.ts, the one aedes serves), ws and wss on any path (mosquitto ignores it). Anonymous
 * access; max_inflight_messages (20) and max_queued_messages (1000) stay at mosquitto's
 * defaults, as users meet them. Same shape as the bundled aedes broker (bundled.ts), so the run
 * connects, measures its CPU by pid and stops it the same way.
 */
import type { BrokerTransport } from './broker.js';
import { MQTT_WS_PATH } from './broker.js';
import type { BundledBroker } from './bundled.js';
import { startMosquitto, type MosquittoListener } from './mosquitto.js';
import { bundledTlsMaterial } from './tls-certs.js';

const HOST = '127.0.0.1';
const SCHEME: Record<BrokerTransport, string> = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' };

export async function startBundledMosquitto(opts: { transports: BrokerTransport[] }): Promise<BundledBroker> {
  const secure = opts.transports.some((t) => t === 'tls' || t === 'wss');
  const material = secure ? await bundledTlsMaterial() : null;
  const files = material === null ? undefined : { certPath: material.certPath, keyPath: material.keyPath };
  // mosquitto 2.0 will not start with websockets listeners alone ("Unable to start any listening
  // sockets", eclipse-mosquitto/mosquitto#2284): a plain TCP one is always opened, and only
  // reported when a phase asked for it.
  const listening: BrokerTransport[] = opts.transports.includes('tcp') ? opts.transports : ['tcp', ...opts.transports];
  const listeners: MosquittoListener[] = listening.map((t) => ({
    name: t,
    protocol: t === 'ws' || t === 'wss' ? 'websockets' : 'mqtt',
    ...(files !== undefined && (t === 'tls' || t === 'wss') ? { tls: files } : {}),
  }));
  const m = await startMosquitto({ listeners, settings: () => ['allow_anonymous true'] });
  const ports: Partial<Record<BrokerTransport, number>> = {};
  const urls: Partial<Record<BrokerTransport, string>> = {};
  for (const t of opts.transports) {
    const port = m.ports[t];
    if (port === undefined) continue;
    ports[t] = port;
    urls[t] = `${SCHEME[t]}://${HOST}:${port}${t === 'ws' || t === 'wss' ? MQTT_WS_PATH : ''}`;
  }
  return {
    host: HOST,
    ports,
    urls,
    caPem: material?.ca ?? null,
    ...(urls.tcp !== undefined ? { url: urls.tcp } : {}),
    ...(ports.tcp !== undefined ? { port: ports.tcp } : {}),
    pid: m.pid,
    stop: async () => {
      await m.stop();
      // What it logged while serving the run (errors, warnings), with the run's other target errors.
      return m.logged();
    },
  };
}
