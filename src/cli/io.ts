/** Every process global the CLI touches, in one injected struct so commands run in tests in memory. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /**
   * Subscribes to the signals that stop a run: SIGINT (Ctrl-C), SIGTERM (CI runners, Kubernetes,
   * `kill`) and SIGHUP (a closed terminal or SSH session). The listener gets the signal's name;
   * returns the unsubscribe function.
   */
  onInterrupt(listener: (signal?: InterruptSignal) => void): () => void;
  /** Resolves with the signal's name when SIGINT, SIGTERM or SIGHUP arrives (for standalone servers). */
  untilTerminated(): Promise<string>;
  /**
   * Quits at once with this code, workers, servers and pending output left behind: only for a
   * second interrupt. Every other ending returns its code to bin.ts, which lets the process drain.
   */
  exit(code: number): void;
}

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(listener) {
      // A listener replaces the default action (exit 128+n), so a run stops, drains and writes its result.
      const handlers = INTERRUPT_SIGNALS.map((signal) => [signal, () => listener(signal)] as const);
      for (const [signal, handler] of handlers) process.on(signal, handler);
      return () => {
        for (const [signal, handler] of handlers) process.off(signal, handler);
      };
    },
    untilTerminated() {
      return new Promise((resolve) => {
        for (const signal of INTERRUPT_SIGNALS) process.once(signal, () => resolve(signal));
      });
    },
    exit(code) {
      process.exit(code);
    },
  };
}

/** Colour only on a TTY, and never when NO_COLOR is set (no-color.org). */
export function wantsColour(stream: OutStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '') && env['TERM'] !== 'dumb';
}
