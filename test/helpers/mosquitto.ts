/**
 * Debian's mosquitto as a real external broker for tests and benchmarks: started on free
 * loopback ports with its own config, stopped by the pid started here (src/servers/mosquitto.ts
 * does the starting, the retry on a taken port and the stopping). Installed by
 * scripts/install-mosquitto.sh (run by .ci/run and `npm run bench`).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mosquittoBinary, startMosquitto as startManaged } from '../../src/servers/mosquitto.js';

export { mosquittoBinary };

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

/** How a test wants its mosquitto. */
export interface MosquittoOptions {
  /**
   * 'tuned' (the default): in-flight and queue limits raised and Nagle off, so figures show
   * mosquitto's speed, not its limits. 'debian': only loopback listeners and anonymous access,
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
  const tuned = (opts.config ?? 'tuned') === 'tuned' ? ['set_tcp_nodelay true', 'max_inflight_messages 1000', 'max_queued_messages 0'] : [];
  const users = opts.users;
  const m = await startManaged({
    listeners: [
      { name: 'tcp', protocol: 'mqtt', ...(opts.port !== undefined ? { port: opts.port } : {}) },
      { name: 'ws', protocol: 'websockets', ...(opts.wsPort !== undefined ? { port: opts.wsPort } : {}) },
    ],
    settings: async (dir) => [...(users === undefined ? ['allow_anonymous true'] : ['allow_anonymous false', `password_file ${await passwordFile(dir, users)}`]), ...tuned],
  });
  const port = m.ports['tcp'] ?? 0;
  const wsPort = m.ports['ws'] ?? 0;
  return { url: `mqtt://127.0.0.1:${port}`, port, wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`, wsPort, pid: m.pid, stop: () => m.stop(), exited: () => m.exited() };
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
