/**
 * Secrets out of every output: the one place that decides what a password looks like in a URL
 * or on a command line and puts `***` in its place. Targets are redacted when they are parsed
 * (src/config/credentials.ts), the stored command line when the result is made
 * (src/coordinator/document.ts), so the terminal, the result JSON and every report show only this.
 */

/** What every output shows in place of a secret. */
export const REDACTED = '***';

/** Flags whose value is a secret (`--password secret`, `--password=secret`). */
export const SECRET_FLAGS: readonly string[] = ['--password'];

/**
 * `scheme://user:password@host` with the password replaced: `scheme://user:***@host`.
 * The user info runs to the last '@' of the text, so a password with a raw '@', '/' or ' ' is
 * hidden whole; a URL whose path holds an '@' after a ':' is over-redacted (shown, never sent).
 * Text without user info is returned as it is.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@]*):[^]*@/i, `$1:${REDACTED}@`);
}

/** A command line as it may be stored and shown: secret flag values and URL passwords as `***`. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = SECRET_FLAGS.find((f) => arg === f || arg.startsWith(`${f}=`));
    if (flag === undefined) out.push(redactUrl(arg));
    else if (arg === flag) {
      out.push(arg);
      // The next argument is hidden whatever it is: one flag too many hidden beats a password shown.
      if (i + 1 < argv.length) {
        out.push(REDACTED);
        i++;
      }
    } else out.push(`${flag}=${REDACTED}`);
  }
  return out;
}
