/**
 * The reference for WebSocket echo: the smallest ws ping-pong client there is. One socket,
 * one message in flight, the next sent from the message handler; round trips timed with
 * process.hrtime.bigint() into an HDR histogram. mqbench's echo role is compared with it.
 */
import hdr from 'hdr-histogram-js';
import WebSocket from 'ws';

export async function pingPong(url: string, durationMs: number, warmupMs: number, payloadBytes: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.once('upgrade', (res) => res.socket.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const payload = Buffer.alloc(payloadBytes);
  const start = Date.now();
  const steadyFrom = start + warmupMs;
  const end = steadyFrom + durationMs;
  let count = 0;
  let sentAt = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', () => {
      const now = process.hrtime.bigint();
      const t = Date.now();
      if (t >= steadyFrom) {
        h.recordValue(Number((now - sentAt) / 1000n));
        count++;
      }
      if (t >= end) {
        resolve();
        return;
      }
      sentAt = process.hrtime.bigint();
      ws.send(payload);
    });
    sentAt = process.hrtime.bigint();
    ws.send(payload);
  });
  ws.close();
  const result = { perSecond: count / (durationMs / 1000), p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99) };
  h.destroy();
  return result;
}
