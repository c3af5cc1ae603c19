/** Exit codes, one meaning each (documented in the README). */
export const ExitCode = {
  Pass: 0,
  /** A gate or delivery check failed. */
  Failed: 1,
  /** Usage, flag or scenario error: nothing ran. */
  BadInput: 2,
  /** The run could not complete: target unreachable, clients could not connect, a worker crashed. */
  CouldNotComplete: 3,
  /** Interrupted (SIGINT, SIGTERM or SIGHUP); results so far were written. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
