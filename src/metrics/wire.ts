/**
 * Bytes on the wire of one phase's client sockets in one worker: the TCP payload written and
 * read (MQTT packets or WebSocket frames, TLS records included on tls/wss; TCP/IP headers
 * not), read from each raw net.Socket's own counters. No per-message work: a socket is
 * registered once when built (transports.ts) and read only when the runner takes a total,
 * at the steady window's start and end. A closed socket's counts are kept, so reconnects
 * (a new socket per connection) and clients that left are still counted.
 */
import type { Socket } from 'node:net';

/** Bytes written and read, TCP payload. */
export interface WireBytes {
  bytesSent: number;
  bytesReceived: number;
}

export class WireMeter {
  private readonly live = new Set<Socket>();
  private closedSent = 0;
  private closedReceived = 0;

  /**
   * Counts `socket` from now on. It must be the raw TCP socket (under TLS, the one passed to
   * tls.connect: a TLSSocket's own counters are cleartext bytes).
   */
  track(socket: Socket): void {
    this.live.add(socket);
    socket.once('close', () => {
      // The counters survive the close (Node keeps them on the socket once its handle is gone).
      this.closedSent += socket.bytesWritten ?? 0;
      this.closedReceived += socket.bytesRead;
      this.live.delete(socket);
    });
  }

  /** Bytes so far over every socket tracked, open or closed. Linear in the open sockets. */
  total(): WireBytes {
    let bytesSent = this.closedSent;
    let bytesReceived = this.closedReceived;
    for (const s of this.live) {
      bytesSent += s.bytesWritten ?? 0;
      bytesReceived += s.bytesRead;
    }
    return { bytesSent, bytesReceived };
  }
}

/** What happened between two totals. */
export function wireDelta(from: WireBytes, to: WireBytes): WireBytes {
  return { bytesSent: to.bytesSent - from.bytesSent, bytesReceived: to.bytesReceived - from.bytesReceived };
}

/**
 * The phase's wire figures from the workers' steady-window bytes: summed, and per message
 * received in the steady window (null when none was). Null when no worker measured any.
 */
export function mergeWire(parts: ReadonlyArray<WireBytes | undefined>, steadyReceived: number): { bytesSent: number; bytesReceived: number; bytesPerMessage: number | null } | null {
  const measured = parts.filter((p): p is WireBytes => p !== undefined);
  if (measured.length === 0) return null;
  const bytesSent = measured.reduce((a, p) => a + p.bytesSent, 0);
  const bytesReceived = measured.reduce((a, p) => a + p.bytesReceived, 0);
  return { bytesSent, bytesReceived, bytesPerMessage: steadyReceived === 0 ? null : Math.round(((bytesSent + bytesReceived) / steadyReceived) * 100) / 100 };
}
