/**
 * MQTT credentials: --username, --password, --password-file (the scenario keys username,
 * password, passwordFile), and the user info of target URLs (mqtt://alice:secret@host:1883,
 * percent-decoded). An explicit value wins over user info, part by part. The password lives only
 * in Scenario.credentials, from where it goes into the CONNECT packets; targets keep their URL
 * with *** in its place (redact.ts), so no message, result or report can show it.
 */
import { readFileSync } from 'node:fs';
import { parseTarget, type AddIssue, type Target } from './endpoints.js';
import { redactUrl } from './redact.js';

export interface Credentials {
  /** CONNECT user name; absent: none sent. */
  username?: string;
  /** CONNECT password; absent: none sent. Never written to any output. */
  password?: string;
}

/** A target, its URL already redacted, and the user info the URL carried. */
export interface ParsedTarget {
  target: Target;
  user: Credentials;
}

/** Where problems are reported (flags such as '--password', or file positions), and how to name the user name's setting. */
export interface CredentialPlaces {
  password: string;
  target: string;
  /** '--username', or 'username:' in a scenario file. */
  usernameSetting: string;
}

export const FLAG_PLACES: CredentialPlaces = { password: '--password', target: '--target', usernameSetting: '--username' };

/**
 * parseTarget (endpoints.ts) plus the URL's user info. The Target's url, and every message
 * about it, show the password as ***. kind 'ws' (a plain WebSocket server) takes no user info:
 * there is no CONNECT to carry it, and HTTP basic auth on the upgrade is not supported.
 */
export function readTarget(input: string, where: string, add: AddIssue, kind: 'mqtt' | 'ws' = 'mqtt'): ParsedTarget | null {
  const shown = redactUrl(input);
  const target = parseTarget(input, where, (w, m) => add(w, m.split(input).join(shown)), kind);
  if (target === null) return null;
  // parseTarget has parsed it already.
  const url = new URL(input);
  const user: Credentials = {};
  try {
    if (url.username !== '') user.username = decodeURIComponent(url.username);
    if (url.password !== '') user.password = decodeURIComponent(url.password);
  } catch (err) {
    add(where, `${shown}: the user info is not valid percent-encoding (${(err as Error).message}); write e.g. %40 for @ and %3A for :`);
    return null;
  }
  if (kind === 'ws' && (user.username !== undefined || user.password !== undefined)) {
    add(where, `${shown}: a plain WebSocket server gets no credentials (no MQTT CONNECT; HTTP basic auth is not supported); drop the user info`);
    return null;
  }
  return { target: { ...target, url: shown }, user };
}

/** The password: the first line of the file, without its line end. `shown` is the path as the user wrote it. */
export function readPasswordFile(path: string, where: string, add: AddIssue, shown = path): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    add(where, `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; give a readable file whose first line is the password`);
    return null;
  }
  const first = (text.split('\n', 1)[0] ?? '').replace(/\r$/, '');
  if (first === '') {
    add(where, `${shown} has an empty first line; the password is the first line of the file`);
    return null;
  }
  return first;
}

/** A flag given once, as a non-empty string; null when not given or wrong (reported). */
function single(where: string, raw: unknown, what: string, add: AddIssue): string | null {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) {
    add(where, `given ${raw.length} times; give it once`);
    return null;
  }
  const v = String(raw);
  if (v === '') add(where, `needs ${what}`);
  return v === '' ? null : v;
}

/** --username, --password, --password-file: what they give, every problem reported. */
export function credentialFlags(raw: { username?: unknown; password?: unknown; passwordFile?: unknown }, add: AddIssue): Credentials {
  const out: Credentials = {};
  const username = single('--username', raw.username, 'a user name', add);
  if (username !== null) out.username = username;
  if (raw.password !== undefined && raw.passwordFile !== undefined) {
    add('--password/--password-file', 'choose one: --password VALUE, or --password-file FILE (first line; keeps the password out of the shell history)');
    return out;
  }
  const password = single('--password', raw.password, 'a password (or use --password-file FILE)', add);
  if (password !== null) out.password = password;
  const file = single('--password-file', raw.passwordFile, 'a file whose first line is the password', add);
  const fromFile = file === null ? null : readPasswordFile(file, '--password-file', add);
  if (fromFile !== null) out.password = fromFile;
  return out;
}

/**
 * The credentials a run connects with: each part explicit (flag or scenario key), else the
 * targets' user info, which must then agree (one run connects as one user). A password needs
 * a user name: MQTT 3.1.1 sends none without one.
 */
export function resolveCredentials(explicit: Credentials, targets: readonly ParsedTarget[], places: CredentialPlaces, add: AddIssue): Credentials {
  const out: Credentials = {};
  for (const part of ['username', 'password'] as const) {
    const value = explicit[part];
    if (value !== undefined) {
      out[part] = value;
      continue;
    }
    const carrying = targets.filter((t) => t.user[part] !== undefined);
    const first = carrying[0];
    if (first === undefined) continue;
    const other = carrying.find((t) => t.user[part] !== first.user[part]);
    if (other !== undefined) {
      add(places.target, `${first.target.url} and ${other.target.url} carry different user info; one run connects as one user: give the same, or --username/--password`);
    } else out[part] = first.user[part];
  }
  if (out.password !== undefined && out.username === undefined) {
    add(places.password, `a password needs a user name (MQTT 3.1.1 sends no password without one); add ${places.usernameSetting} or user info in the target URL`);
  }
  return out;
}

/** Plain WebSocket runs (--protocol ws) have no CONNECT: credentials there are a mistake, not silently dropped. */
export function refuseCredentials(c: Credentials, where: string, what: string, add: AddIssue): void {
  if (c.username !== undefined || c.password !== undefined) {
    add(where, `${what} would go into an MQTT CONNECT, and a plain WebSocket run (--protocol ws) has none (HTTP basic auth is not supported); drop it`);
  }
}

/** Matches a CONNACK refusal for credentials (3.1.1 return codes 4 and 5, MQTT 5 reason codes 0x86 and 0x87). */
const AUTH_REFUSAL = /not authori[sz]ed|bad user ?name or password/i;

/** What to do when the broker refused the credentials, or null when no failure was one. */
export function authHint(messages: readonly string[], credentials: Credentials | undefined): string | null {
  if (!messages.some((m) => AUTH_REFUSAL.test(m))) return null;
  return credentials?.username === undefined
    ? 'the broker wants credentials and none were sent: check --username/--password (or --password-file, user info in the --target URL, or username:/password: in the scenario file)'
    : `the broker refused user '${credentials.username}': check --username/--password (or --password-file)`;
}
