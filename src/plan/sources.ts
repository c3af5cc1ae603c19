/**
 * Source addresses for the client connections. One source address reaches one destination
 * (address, port) through at most the ephemeral port range (about 28,000 ports on Linux by
 * default), so beyond that the connections are spread over several sources: the addresses
 * the user gives with --local-address, or, against a loopback IPv4 target, 127.0.0.1,
 * 127.0.0.2, ... (all of 127.0.0.0/8 is the loopback interface on Linux).
 */
import { isIP } from 'node:net';

/** Connections planned per source address, below the default ephemeral range (32768-60999). */
export const CONNECTIONS_PER_SOURCE = 25_000;

export type SourcePlan = { ok: true; addresses: string[] } | { ok: false; message: string };

export function planSources(given: readonly string[], targetHost: string, connections: number): SourcePlan {
  const needed = Math.ceil(connections / CONNECTIONS_PER_SOURCE);
  if (given.length > 0) {
    if (given.length < needed) {
      return {
        ok: false,
        message: `${connections} connections need about ${needed} source addresses (at most ${CONNECTIONS_PER_SOURCE} per address to one port) but --local-address gives ${given.length}; add addresses or lower the connection count`,
      };
    }
    return { ok: true, addresses: [...given] };
  }
  if (needed <= 1) return { ok: true, addresses: [] };
  if (isIP(targetHost) === 4 && targetHost.startsWith('127.')) {
    return { ok: true, addresses: Array.from({ length: needed }, (_, i) => `127.0.0.${i + 1}`) };
  }
  return {
    ok: false,
    message: `${connections} connections to one address and port need about ${needed} source addresses (at most ${CONNECTIONS_PER_SOURCE} each); give them with --local-address a,b,c (addresses of this machine)`,
  };
}
