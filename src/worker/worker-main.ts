/**
 * Entry of a load worker thread. Long-lived: it runs one phase after another as the
 * coordinator asks, and answers every request with one message (coordinator/protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';
import { errorMessage } from '../drivers/errors.js';
import { setWireEpoch } from '../metrics/clock.js';
import { PhaseRunner } from './phase-runner.js';
import { useSpinLedger } from './precise-wake.js';

if (parentPort === null) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const { workerIndex, spinLedger } = workerData as { workerIndex: number; spinLedger: SharedArrayBuffer };
useSpinLedger(spinLedger);
let runner: PhaseRunner | null = null;

const send = (msg: FromWorker): void => port.postMessage(msg);
const fatal = (err: unknown): void => send({ type: 'fatal', workerIndex, message: errorMessage(err) });

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

port.on('message', (msg: ToWorker) => {
  handle(msg).catch(fatal);
});

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'phase': {
      setWireEpoch(msg.plan.shard?.wireEpochUs ?? 0);
      runner = new PhaseRunner(msg.phase, msg.plan, msg.endpoints, msg.client, msg.window, msg.drops);
      const { connected, failures } = await runner.connect();
      send({ type: 'ready', workerIndex, connected, failures });
      return;
    }
    case 'start':
      requireRunner().start(msg.startUs, msg.steadyStartUs);
      return;
    case 'tick':
      send({ type: 'snapshot', snapshot: requireRunner().interval(msg.t) });
      return;
    case 'stop':
      requireRunner().stop();
      return;
    case 'status':
      send({ type: 'status', workerIndex, ...requireRunner().status() });
      return;
    case 'finish': {
      const report = await requireRunner().finish(msg.lateWindowMs);
      runner = null;
      send({ type: 'final', report });
      return;
    }
    case 'shutdown':
      port.close();
      return;
  }
}

function requireRunner(): PhaseRunner {
  if (runner === null) throw new Error('no phase is running in this worker');
  return runner;
}
