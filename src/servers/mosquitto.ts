/**
 * Debian's mosquitto as a managed child process: a config file written to a temporary
 * directory, free loopback ports, ready when mosquitto says it is running, stopped by the pid
 * started here (SIGTERM, SIGKILL after 5 s), the directory removed once it has exited. Used by
 * `mqbench run --broker mosquitto` (bundled-mosquitto.ts) and by the tests (test/helpers/mosquitto.ts).
 * Installed by scripts/install-mosquitto.sh (`sudo apt-get install mosquitto`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** What to run when mosquitto is missing, for messages. */
export const MOSQUITTO_INSTALL = 'sudo apt-get install mosquitto (or bash scripts/install-mosquitto.sh)';

export interface MosquittoListener {
  /** The listener's key in `ports` ('tcp', 'ws', ...). */
  name: string;
  /** mqtt (TCP) or websockets. */
  protocol: 'mqtt' | 'websockets';
  /** A fixed port (a restart after a kill); default: a fresh free one, retried when another process takes it. */
  port?: number;
  /** Certificate and key files: TLS on this listener. */
  tls?: { certPath: string; keyPath: string };
}

export interface MosquittoSpec {
  listeners: readonly MosquittoListener[];
  /** Global lines of the config (limits, authentication); may write files (a password file) into `dir` first. */
  settings?: (dir: string) => Promise<string[]> | string[];
}

export interface MosquittoProcess {
  pid: number;
  /** Bound port per listener name. */
  ports: Record<string, number>;
  /** The temporary directory of its config (and password file); removed once it has exited. */
  dir: string;
  /**
   * What mosquitto logged (errors, warnings, information) after it was running and before it was
   * asked to stop, line -> count; connections and disconnections are not logged (no `notice`).
   */
  logged(): Record<string, number>;
  /** SIGTERM, SIGKILL after 5 s; resolves once it has exited and its directory is removed. */
  stop(): Promise<void>;
  /** Resolves once the process has exited (e.g. killed by a test by its pid) and its directory is removed. */
  exited(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const ATTEMPTS = 5;

/**
 * The mosquitto binary: $MQBENCH_MOSQUITTO when set (null when nothing is there), else on PATH,
 * else in /usr/sbin or /usr/local/sbin (Debian puts it in /usr/sbin, often not on a user's PATH).
 */
export function mosquittoBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const own = env['MQBENCH_MOSQUITTO'];
  if (own !== undefined && own !== '') return existsSync(own) ? own : null;
  for (const dir of (env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])) {
    const candidate = join(dir, 'mosquitto');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Starts mosquitto with `spec`. mosquitto cannot listen on port 0 (it reads `listener 0` as a
 * Unix socket), so it is given numbers the kernel handed out a moment ago. Another process may
 * take one before mosquitto binds it: mosquitto then exits at once saying so, and it is started
 * again on fresh numbers. Fixed ports cannot change: a taken one is an error that says so.
 */
export async function startMosquitto(spec: MosquittoSpec): Promise<MosquittoProcess> {
  const bin = mosquittoBinary();
  if (bin === null) throw new Error(`mosquitto is not installed; install it with ${MOSQUITTO_INSTALL}`);
  const fixed = spec.listeners.some((l) => l.port !== undefined);
  for (let attempt = 1; ; attempt++) {
    const ports: Record<string, number> = {};
    for (const l of spec.listeners) ports[l.name] = l.port ?? (await freshPortNumber());
    const started = await startOnce(bin, spec, ports);
    if ('process' in started) return started.process;
    if (fixed || attempt === ATTEMPTS) {
      const where = Object.values(ports).map((p) => `${HOST}:${p}`).join(', ');
      throw new Error(`mosquitto could not listen on ${where} (attempt ${attempt}${fixed ? ', ports fixed by the caller' : ''}): ${started.inUse}`);
    }
  }
}

/** A port number the kernel gave a listener on port 0, released again: free a moment ago, not held. */
async function freshPortNumber(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port for mosquitto');
  return address.port;
}

/**
 * mosquitto's own messages when a listener cannot bind: the TCP listener's bind error, and
 * libwebsockets' failure to create the WebSocket one (it logs no cause).
 */
const IN_USE = /Error: Address already in use|Unable to create websockets listener on port/;
/** Logged once every listener is open: the ready signal (a probe that connects could reach another process's listener on a taken port). */
const RUNNING = /mosquitto version \S+ running/;
/**
 * Not counted: OpenSSL's line for a TLS peer that closed its socket without a close_notify, which
 * mqbench's own reachability probe (a TCP connect and close) does on every TLS run, as does a
 * client that drops (which the clients count as a disconnect already).
 */
const NOT_COUNTED = /SSL routines::unexpected eof while reading/;

/**
 * The config. A websockets listener is bound through libwebsockets, which reads the address as
 * an interface name: `listener N 127.0.0.1` binds every interface (mosquitto 2.0.11,
 * eclipse-mosquitto/mosquitto#3045, #3383), `lo` binds 127.0.0.1 only. Started as root, mosquitto drops to its own user before it opens the
 * certificate and the password file, which it could not read: it stays this user instead (no
 * effect when not root).
 */
export function mosquittoConfig(listeners: readonly MosquittoListener[], ports: Record<string, number>, settings: readonly string[], user: string | null): string {
  const lines = ['per_listener_settings false', ...(user === null ? [] : [`user ${user}`]), ...settings, 'persistence false', 'log_dest stderr', 'log_timestamp false', 'log_type error', 'log_type warning', 'log_type information'];
  for (const l of listeners) {
    lines.push(`listener ${ports[l.name]} ${l.protocol === 'websockets' ? 'lo' : HOST}`, `protocol ${l.protocol}`);
    if (l.tls !== undefined) lines.push(`certfile ${l.tls.certPath}`, `keyfile ${l.tls.keyPath}`);
  }
  return `${lines.join('\n')}\n`;
}

function currentUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): mosquitto, if root, keeps its default.
    return null;
  }
}

async function startOnce(bin: string, spec: MosquittoSpec, ports: Record<string, number>): Promise<{ process: MosquittoProcess } | { inUse: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mqbench-mosquitto-'));
  let child: ChildProcess;
  try {
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(conf, mosquittoConfig(spec.listeners, ports, (await spec.settings?.(dir)) ?? [], currentUser()));
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const gone = new Promise<void>((resolve) => child.once('close', () => void rm(dir, { recursive: true, force: true }).then(() => resolve(), () => resolve())));
  const log = new LogLines();
  const outcome = await new Promise<'running' | 'exited' | 'timeout' | Error>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS);
    const end = (o: 'running' | 'exited' | Error): void => {
      clearTimeout(timer);
      resolve(o);
    };
    child.once('error', (err) => end(new Error(`mosquitto could not be started from ${bin}: ${err.message}`)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (log.add(d)) end('running');
    });
    child.once('close', () => end('exited'));
  });
  const pid = child.pid;
  if (outcome instanceof Error || pid === undefined) {
    // A failed spawn may never emit 'close': the directory is removed here.
    await rm(dir, { recursive: true, force: true });
    throw outcome instanceof Error ? outcome : new Error(`mosquitto could not be started from ${bin}`);
  }
  if (outcome === 'exited') {
    // 'close' comes after the last stderr chunk: the whole log is in.
    await gone;
    if (IN_USE.test(log.text)) return { inUse: log.text.trim() };
    throw new Error(`mosquitto exited during start-up with code ${child.exitCode}: ${log.text.trim()}`);
  }
  const stop = (): Promise<void> => {
    log.stopping = true;
    return stopChild(child, pid, gone);
  };
  if (outcome === 'timeout') {
    await stop();
    throw new Error(`mosquitto did not report running within ${START_TIMEOUT_MS / 1000} s: ${log.text.trim()}`);
  }
  return { process: { pid, ports, dir, logged: () => ({ ...log.counts }), stop, exited: () => gone } };
}

/** mosquitto's stderr: everything up to "running" kept as text (for start-up errors), later lines counted. */
class LogLines {
  text = '';
  counts: Record<string, number> = {};
  stopping = false;
  private running = false;
  private partial = '';

  /** Takes a chunk; true when this chunk made mosquitto running. */
  add(chunk: string): boolean {
    if (!this.running) {
      this.text += chunk;
      if (!RUNNING.test(this.text)) return false;
      this.running = true;
      this.partial = this.text.slice(this.text.search(RUNNING)).replace(/^[^\n]*\n?/, '');
      this.countLines();
      return true;
    }
    this.partial += chunk;
    this.countLines();
    return false;
  }

  private countLines(): void {
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.stopping) return;
    for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !NOT_COUNTED.test(l))) this.counts[`mosquitto: ${line}`] = (this.counts[`mosquitto: ${line}`] ?? 0) + 1;
  }
}

function stopChild(child: ChildProcess, pid: number, gone: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return gone;
  const timer = setTimeout(() => signal(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
  void gone.then(() => clearTimeout(timer));
  signal(pid, 'SIGTERM');
  return gone;
}

/** Signals the process started here, by its pid; one that has just exited (ESRCH) needs nothing more. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
