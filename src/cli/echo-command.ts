/**
 * `mqbench echo`: the bundled WebSocket echo and broadcast server, standalone on ws and/or
 * wss, until SIGINT or SIGTERM. With no listener flag it serves ws on 8080.
 */
import type { Argv, CommandModule } from 'yargs';
import { BROADCAST_PATH, ECHO_PATH, ECHO_TRANSPORTS, startEchoServer, type EchoTransport } from '../servers/echo.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { portOption, readPort, serverOptions, startStandalone, type ListenerFlag, type TlsFlags } from './server-flags.js';

/** Port when no listener flag is given. */
const DEFAULT_WS_PORT = 8080;

export function echoOptions<T>(y: Argv<T>) {
  return serverOptions(y)
    .option('ws', portOption(`WebSocket (ws://) on this port (0 picks a free one). Default ${DEFAULT_WS_PORT} when no listener flag is given`))
    .option('wss', portOption('Secure WebSocket (wss://) on this port, e.g. 8443 (0 picks a free one)'));
}

type EchoArgs<T> = ReturnType<typeof echoOptions<T>> extends Argv<infer U> ? U : never;

/** The whole yargs command, so main.ts holds one line for it. */
export function echoCommandModule<T>(io: Io, setCode: (code: number) => void): CommandModule<T, EchoArgs<T>> {
  return {
    command: 'echo',
    describe: 'Run the bundled WebSocket echo and broadcast server standalone until Ctrl-C',
    builder: (y: Argv<T>) =>
      echoOptions(y)
        .example('$0 echo', 'ws://127.0.0.1:8080/echo and /broadcast')
        .example('$0 echo --ws 0 --wss 8443', 'a free ws port, and wss with a certificate from the bundled local CA'),
    handler: async (argv) => {
      const { ws, wss, host, cert, key, ca } = argv;
      setCode(await echoCommand({ ws, wss, host, cert, key, ca }, io));
    },
  };
}

/** The flags as given: ports as text (readPort reads them). */
export interface EchoFlags extends TlsFlags {
  ws?: string | undefined;
  wss?: string | undefined;
  host: string;
}

export async function echoCommand(flags: EchoFlags, io: Io): Promise<number> {
  const problems: string[] = [];
  const listeners: Array<ListenerFlag<EchoTransport>> = [];
  for (const transport of ECHO_TRANSPORTS) {
    const port = readPort(`--${transport}`, flags[transport], problems);
    if (port !== undefined) listeners.push({ transport, flag: `--${transport}`, port });
  }
  if (listeners.length === 0) listeners.push({ transport: 'ws', flag: '--ws', port: DEFAULT_WS_PORT });
  const started = await startStandalone(
    {
      command: 'echo',
      flags,
      listeners,
      problems,
      secure: ['wss'],
      tlsHint: '--wss 8443',
      start: (ports, tls) => startEchoServer({ host: flags.host, listeners: ports, ...(tls !== undefined ? { tls } : {}) }),
    },
    io,
  );
  if (typeof started === 'number') return started;
  const { server, tls: material } = started;
  // Listen for Ctrl-C/SIGTERM before saying we listen: whoever reads the URLs may stop us at once.
  const terminated = io.untilTerminated();
  server.onError((kind, err) => io.stderr.write(`${kind}: ${err.message}\n`));
  for (const transport of ECHO_TRANSPORTS) {
    const base = server.urls[transport];
    if (base === undefined) continue;
    io.stdout.write(`mqbench echo listening on ${base}${ECHO_PATH}\n`);
    io.stdout.write(`mqbench echo listening on ${base}${BROADCAST_PATH} (?room=<name> keeps runs apart)\n`);
  }
  if (material !== undefined) io.stdout.write(`clients must trust ${material.caPath}\n`);
  const signal = await terminated;
  io.stderr.write(`mqbench echo: ${signal}, closing\n`);
  await server.close();
  return ExitCode.Pass;
}
