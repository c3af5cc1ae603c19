/** `mqbench broker`: the bundled reference broker, standalone, until SIGINT or SIGTERM. */
import type { Argv } from 'yargs';
import { startBroker } from '../servers/broker.js';
import { errorMessage } from '../drivers/errors.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

export function brokerOptions<T>(y: Argv<T>) {
  return y
    .option('port', { type: 'number', describe: 'TCP port for MQTT (0 picks a free one)', default: 1883 })
    .option('host', { type: 'string', describe: 'Address to listen on', default: '127.0.0.1' });
}

export async function brokerCommand(flags: { port: number; host: string }, io: Io): Promise<number> {
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65_535) {
    io.stderr.write(`mqbench broker: --port '${flags.port}' must be a whole number from 0 to 65535\n`);
    return ExitCode.BadInput;
  }
  let broker;
  try {
    broker = await startBroker({ port: flags.port, host: flags.host });
  } catch (err) {
    io.stderr.write(`mqbench broker: cannot listen on ${flags.host}:${flags.port}: ${errorMessage(err)}. Pick another --port (0 for a free one).\n`);
    return ExitCode.BadInput;
  }
  broker.onClientError((id, err) => io.stderr.write(`client ${id}: ${err.message}\n`));
  io.stdout.write(`mqbench broker (aedes) listening on mqtt://${broker.host}:${broker.port}\n`);
  const signal = await io.untilTerminated();
  io.stderr.write(`mqbench broker: ${signal}, closing\n`);
  await broker.close();
  return ExitCode.Pass;
}
