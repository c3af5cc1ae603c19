/** Every process global the CLI touches, in one injected struct so commands run in tests in memory. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** Subscribes to SIGINT; returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
  /** Resolves when SIGINT or SIGTERM arrives (for standalone servers). */
  untilTerminated(): Promise<string>;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
    untilTerminated() {
      return new Promise((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
    },
  };
}

/** Colour only on a TTY, and never when NO_COLOR is set (no-color.org). */
export function wantsColour(stream: OutStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '') && env['TERM'] !== 'dumb';
}
