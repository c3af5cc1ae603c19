/**
 * The plain WebSocket driver (ws): connect with a timeout, send binary messages carrying the
 * same 16-byte measurement header as MQTT payloads, close. Compression is off (openWebSocket),
 * so a WebSocket phase measures framing and transport, comparable with MQTT over WebSocket.
 */
import WebSocket from 'ws';
import { classifyError, ConnectError, errorMessage } from './errors.js';
import { attempt } from './attempt.js';
import type { PublishSink, SinkListener } from './sink.js';
import type { WireMeter } from '../metrics/wire.js';
import { openWebSocket, upgradeRefusal, type ConnectStage, type TargetEndpoint } from './transports.js';

export interface ConnectedSocket {
  ws: WebSocket;
  /** TCP connect through WebSocket open, microseconds. */
  connectMicros: number;
}

export function connectWs(
  target: TargetEndpoint,
  query: string,
  opts: { connectTimeoutMs: number; noDelay: boolean; localAddress?: string | undefined; now: () => number; onStage?: (stage: ConnectStage, micros: number) => void; meter?: WireMeter | undefined },
): Promise<ConnectedSocket> {
  const started = opts.now();
  const ws = openWebSocket(target, { noDelay: opts.noDelay, localAddress: opts.localAddress, onStage: opts.onStage, now: opts.now, meter: opts.meter }, query);
  return new Promise((resolve, reject) => {
    const a = attempt<ConnectedSocket>(opts.connectTimeoutMs, `WebSocket not open within ${opts.connectTimeoutMs}ms`, () => ws.terminate(), resolve, reject);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      a.fail(new ConnectError('rejected', `${upgradeRefusal(res)}; check the URL's path (the bundled echo server serves /echo and /broadcast)`));
    });
    ws.once('error', (err) => a.fail(new ConnectError(classifyError(err), errorMessage(err))));
    ws.once('close', () => a.fail(new ConnectError('closed', 'connection closed before the WebSocket opened')));
    ws.once('open', () => {
      if (a.settled) return;
      ws.removeAllListeners('error');
      ws.removeAllListeners('close');
      ws.removeAllListeners('unexpected-response');
      a.succeed({ ws, connectMicros: opts.now() - started });
    });
  });
}

/**
 * A publisher's sink on a WebSocket. A message is done as soon as ws has taken the frame: the
 * window of a WebSocket publisher is bounded by deliveries (echoes, broadcast copies), not by
 * writes, and a per-message write callback costs a ping-pong client nothing it would pay.
 * A failed write surfaces as the socket's 'error' event, counted by the caller.
 */
export function wsSink(ws: WebSocket): PublishSink {
  const options = { binary: true };
  let listener: SinkListener | null = null;
  return {
    get connected() {
      return ws.readyState === WebSocket.OPEN;
    },
    acknowledged: false,
    // ws masks a copy of the payload, except for the rare all-zero mask, which sends it as is.
    copiesPayload: false,
    listen(l) {
      listener = l;
    },
    publish(payload, seq) {
      ws.send(payload, options);
      listener!.done(seq);
    },
  };
}

/** Closes with 1000 (normal), terminating after `timeoutMs`. */
export function endWs(ws: WebSocket, timeoutMs: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000);
  });
}
