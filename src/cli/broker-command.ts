/**
 * `mqbench broker`: the bundled reference broker, standalone on TCP, TLS, WS and WSS
 * listeners, until SIGINT or SIGTERM. With no listener flag it serves TCP on 1883.
 */
import type { Argv, CommandModule } from 'yargs';
import { BROKER_TRANSPORTS, startBroker, type BrokerTransport } from '../servers/broker.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { portOption, readPort, serverOptions, startStandalone, type ListenerFlag, type TlsFlags } from './server-flags.js';

/** Port when no listener flag is given: the IANA port for MQTT over TCP. */
const DEFAULT_TCP_PORT = 1883;

export function brokerOptions<T>(y: Argv<T>) {
  return serverOptions(y)
    .option('tcp', portOption(`MQTT over TCP on this port (0 picks a free one). Default ${DEFAULT_TCP_PORT} when no listener flag is given`))
    .option('port', portOption('Older name of --tcp'))
    .option('tls', portOption('MQTT over TLS (mqtts://) on this port, e.g. 8883 (0 picks a free one)'))
    .option('ws', portOption('MQTT over WebSocket (ws://host:port/mqtt) on this port, e.g. 8080 (0 picks a free one)'))
    .option('wss', portOption('MQTT over secure WebSocket (wss://host:port/mqtt) on this port, e.g. 8081 (0 picks a free one)'));
}

type BrokerArgs<T> = ReturnType<typeof brokerOptions<T>> extends Argv<infer U> ? U : never;

/** The whole yargs command, so main.ts holds one line for it. */
export function brokerCommandModule<T>(io: Io, setCode: (code: number) => void): CommandModule<T, BrokerArgs<T>> {
  return {
    command: 'broker',
    describe: 'Run the bundled reference MQTT broker (aedes) standalone on TCP, TLS, WS and WSS until Ctrl-C',
    builder: (y: Argv<T>) =>
      brokerOptions(y)
        .example('$0 broker', 'MQTT over TCP on 127.0.0.1:1883')
        .example('$0 broker --tcp 0 --ws 8080', 'TCP on a free port and MQTT over WebSocket on ws://127.0.0.1:8080/mqtt')
        .example('$0 broker --tls 8883 --host 0.0.0.0', 'TLS on every interface, with a certificate from the bundled local CA'),
    handler: async (argv) => {
      const { tcp, port, tls, ws, wss, host, cert, key, ca } = argv;
      setCode(await brokerCommand({ tcp, port, tls, ws, wss, host, cert, key, ca }, io));
    },
  };
}

/** The flags as given: ports as text (readPort reads them). */
export interface BrokerFlags extends TlsFlags {
  tcp?: string | undefined;
  /** Older name of tcp. */
  port?: string | undefined;
  tls?: string | undefined;
  ws?: string | undefined;
  wss?: string | undefined;
  host: string;
}

export async function brokerCommand(flags: BrokerFlags, io: Io): Promise<number> {
  const problems: string[] = [];
  if (flags.tcp !== undefined && flags.port !== undefined) problems.push('--port is the older name of --tcp; give only one of them');
  const listeners: Array<ListenerFlag<BrokerTransport>> = [];
  const tcpFlag = flags.tcp !== undefined ? '--tcp' : '--port';
  const tcp = readPort(tcpFlag, flags.tcp ?? flags.port, problems);
  if (tcp !== undefined) listeners.push({ transport: 'tcp', flag: tcpFlag, port: tcp });
  for (const transport of BROKER_TRANSPORTS.filter((t) => t !== 'tcp')) {
    const port = readPort(`--${transport}`, flags[transport], problems);
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
