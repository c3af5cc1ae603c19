/**
 * Where a run connects from and to: target URLs, the CA to trust, source addresses. Shared by
 * the flags (--target, --ws-target, --ca, --local-address) and scenario files (target,
 * wsTarget, ca, localAddress); `where` names the flag or the file position in messages.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Transport } from '../drivers/transports.js';

export type AddIssue = (where: string, message: string) => void;

export interface Target {
  /** The URL as the user wrote it, for messages and the result. */
  url: string;
  /** From the scheme: mqtt:// tcp, mqtts:// tls, ws:// ws, wss:// wss. */
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket path ('' when the URL has none: the protocol fills in /mqtt, /echo or /broadcast); '' on tcp and tls. */
  path: string;
}

/** URL scheme per transport, and the port a URL without one means. */
export const SCHEMES: Record<Transport, { scheme: string; port: number }> = {
  tcp: { scheme: 'mqtt', port: 1883 },
  tls: { scheme: 'mqtts', port: 8883 },
  ws: { scheme: 'ws', port: 80 },
  wss: { scheme: 'wss', port: 443 },
};

/**
 * Parses one target URL. kind 'mqtt': a broker (mqtt://, mqtts://, ws://, wss://); kind 'ws': a
 * plain WebSocket server (ws://, wss:// only).
 */
export function parseTarget(input: string, where: string, add: AddIssue, kind: 'mqtt' | 'ws' = 'mqtt'): Target | null {
  const example = kind === 'mqtt' ? 'mqtt://127.0.0.1:1883' : 'ws://127.0.0.1:8080';
  const badAddress = ipv4Problem(input);
  if (badAddress !== null) {
    add(where, badAddress);
    return null;
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    add(where, `'${input}' is not a URL; use ${kind === 'mqtt' ? 'mqtt' : 'ws'}://host:port, e.g. ${example}`);
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  const transport = (Object.keys(SCHEMES) as Transport[]).find((t) => SCHEMES[t].scheme === scheme);
  if (transport === undefined || (kind === 'ws' && transport !== 'ws' && transport !== 'wss')) {
    add(
      where,
      kind === 'mqtt'
        ? `'${url.protocol}//' is not an MQTT URL; use mqtt:// (TCP), mqtts:// (TLS), ws:// or wss:// (WebSocket, path /mqtt by default)`
        : `'${url.protocol}//' is not a WebSocket URL; use ws:// or wss:// (plain WebSocket echo/broadcast server), e.g. ${example}`,
    );
    return null;
  }
  if (url.hostname === '') {
    add(where, `'${input}' has no host; use ${scheme}://host:port`);
    return null;
  }
  const port = url.port === '' ? SCHEMES[transport].port : Number(url.port);
  if (port === 0) {
    add(where, `'${input}' names port 0, which nothing listens on; give the server's port`);
    return null;
  }
  // IPv6 literals come back bracketed from URL; net.connect wants them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const ws = transport === 'ws' || transport === 'wss';
  // An empty path is filled in by the protocol: /mqtt, /echo or /broadcast.
  const path = ws ? (url.pathname === '/' ? '' : url.pathname) + url.search : '';
  return { url: input, transport, host, port, path };
}

/**
 * A host of numbers and dots is meant as an IPv4 address: unless it is a dotted quad of 0-255 it
 * is a typo, not a name to look up. Without this check 'mqtt://256.1.1.1' goes to DNS (exit 3,
 * "not found"), and 'mqtt://127.1' or 'mqtt://010.0.0.1' reach whatever the resolver's inet_aton
 * makes of them (127.0.0.1, 8.0.0.1). Read from the text: URL() rewrites ws:// hosts
 * ('ws://1.2.3' becomes 1.2.0.3) and keeps mqtt:// hosts as written.
 */
export function ipv4Problem(input: string): string | null {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#[\]]*)/i.exec(input.trim())?.[1];
  if (raw === undefined || raw === '') return null;
  const labels = (raw.endsWith('.') ? raw.slice(0, -1) : raw).split('.');
  if (!labels.every((l) => /^(?:\d+|0x[0-9a-f]*)$/i.test(l))) return null;
  const hint = 'an IPv4 address is four numbers from 0 to 255, e.g. 127.0.0.1; or give a host name';
  if (labels.length !== 4) return `'${raw}' is not an IPv4 address: it has ${labels.length} number(s); ${hint}`;
  const odd = labels.find((l) => !/^(?:0|[1-9]\d*)$/.test(l));
  if (odd !== undefined) return `'${raw}' is not an IPv4 address: write '${odd}' in plain decimal (hex and leading zeros mean other numbers to some resolvers); ${hint}`;
  const big = labels.find((l) => Number(l) > 255);
  if (big !== undefined) return `'${raw}' is not an IPv4 address: ${big} is above 255; ${hint}`;
  return null;
}

/** Targets are looked up by transport, so two for the same transport would be ambiguous. */
export function checkOnePerTransport(targets: readonly Target[], where: string, add: AddIssue): void {
  const seen = new Map<Transport, Target>();
  for (const t of targets) {
    const before = seen.get(t.transport);
    if (before !== undefined) add(where, `${before.url} and ${t.url} are both ${t.transport}; give at most one target per transport (tcp, tls, ws, wss)`);
    else seen.set(t.transport, t);
  }
}

/** Reads a PEM CA file; `shown` is the path as the user wrote it. */
export function readCa(path: string, where: string, add: AddIssue, shown = path): string | null {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      add(where, `${shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate file in PEM form`);
      return null;
    }
    return pem;
  } catch (err) {
    add(where, `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; give a readable PEM file`);
    return null;
  }
}

/** A comma-separated string, or a list of them (repeated flag, YAML list). */
export function parseLocalAddresses(raw: unknown, where: string, add: AddIssue): string[] {
  if (raw === undefined || raw === '' || raw === null) return [];
  const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const a of list) {
    if (isIP(a) === 0) add(where, `'${a}' is not an IP address; give addresses of this machine, e.g. 127.0.0.2,127.0.0.3`);
  }
  return list;
}
