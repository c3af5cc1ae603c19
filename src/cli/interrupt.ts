/**
 * SIGINT, SIGTERM (CI runners, Kubernetes) and SIGHUP stop a run or a search the same way: the
 * first one aborts (the current phase stops, drains and is written), a second quits at once
 * without a file. Shared by `run` and `capacity`; the CLI is the only place that exits.
 */
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

export interface SignalStop {
  signal: AbortSignal;
  /** Stops listening for the signals. */
  unsubscribe(): void;
}

/** `what` finishes the sentence "finishing the current phase and writing ..." ('results', 'the capacity result'). */
export function stopOnSignals(io: Io, clearProgress: () => void, what = 'results'): SignalStop {
  const controller = new AbortController();
  let interrupts = 0;
  const unsubscribe = io.onInterrupt((signal = 'SIGINT') => {
    interrupts++;
    clearProgress();
    if (interrupts === 1) {
      io.stderr.write(`mqbench: interrupted (${signal}); finishing the current phase and writing ${what} (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)\n`);
      controller.abort();
    } else {
      io.stderr.write(`mqbench: ${signal}, a second signal: quitting without a result file\n`);
      io.exit(ExitCode.Interrupted);
    }
  });
  return { signal: controller.signal, unsubscribe };
}
