/**
 * `mqbench broker`: the bundled reference broker, standalone on TCP, TLS, WS and WSS
 * listeners, until SIGINT or SIGTERM. With no listener flag it serves TCP on 1883.
 */
import type { Argv } from 'yargs';
import { BROKER_TRANSPORTS, startBroker, type BrokerTransport } from '../servers/broker.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { serverOptions, startStandalone, type ListenerFlag, type TlsFlags } from './server-flags.js';

/** Port when no listener flag is given: the IANA port for MQTT over TCP. */
const DEFAULT_TCP_PORT = 1883;

export function brokerOptions<T>(y: Argv<T>) {
  return serverOptions(y)
    .option('tcp', { type: 'number', describe: `MQTT over TCP on this port (0 picks a free one). Default ${DEFAULT_TCP_PORT} when no listener flag is given` })
    .option('port', { type: 'number', describe: 'Older name of --tcp' })
    .option('tls', { type: 'number', describe: 'MQTT over TLS (mqtts://) on this port, e.g. 8883 (0 picks a free one)' })
    .option('ws', { type: 'number', describe: 'MQTT over WebSocket (ws://host:port/mqtt) on this port, e.g. 8080 (0 picks a free one)' })
    .option('wss', { type: 'number', describe: 'MQTT over secure WebSocket (wss://host:port/mqtt) on this port, e.g. 8081 (0 picks a free one)' });
}

export interface BrokerFlags extends TlsFlags {
  tcp?: number | undefined;
  /** Older name of tcp. */
  port?: number | undefined;
  tls?: number | undefined;
  ws?: number | undefined;
  wss?: number | undefined;
  host: string;
}

export async function brokerCommand(flags: BrokerFlags, io: Io): Promise<number> {
  const problems: string[] = [];
  if (flags.tcp !== undefined && flags.port !== undefined) problems.push('--port is the older name of --tcp; give only one of them');
  const listeners: Array<ListenerFlag<BrokerTransport>> = [];
  const tcp = flags.tcp ?? flags.port;
  if (tcp !== undefined) listeners.push({ transport: 'tcp', flag: flags.tcp !== undefined ? '--tcp' : '--port', port: tcp });
  for (const transport of BROKER_TRANSPORTS.filter((t) => t !== 'tcp')) {
    const port = flags[transport];
    if (port !== undefined) listeners.push({ transport, flag: `--${transport}`, port });
  }
  if (listeners.length === 0) listeners.push({ transport: 'tcp', flag: '--tcp', port: DEFAULT_TCP_PORT });
  const started = await startStandalone(
    {
      command: 'broker',
      flags,
      listeners,
      problems,
      secure: ['tls', 'wss'],
      tlsHint: '--tls 8883 or --wss 8081',
      start: (ports, tls) => startBroker({ host: flags.host, listeners: ports, ...(tls !== undefined ? { tls } : {}) }),
    },
    io,
  );
  if (typeof started === 'number') return started;
  const { server: broker, tls: material } = started;
  // Listen for Ctrl-C/SIGTERM before saying we listen: whoever reads the URLs may stop us at once.
  const terminated = io.untilTerminated();
  broker.onClientError((id, err) => io.stderr.write(`client ${id}: ${err.message}\n`));
  for (const transport of BROKER_TRANSPORTS) {
    const url = broker.urls[transport];
    if (url !== undefined) io.stdout.write(`mqbench broker (aedes) listening on ${url}\n`);
  }
  if (material !== undefined) io.stdout.write(`clients must trust ${material.caPath}\n`);
  const signal = await terminated;
  io.stderr.write(`mqbench broker: ${signal}, closing\n`);
  await broker.close();
  return ExitCode.Pass;
}
