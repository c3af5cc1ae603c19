/**
 * Bytes on the wire (phase.wire): the meter on real sockets, the merge, and end-to-end runs
 * against the bundled servers whose bytes per message are checked against protocol
 * arithmetic: MQTT packet sizes, WebSocket frame headers, TLS record overhead. The runs use the
 * open model at a rate any machine keeps, one publisher to one subscriber, so a message's bytes
 * are those of one publish and one delivery; nothing depends on the machine's speed. The four
 * runs (two halves of the transport matrix, plain WebSocket echo, idle clients) start together
 * in the file's before(), each against its own bundled servers: light loads, counted in bytes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { mergeWire, WireMeter, wireDelta } from '../src/metrics/wire.js';
import type { PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

const TOPIC = 'wire/t';
const PAYLOAD = 64;
const RATE = 500;

/**
 * The steady window's edges: a message in flight when the window opens has its delivery's bytes
 * counted but not its publish's (and the reverse when it closes), and the worker takes the
 * opening total on a timer. A few messages of the ~1000 in the window; 3% leaves room for 30.
 */
const EDGE = 0.03;

/** MQTT 3.1.1 PUBLISH: fixed header byte, remaining length (1 byte below 128), topic length and topic, packet id at QoS 1/2, payload. */
function publishBytes(qos: 0 | 1): number {
  const remaining = 2 + Buffer.byteLength(TOPIC) + (qos > 0 ? 2 : 0) + PAYLOAD;
  assert.ok(remaining < 128, 'one remaining-length byte');
  return 1 + 1 + remaining;
}
const PUBACK = 4;
/** Writes mqtt-packet makes for a PUBLISH (fixed header, remaining length, topic length, topic, payload): each at most one WebSocket frame. */
const PUBLISH_WRITES = 5;
/** WebSocket frame header below 126 bytes of payload: 2 bytes, plus the 4-byte mask from client to server (RFC 6455 5.2). */
const WS_CLIENT_FRAME = 6;
const WS_SERVER_FRAME = 2;
/** TLS record overhead: 21 bytes at the least (TLS 1.2 ChaCha20: 5 header + 16 tag), 22 for TLS 1.3 AEAD, 29 at most for TLS 1.2 AES-GCM (8-byte explicit nonce). */
const TLS_RECORD_MIN = 21;
const TLS_RECORD_MAX = 29;

/** One message = one publish by the publisher plus one delivery to the one subscriber. */
const TCP_QOS0 = 2 * publishBytes(0);
const TCP_QOS1 = 2 * (publishBytes(1) + PUBACK);

function within(p: PhaseResult, low: number, high: number): void {
  const w = p.wire;
  assert.ok(w !== undefined, `${p.name}: no wire figures`);
  assert.ok(w.bytesSent > 0 && w.bytesReceived > 0, `${p.name}: ${JSON.stringify(w)}`);
  const bpm = w.bytesPerMessage;
  assert.ok(bpm !== null, `${p.name}: no messages`);
  assert.ok(bpm >= low * (1 - EDGE) && bpm <= high * (1 + EDGE), `${p.name}: ${bpm} B/msg, expected ${low}..${high} (±${EDGE * 100}%)`);
}

function bpm(p: PhaseResult | undefined): number {
  const v = p?.wire?.bytesPerMessage;
  assert.ok(typeof v === 'number', `${p?.name}: no bytes per message`);
  return v;
}

async function run(args: string[], env?: NodeJS.ProcessEnv): Promise<{ doc: ResultDocument; stderr: string }> {
  const out = await tempDir();
  const r = await runCli(['run', ...args, '--out', out, '--json'], env ? { env } : {});
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ResultDocument;
  assertMatchesSchema(doc);
  return { doc, stderr: r.stderr };
}

/** A run started now and awaited by its test later: its failure is that test's, not an unhandled rejection. */
function started<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** One publisher at RATE to one subscriber over `matrix`: a scenario file for `run`. */
async function wireScenario(name: string, matrix: Record<string, unknown>): Promise<string> {
  const file = join(await tempDir('mqbench-wire-'), `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      name: 'wire',
      load: { warmup: '500ms', duration: '2s', drain: '2s' },
      defaults: { payload: `${PAYLOAD}B` },
      groups: [
        { name: 'publishers', role: 'publish', clients: 1, rate: `${RATE}/s`, topic: TOPIC },
        { name: 'subscribers', role: 'subscribe', clients: 1, subscribe: TOPIC },
      ],
      matrix,
    }),
  );
  return file;
}

let tcpTls: Promise<{ doc: ResultDocument; stderr: string }>;
let webSocket: Promise<{ doc: ResultDocument; stderr: string }>;
let echo: Promise<{ doc: ResultDocument; stderr: string }>;
let idle: Promise<{ doc: ResultDocument; stderr: string }>;
const IDLE_CLIENTS = 10;

before(async () => {
  const env = { MQBENCH_CERT_DIR: await tempDir('mqbench-certs-') };
  const tcpTlsFile = await wireScenario('wire-tcp-tls', { transport: ['tcp', 'tls'], qos: [0, 1], exclude: [{ transport: 'tls', qos: 1 }] });
  const wsFile = await wireScenario('wire-ws', { transport: ['ws', 'wss'], qos: [0] });
  tcpTls = started(run([tcpTlsFile, '--workers', '2'], env));
  webSocket = started(run([wsFile, '--workers', '2'], env));
  echo = started(run(['--protocol', 'ws', '--role', 'echo', '--publishers', '1', '--rate', String(RATE), '--payload', `${PAYLOAD}B`, '--warmup', '500ms', '--duration', '2s', '--workers', '1']));
  idle = started(run(['--publishers', '0', '--subscribers', '0', '--connections', String(IDLE_CLIENTS), '--keepalive', '2', '--qos', '0', '--warmup', '0s', '--duration', '3s', '--workers', '2']));
});

describe('WireMeter on real sockets', () => {
  test('counts bytes both ways, keeps a closed socket\'s, and adds a reconnect\'s new socket', async () => {
    const server = net.createServer((s) => s.on('data', (d: Buffer) => s.write(Buffer.concat([d, d]))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const meter = new WireMeter();
    const exchange = async (bytes: number): Promise<net.Socket> => {
      const s = net.connect({ host: '127.0.0.1', port });
      meter.track(s);
      s.write(Buffer.alloc(bytes, 1));
      await new Promise<void>((resolve) => {
        let got = 0;
        s.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= 2 * bytes) resolve();
        });
      });
      return s;
    };
    try {
      const start = meter.total();
      const a = await exchange(100);
      assert.deepEqual(wireDelta(start, meter.total()), { bytesSent: 100, bytesReceived: 200 });
      a.destroy();
      await once(a, 'close');
      assert.deepEqual(wireDelta(start, meter.total()), { bytesSent: 100, bytesReceived: 200 }, 'closed socket still counted');
      const b = await exchange(10);
      assert.deepEqual(wireDelta(start, meter.total()), { bytesSent: 110, bytesReceived: 220 }, 'a new socket adds to it');
      b.destroy();
      await once(b, 'close');
    } finally {
      server.close();
    }
  });

  const cases: Array<[string, Parameters<typeof mergeWire>[0], number, ReturnType<typeof mergeWire>]> = [
    ['no worker measured', [undefined, undefined], 10, null],
    ['two workers summed', [{ bytesSent: 100, bytesReceived: 50 }, { bytesSent: 20, bytesReceived: 30 }], 10, { bytesSent: 120, bytesReceived: 80, bytesPerMessage: 20 }],
    ['a worker whose window never began', [{ bytesSent: 100, bytesReceived: 0 }, undefined], 3, { bytesSent: 100, bytesReceived: 0, bytesPerMessage: 33.33 }],
    ['no message received', [{ bytesSent: 8, bytesReceived: 8 }], 0, { bytesSent: 8, bytesReceived: 8, bytesPerMessage: null }],
  ];
  for (const [name, parts, received, expected] of cases) {
    test(`mergeWire: ${name}`, () => assert.deepEqual(mergeWire(parts, received), expected));
  }
});

describe('bytes per message against the bundled servers', () => {
  let phases: Map<string, PhaseResult>;
  let summary: string;
  before(async () => {
    // The matrix tcp x {0, 1} + tls, ws, wss at QoS 0, in two runs.
    const halves = await Promise.all([tcpTls, webSocket]);
    phases = new Map(halves.flatMap(({ doc }) => doc.phases.map((p) => [p.name, p] as const)));
    summary = halves.map(({ stderr }) => stderr).join('\n');
  });

  test('the phases ran and delivered everything', () => {
    assert.deepEqual([...phases.keys()], ['mqtt-tcp-qos0', 'mqtt-tcp-qos1', 'mqtt-tls-qos0', 'mqtt-ws-qos0', 'mqtt-wss-qos0']);
    for (const p of phases.values()) assert.equal(p.counters.received, p.counters.expected, p.name);
  });

  test('mqtt over tcp, QoS 0: one PUBLISH written, one read, per message', () => {
    within(phases.get('mqtt-tcp-qos0')!, TCP_QOS0, TCP_QOS0);
  });

  test('mqtt over tcp, QoS 1: PUBLISH with packet id and a PUBACK each way, more than QoS 0', () => {
    within(phases.get('mqtt-tcp-qos1')!, TCP_QOS1, TCP_QOS1);
    assert.ok(bpm(phases.get('mqtt-tcp-qos1')) > bpm(phases.get('mqtt-tcp-qos0')));
  });

  test('mqtt over tls: TLS records on top of the MQTT bytes', () => {
    const tls = phases.get('mqtt-tls-qos0')!;
    // At least one record per message over both sockets (one each way without coalescing); at most one per write.
    within(tls, TCP_QOS0 + TLS_RECORD_MIN, TCP_QOS0 + 2 * PUBLISH_WRITES * TLS_RECORD_MAX);
    assert.ok(bpm(tls) > bpm(phases.get('mqtt-tcp-qos0')));
  });

  test('mqtt over WebSocket: a frame header per packet at least, per write at most', () => {
    const ws = phases.get('mqtt-ws-qos0')!;
    within(ws, TCP_QOS0 + WS_CLIENT_FRAME + WS_SERVER_FRAME, TCP_QOS0 + PUBLISH_WRITES * (WS_CLIENT_FRAME + WS_SERVER_FRAME));
    assert.ok(bpm(ws) > bpm(phases.get('mqtt-tcp-qos0')), 'framing costs more than plain tcp');
  });

  test('mqtt over wss: the encrypted bytes of the raw socket, not the cleartext', () => {
    const wss = phases.get('mqtt-wss-qos0')!;
    within(wss, TCP_QOS0 + WS_CLIENT_FRAME + WS_SERVER_FRAME + TLS_RECORD_MIN, TCP_QOS0 + PUBLISH_WRITES * (WS_CLIENT_FRAME + WS_SERVER_FRAME + 2 * TLS_RECORD_MAX));
    assert.ok(bpm(wss) > bpm(phases.get('mqtt-ws-qos0')));
  });

  test('the terminal summary shows bytes per message', () => {
    for (const name of phases.keys()) assert.match(summary, new RegExp(`${name}: generator cpu .*, wire \\d+B/msg`), name);
  });
});

test('plain WebSocket echo: one binary frame each way per message', { timeout: 60_000 }, async () => {
  const { doc } = await echo;
  const p = doc.phases[0]!;
  assert.equal(p.name, 'ws-echo');
  const frames = WS_CLIENT_FRAME + PAYLOAD + WS_SERVER_FRAME + PAYLOAD;
  within(p, frames, frames);
});

test('idle connect-only clients: their PINGREQ and PINGRESP are counted, no messages', { timeout: 60_000 }, async () => {
  const clients = IDLE_CLIENTS;
  // keepalive 2 s: each idle client is pinged every second, 2 to 4 times in a 3 s window.
  const { doc } = await idle;
  const w = doc.phases[0]!.wire;
  assert.ok(w !== undefined);
  assert.equal(w.bytesPerMessage, null);
  const PING = 2;
  assert.ok(w.bytesSent >= clients * 2 * PING && w.bytesSent <= clients * 4 * PING, JSON.stringify(w));
  assert.ok(Math.abs(w.bytesReceived - w.bytesSent) <= clients * PING, `a PINGRESP per PINGREQ, give or take the window's edges: ${JSON.stringify(w)}`);
});
