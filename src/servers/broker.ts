/**
 * The bundled reference MQTT broker: aedes 1.x on TCP with Nagle off. aedes' default
 * `concurrency` (100) makes mqemitter queue deliveries and drain that queue recursively,
 * which overflows the stack under a QoS 0 flood (moscajs/aedes#193, mcollina/mqemitter#204);
 * concurrency 0 delivers without that queue, and TCP backpressure (aedes waits for 'drain'
 * on slow subscribers before reading more) still bounds memory.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

export interface BrokerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to listen on. Default 127.0.0.1. */
  host: string;
}

export interface RunningBroker {
  host: string;
  port: number;
  close(): Promise<void>;
  /** Errors seen on client connections, by message, for the standalone log. */
  onClientError(listener: (clientId: string, err: Error) => void): void;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker({ concurrency: 0, drainTimeout: 30_000 });
  const server = net.createServer({ noDelay: true }, aedes.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // aedes holds timers (heartbeat) that would keep the process alive after a failed listen.
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker: no TCP address after listen');
  return {
    host: options.host,
    port: address.port,
    onClientError(listener) {
      aedes.on('clientError', (client, err) => listener(client.id, err));
      aedes.on('connectionError', (client, err) => listener(client.id ?? '(connecting)', err));
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Existing client sockets keep the server open; aedes.close() ends them.
        aedes.close(() => undefined);
      });
    },
  };
}
