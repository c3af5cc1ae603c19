/** An in-memory Io for running CLI commands inside a test: output captured, Ctrl-C on demand. */
import type { Io } from '../../src/cli/io.js';

export interface MemoryIo {
  io: Io;
  out(): string;
  err(): string;
}

/** onStderr sees all stderr so far and can send the one Ctrl-C the command listens for. */
export function memoryIo(onStderr?: (soFar: string, interrupt: () => void) => void): MemoryIo {
  let out = '';
  let err = '';
  const listeners: Array<() => void> = [];
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: {
        write(s: string) {
          err += s;
          onStderr?.(err, () => listeners.splice(0).forEach((l) => l()));
          return true;
        },
        isTTY: false,
      },
      env: { NO_COLOR: '1' },
      onInterrupt(listener) {
        listeners.push(listener);
        return () => void listeners.splice(listeners.indexOf(listener) >>> 0, 1);
      },
      untilTerminated: () => new Promise<string>(() => undefined),
      exit: () => undefined,
    },
    out: () => out,
    err: () => err,
  };
}
