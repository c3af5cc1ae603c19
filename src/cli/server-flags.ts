/**
 * Flags and checks shared by the standalone server commands (`mqbench broker`, `mqbench echo`):
 * listener ports, --host, the TLS files, and turning a failed listen into the flag to change.
 */
import type { Argv } from 'yargs';
import { ListenError } from '../servers/listen.js';
import { bundledTlsMaterial, defaultCertDir, loadTlsMaterial, type TlsMaterial } from '../servers/tls-certs.js';
import { errorMessage } from '../drivers/errors.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

/** --host, --cert, --key, --ca. */
export function serverOptions<T>(y: Argv<T>) {
  return y
    .option('host', { type: 'string', describe: 'Address to listen on (loopback only by default)', default: '127.0.0.1' })
    .option('cert', { type: 'string', describe: 'Server certificate (PEM) for the TLS listeners. Default: a certificate from the bundled local CA' })
    .option('key', { type: 'string', describe: 'Private key (PEM) of --cert' })
    .option('ca', { type: 'string', describe: 'CA certificate (PEM) clients must trust, printed at start. Default: --cert itself' });
}

/** The TLS file flags as given. */
export interface TlsFlags {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}

/** A listener asked for on the command line: which transport, the flag that asked, the port. */
export interface ListenerFlag<T extends string> {
  transport: T;
  flag: string;
  port: number;
}

/** Every problem with the ports: range, and two listeners on one fixed port. */
export function portProblems(listeners: ReadonlyArray<ListenerFlag<string>>): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const { flag, port } of listeners) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      problems.push(`${flag} '${port}' must be a whole number from 0 to 65535 (0 picks a free port)`);
      continue;
    }
    const other = seen.get(port);
    if (port !== 0 && other !== undefined) problems.push(`${other} and ${flag} both ask for port ${port}; give each listener its own port`);
    seen.set(port, flag);
  }
  return problems;
}

/**
 * A listener flag's port, read from its text (the options are strings: yargs' number type reads
 * 0x10 as 16, 1e3 as 1000, abc as NaN and a flag with no value as not given). undefined when not
 * given; a problem, and no listener, when the text is not a port.
 */
export function readPort(flag: string, text: string | undefined, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (text.trim() === '') problems.push(`${flag} needs a port number (0 picks a free one)`);
  else if (!Number.isInteger(port) || port > 65_535) problems.push(`${flag} '${text}' must be a whole number from 0 to 65535 (0 picks a free port)`);
  else return port;
  return undefined;
}

/** A listener option: a port as text, read by readPort. */
export const portOption = (describe: string) => ({ type: 'string', describe }) as const;

/**
 * Problems with --cert/--key/--ca: they need a TLS listener (`tlsOn`; `hint` names the flags
 * that start one), and --cert and --key go together.
 */
export function tlsFlagProblems(flags: TlsFlags, tlsOn: boolean, hint: string): string[] {
  const given = (['cert', 'key', 'ca'] as const).filter((f) => flags[f] !== undefined).map((f) => `--${f}`);
  if (given.length === 0) return [];
  if (!tlsOn) return [`${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to TLS listeners; add ${hint}, or drop ${given.length === 1 ? 'it' : 'them'}`];
  if ((flags.cert === undefined) !== (flags.key === undefined)) return ['--cert and --key go together: give both, or neither for the bundled local CA'];
  if (flags.cert === undefined) return ['--ca needs --cert and --key (without them the bundled local CA is used)'];
  return [];
}

/** TLS material from --cert/--key/--ca, else the bundled local CA from the certificate cache. */
export async function resolveTls(flags: TlsFlags, io: Io): Promise<TlsMaterial> {
  if (flags.cert !== undefined && flags.key !== undefined) {
    return loadTlsMaterial({ cert: flags.cert, key: flags.key, ...(flags.ca !== undefined ? { ca: flags.ca } : {}) });
  }
  return bundledTlsMaterial(defaultCertDir(io.env));
}

/** One line saying why a listen failed and which flag to change. */
export function listenFailure(err: unknown, listeners: ReadonlyArray<ListenerFlag<string>>): string {
  const text = err instanceof Error ? err.message : String(err);
  if (!(err instanceof ListenError)) return text;
  const flag = listeners.find((l) => l.transport === err.listener)?.flag ?? `--${err.listener}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${text}. Pick another ${flag} (0 for a free one), or stop what holds the port.`;
    case 'EACCES':
      return `${text}. Ports below 1024 need privileges: pick another ${flag} (0 for a free one).`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `${text}. Pick another --host: an address of this machine, such as 127.0.0.1.`;
    default:
      return `${text}. Check --host and ${flag}.`;
  }
}

/** A standalone server's start-up steps shared by `broker` and `echo`. */
export interface StandaloneSpec<T extends string, S> {
  /** 'broker' or 'echo', for messages. */
  command: string;
  flags: TlsFlags;
  listeners: Array<ListenerFlag<T>>;
  /** Problems found before this (e.g. conflicting flags). */
  problems: string[];
  /** Transports that need TLS material, and the flags to suggest when TLS flags come alone. */
  secure: readonly T[];
  tlsHint: string;
  start(listeners: Partial<Record<T, number>>, tls: TlsMaterial | undefined): Promise<S>;
}

/**
 * Validates the listener and TLS flags (all problems at once), loads or generates the TLS
 * material, and starts the server. Returns the running server, or the exit code after
 * writing why it could not start.
 */
export async function startStandalone<T extends string, S>(spec: StandaloneSpec<T, S>, io: Io): Promise<{ server: S; tls: TlsMaterial | undefined } | number> {
  const say = (line: string): void => {
    io.stderr.write(`mqbench ${spec.command}: ${line}\n`);
  };
  const secure = spec.listeners.some((l) => spec.secure.includes(l.transport));
  const problems = [...spec.problems, ...portProblems(spec.listeners), ...tlsFlagProblems(spec.flags, secure, spec.tlsHint)];
  if (problems.length > 0) {
    for (const p of problems) say(p);
    return ExitCode.BadInput;
  }
  let tls: TlsMaterial | undefined;
  if (secure) {
    try {
      tls = await resolveTls(spec.flags, io);
    } catch (err) {
      say(errorMessage(err));
      return ExitCode.BadInput;
    }
  }
  try {
    const server = await spec.start(Object.fromEntries(spec.listeners.map((l) => [l.transport, l.port])) as Partial<Record<T, number>>, tls);
    return { server, tls };
  } catch (err) {
    say(listenFailure(err, spec.listeners));
    return ExitCode.BadInput;
  }
}
