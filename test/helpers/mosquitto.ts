/**
 * Debian's mosquitto as a real external broker for tests and benchmarks: started on a free
 * loopback port with its own config, stopped by the pid started here. Installed by
 * scripts/install-mosquitto.sh (run by .ci/run and `npm run bench`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface Mosquitto {
  /** MQTT over TCP. */
  url: string;
  port: number;
  /** MQTT over WebSocket (mosquitto serves any path). */
  wsUrl: string;
  wsPort: number;
  pid: number;
  stop(): Promise<void>;
  /** Resolves once the process has exited (e.g. after a test killed it by its pid). */
  exited(): Promise<void>;
}

export function mosquittoBinary(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])) {
    const candidate = join(dir, 'mosquitto');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return null;
}

/** How a test wants its mosquitto. */
export interface MosquittoOptions {
  /**
   * 'tuned' (the default): in-flight and queue limits raised and Nagle off, so figures show
   * mosquitto's speed, not its limits. 'debian': only a loopback listener and anonymous access,
   * everything else as Debian ships it (max_inflight_messages 20, max_queued_messages 1000,
   * Nagle on): the broker users meet.
   */
  config?: 'tuned' | 'debian';
  /** Reuse these ports (a restart after a kill); default: free ones. */
  port?: number;
  wsPort?: number;
  /**
   * User names and their passwords: anonymous access is then off (`allow_anonymous false`) and
   * these users are in a password file hashed by mosquitto_passwd. Default: anonymous access.
   */
  users?: Record<string, string>;
}

/**
 * mosquitto's defaults suit a small deployment, not a benchmark: 20 QoS 1/2 messages in flight
 * per client (a 3.1.1 publisher with more unacknowledged QoS 2 messages is disconnected) and a
 * 1000-message queue per subscriber (QoS 1 messages beyond it are dropped). The tuned
 * configuration raises both so the figures show mosquitto's speed, not its limits; Nagle is off
 * as on mqbench's clients. The 'debian' configuration keeps them, as users run it.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  // mosquitto cannot listen on port 0 (it reads `listener 0` as a Unix socket), so it is given
  // numbers the kernel handed out a moment ago. Another process may take one before mosquitto
  // binds it: mosquitto then exits at once saying so, and it is started again on fresh numbers.
  // Ports a caller asked for (a restart after a kill, which the run under test reconnects to)
  // cannot change: a taken one is an error that says what happened.
  const fixed = opts.port !== undefined || opts.wsPort !== undefined;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freshPortNumber());
    const wsPort = opts.wsPort ?? (await freshPortNumber());
    const started = await startOnce(opts, port, wsPort);
    if ('mosquitto' in started) return started.mosquitto;
    if (fixed || attempt === 5) throw new Error(`mosquitto could not listen on 127.0.0.1:${port} and :${wsPort} (attempt ${attempt}${fixed ? ', ports fixed by the caller' : ''}): ${started.inUse}`);
  }
}

/** A port number the kernel gave a listener on port 0, released again: free a moment ago, not held. */
async function freshPortNumber(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * mosquitto's own messages when a listener cannot bind: the TCP listener's bind error, and
 * libwebsockets' failure to create the WebSocket one (it logs no cause).
 */
const IN_USE = /Error: Address already in use|Unable to create websockets listener on port/;

/**
 * One start on the given ports. Ready is mosquitto's own "running" line, which it logs once every
 * listener is open: a probe that connects could reach another process's listener on a taken port.
 */
async function startOnce(opts: MosquittoOptions, port: number, wsPort: number): Promise<{ mosquitto: Mosquitto } | { inUse: string }> {
  const bin = mosquittoBinary();
  if (bin === null) throw new Error('mosquitto is not installed; run scripts/install-mosquitto.sh');
  const dir = await mkdtemp(join(tmpdir(), 'mqbench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const tuned = (opts.config ?? 'tuned') === 'tuned' ? ['set_tcp_nodelay true', 'max_inflight_messages 1000', 'max_queued_messages 0'] : [];
  // Started as root, mosquitto drops to its own user before it opens the password file, which is
  // in a directory only we can read: it stays this user instead (no effect when not root).
  const auth = opts.users === undefined ? ['allow_anonymous true'] : ['allow_anonymous false', `password_file ${await passwordFile(dir, opts.users)}`, `user ${userInfo().username}`];
  await writeFile(
    conf,
    [
      'per_listener_settings false',
      ...auth,
      `listener ${port} 127.0.0.1`,
      `listener ${wsPort} 127.0.0.1`,
      'protocol websockets',
      ...tuned,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // "Opening ... listen socket on port N." and "mosquitto version X running": the ready signal.
      'log_type information',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`mosquitto could not be started from ${bin}`);
  let stderr = '';
  const outcome = await new Promise<'running' | 'exited' | 'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), 10_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/mosquitto version \S+ running/.test(stderr)) {
        clearTimeout(timer);
        resolve('running');
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve('exited');
    });
  });
  if (outcome === 'exited') {
    // 'exit' can come before the last stderr chunk: read the pipe to its end.
    if (!child.stderr.readableEnded) await new Promise((resolve) => child.stderr.once('end', resolve));
    if (IN_USE.test(stderr)) return { inUse: stderr.trim() };
    throw new Error(`mosquitto exited with code ${child.exitCode}: ${stderr}`);
  }
  if (outcome === 'timeout') {
    await stopChild(child, pid);
    throw new Error(`mosquitto did not report running on 127.0.0.1:${port} and :${wsPort} within 10 s: ${stderr}`);
  }
  return {
    mosquitto: {
      url: `mqtt://127.0.0.1:${port}`,
      port,
      wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
      wsPort,
      pid,
      stop: () => stopChild(child, pid),
      exited: () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))),
    },
  };
}

/** A mosquitto password file for `users` in `dir`, hashed by mosquitto_passwd (batch mode, so passwords may hold ':'). */
async function passwordFile(dir: string, users: Record<string, string>): Promise<string> {
  const file = join(dir, 'passwd');
  await writeFile(file, '', { mode: 0o600 });
  for (const [user, password] of Object.entries(users)) {
    await new Promise<void>((resolve, reject) => {
      execFile('mosquitto_passwd', ['-b', file, user, password], (err, _stdout, stderr) => (err ? reject(new Error(`mosquitto_passwd -b ${file} ${user} failed: ${err.message} ${stderr}`)) : resolve()));
    });
  }
  return file;
}

function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(pid, 'SIGTERM');
  });
}
