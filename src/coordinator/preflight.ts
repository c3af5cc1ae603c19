/**
 * Checks made before the first connection that depend on this machine rather than on the
 * flags: enough file descriptors for the connections asked, and enough source addresses.
 * Problems come back as config issues (exit 2), each naming the fix.
 */
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../config/run-config.js';
import { applyCell, type Scenario } from '../config/model.js';
import { planSources } from '../plan/sources.js';
import { MOSQUITTO_INSTALL, mosquittoBinary } from '../servers/mosquitto.js';

/** Descriptors the process needs beyond its client sockets: workers, pipes, files, the probe. */
export const FD_RESERVE = 256;

/** The open-files limit (soft, hard) from /proc/self/limits; null where that file is not there. */
export function openFilesLimit(limitsText?: string): { soft: number; hard: number } | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (m === null) return null;
  const n = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}

/** The most clients of any phase: every phase holds its own connections, one phase at a time (a matrix cell never changes the counts). */
export function clientsPerPhase(config: Scenario): number {
  return config.groups.reduce((a, g) => a + g.clients, 0);
}

/** Some phase's MQTT groups are served by a mosquitto mqbench starts (--broker mosquitto, broker:, matrix.broker). */
function usesMosquitto(config: Scenario): boolean {
  if (config.targets.length > 0) return false;
  return config.cells.some((c) => (c.broker ?? config.broker) === 'mosquitto' && applyCell(config.groups, c).some((g) => g.protocol === 'mqtt'));
}

export function preflight(config: Scenario, limits = openFilesLimit()): { issues: ConfigIssue[]; sources: string[] } {
  const issues: ConfigIssue[] = [];
  const clients = clientsPerPhase(config);
  if (limits !== null && clients + FD_RESERVE > limits.soft) {
    const want = clients + FD_RESERVE;
    const fix =
      limits.hard >= want
        ? `raise it with 'ulimit -n ${want}' in this shell (the hard limit is ${limits.hard})`
        : `the hard limit is ${limits.hard}: raise it (as root: 'ulimit -Hn ${want}', or nofile in /etc/security/limits.conf, or LimitNOFILE= for a service) or lower the client count`;
    issues.push({
      where: config.file === null ? '--connections/--publishers/--subscribers' : `${config.file}: groups[].clients`,
      message: `${clients} clients need about ${want} open files (one per connection plus ${FD_RESERVE}) but this process may open ${limits.soft}; ${fix}. A bundled broker needs as many in its own process.`,
    });
  }
  if (usesMosquitto(config) && mosquittoBinary() === null) {
    const own = process.env['MQBENCH_MOSQUITTO'];
    const looked = own !== undefined && own !== '' ? `MQBENCH_MOSQUITTO=${own}` : 'PATH, /usr/sbin, /usr/local/sbin';
    issues.push({ where: 'mosquitto', message: `not installed (looked in ${looked}); install it with ${MOSQUITTO_INSTALL}, or run with --broker aedes (MQTT 3.1.1) or --target` });
  }
  const host = config.targets[0]?.host ?? config.wsTargets[0]?.host ?? '127.0.0.1';
  const sources = planSources(config.localAddresses, host, clients);
  if (!sources.ok) issues.push({ where: '--local-address', message: sources.message });
  return { issues, sources: sources.ok ? sources.addresses : [] };
}
