/**
 * The brokers mqbench starts when no target is named, by name: aedes embedded in a child process
 * (servers/bundled.ts) or Debian's mosquitto (servers/bundled-mosquitto.ts), each with the
 * listeners its phases need.
 */
import type { BrokerName } from '../config/model.js';
import type { PhaseSpec } from '../plan/plan.js';
import type { BrokerTransport } from '../servers/broker.js';
import { startBundledBroker, type BundledBroker } from '../servers/bundled.js';
import { startBundledMosquitto } from '../servers/bundled-mosquitto.js';

/** Each broker the phases name, in the order they first appear, with the transports of its phases' MQTT groups. */
export function brokerTransports(specs: readonly PhaseSpec[]): Map<BrokerName, BrokerTransport[]> {
  const out = new Map<BrokerName, BrokerTransport[]>();
  for (const spec of specs) {
    if (spec.broker === null) continue;
    const list = out.get(spec.broker) ?? [];
    for (const g of spec.groups) if (g.protocol === 'mqtt' && !list.includes(g.transport)) list.push(g.transport);
    out.set(spec.broker, list);
  }
  return out;
}

export function startManagedBroker(kind: BrokerName, transports: BrokerTransport[]): Promise<BundledBroker> {
  return kind === 'mosquitto' ? startBundledMosquitto({ transports }) : startBundledBroker({ transports });
}
