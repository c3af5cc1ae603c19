/** Fails fast on an unreachable target: one TCP connect with a short timeout before any load. */
import net from 'node:net';
import { classifyError, errorMessage } from '../drivers/errors.js';

export type ProbeResult = { ok: true } | { ok: false; kind: string; message: string };

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: ProbeResult): void => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, kind: 'timeout', message: `no answer within ${timeoutMs}ms` }));
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (err) => done({ ok: false, kind: classifyError(err), message: errorMessage(err) }));
  });
}
