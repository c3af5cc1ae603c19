/**
 * The values of the outputs that follow a run while it runs: --metrics-listen (where the
 * Prometheus endpoint listens) and --timeline (the file each second is appended to). Pure
 * parsing; the CLI opens the listener and the file before any load.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import type { Parsed } from './units.js';

export interface ListenAddress {
  /** An IP literal, unbracketed: 127.0.0.1 when the value named no host. */
  host: string;
  /** 0: any free port (the bound one is printed). */
  port: number;
  /** The address reaches only this machine (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
  /** As the user wrote it, for messages. */
  written: string;
}

export interface LiveOutputFlags {
  /** --metrics-listen, or null. */
  metricsListen: ListenAddress | null;
  /** --timeline, or null. */
  timeline: TimelineFile | null;
}

export type TimelineFormat = 'csv' | 'ndjson';

export interface TimelineFile {
  path: string;
  format: TimelineFormat;
}

const HOST_FIX = 'give PORT (127.0.0.1:PORT), :PORT, localhost:PORT, an IPv4 address and port (0.0.0.0:9464 to serve every interface) or [IPv6]:PORT';

/**
 * '9464' and ':9464' listen on 127.0.0.1; 'localhost:9464' too; an IP literal ('0.0.0.0:9464',
 * '192.168.1.5:9464', '[::1]:9464') as written, so only an address the user names leaves the machine.
 */
export function parseListen(text: string): Parsed<ListenAddress> {
  const written = text.trim();
  const m = /^(?:(\[[^\]]*\]|[^:[\]]*):)?([^:]*)$/.exec(written);
  if (written === '' || m === null) return { ok: false, error: `'${text}' is not HOST:PORT; ${HOST_FIX}` };
  const rawHost = m[1] ?? '';
  // 'localhost', '10.0.0.1': a host alone.
  if (m[1] === undefined && !/^\d+$/.test(written)) return { ok: false, error: `'${text}' has no port; ${HOST_FIX}` };
  const port = readPort(m[2] ?? '', text);
  if (!port.ok) return port;
  const bare = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (bare === '' || bare.toLowerCase() === 'localhost') return { ok: true, value: { host: '127.0.0.1', port: port.value, loopback: true, written } };
  const family = isIP(bare);
  if (family === 0 || (family === 6) !== rawHost.startsWith('[')) {
    const why = family === 6 ? 'an IPv6 address goes in brackets' : `'${rawHost}' is not an IP address or localhost (host names are not resolved)`;
    return { ok: false, error: `'${text}': ${why}; ${HOST_FIX}` };
  }
  return { ok: true, value: { host: bare, port: port.value, loopback: isLoopback(bare), written } };
}

function readPort(text: string, whole: string): Parsed<number> {
  if (text === '') return { ok: false, error: `'${whole}' has no port; ${HOST_FIX}` };
  const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= 65535)) return { ok: false, error: `'${whole}': port '${text}' must be a whole number from 0 to 65535 (0: any free port, printed when the run starts)` };
  return { ok: true, value: n };
}

export function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
}

/** The format follows the extension: .csv or .ndjson. */
export function parseTimelineFile(text: string): Parsed<TimelineFile> {
  const file = text.trim();
  if (file === '') return { ok: false, error: 'must name a file ending in .csv or .ndjson' };
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return { ok: true, value: { path: file, format: 'csv' } };
  if (ext === '.ndjson') return { ok: true, value: { path: file, format: 'ndjson' } };
  return { ok: false, error: `'${text}': the format follows the extension, .csv (one header line, then a row per second) or .ndjson (a JSON object per line), not '${ext === '' ? '(none)' : ext}'` };
}
