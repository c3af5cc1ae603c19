/**
 * The floor probe's client process (bench/floor.ts starts it): a minimal MQTT generator on
 * Node, to show what any engine on Node pays on this machine before it does any work
 * of its own. One publisher and one subscriber in one thread, raw `net` sockets, the
 * subscriber read through `onread` into one reused buffer, pre-encoded PUBLISH packets written
 * in one buffer per top-up, acknowledgements coalesced per read; no timestamps, no histograms,
 * no delivery checks, no per-second reports. It frames packets and counts them, nothing more.
 *
 * Closed window: at most WINDOW messages between a publish and both its delivery and its last
 * acknowledgement; topped up, in one write, whenever half the window is free.
 *
 * Env: FLOOR_PORT (the broker, 127.0.0.1), FLOOR_PID (the broker's pid, for its CPU),
 * FLOOR_QOS (0, 1 or 2), FLOOR_WINDOW (100), FLOOR_WARMUP_MS (1000), FLOOR_DURATION_MS (5000).
 * Prints one JSON line: { deliveredPerSecond, generatorMicrosPerMessage, targetMicrosPerMessage }.
 */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { processCpuSeconds, selfCpuSeconds } from '../src/metrics/proc-cpu.js';

const PORT = Number(process.env['FLOOR_PORT']);
const PID = Number(process.env['FLOOR_PID']);
const QOS = Number(process.env['FLOOR_QOS'] ?? '0') as 0 | 1 | 2;
const WINDOW = Number(process.env['FLOOR_WINDOW'] ?? '100');
const WARMUP_MS = Number(process.env['FLOOR_WARMUP_MS'] ?? '1000');
const DURATION_MS = Number(process.env['FLOOR_DURATION_MS'] ?? '5000');
const TOPIC = `floor/${process.pid}`;
const PAYLOAD_BYTES = 16;
/** A loop of this client may not outlive its measurement by more than this. */
const DEADLINE_MS = WARMUP_MS + DURATION_MS + 10_000;

if (!(PORT > 0) || !(PID > 0) || ![0, 1, 2].includes(QOS) || !(WINDOW >= 2)) {
  console.error('floor-client: set FLOOR_PORT, FLOOR_PID, FLOOR_QOS (0|1|2) and FLOOR_WINDOW (>= 2)');
  process.exit(2);
}
setTimeout(() => {
  console.error(`floor-client: no result after ${DEADLINE_MS} ms; stopping`);
  process.exit(1);
}, DEADLINE_MS).unref();

// Packets as the broker sends them: a PUBLISH to the subscriber has a fixed length here (one
// topic, one payload size; 2-byte fixed header while it stays under 128 bytes).
const one = mqttPacket.generate({ cmd: 'publish', topic: TOPIC, payload: Buffer.alloc(PAYLOAD_BYTES), qos: QOS, messageId: QOS > 0 ? 1 : undefined, retain: false, dup: false });
const PUBLISH_BYTES = one.length;
const ID_OFFSET = 2 + 2 + Buffer.byteLength(TOPIC);
const batch = Buffer.concat(Array.from({ length: WINDOW }, () => one));
const ACK_BYTES = 4;

let sent = 0;
let received = 0;
let completed = 0;
let nextId = 1;
/** Publishing starts once both clients are connected and subscribed, and stops with the measurement. */
let started = false;
let stopped = false;

const publisher = new net.Socket();
// `onread` is a constructor option of net.Socket (net.connect passes its options to both).
const subscriber = new net.Socket({ onread: { buffer: Buffer.allocUnsafeSlow(64 * 1024), callback: (n: number, buf: Uint8Array): boolean => { subRead(buf as Buffer, n); return true; } } } as net.SocketConstructorOpts);
const acks = Buffer.allocUnsafeSlow(64 * 1024);

function topUp(): void {
  if (!started || stopped) return;
  const inFlight = sent - Math.min(received, QOS === 0 ? received : completed);
  const room = WINDOW - inFlight;
  if (room < WINDOW / 2) return;
  if (QOS > 0) {
    for (let i = 0; i < room; i++) {
      batch.writeUInt16BE(nextId, i * PUBLISH_BYTES + ID_OFFSET);
      nextId = nextId === 65535 ? 1 : nextId + 1;
    }
  }
  publisher.write(batch.subarray(0, room * PUBLISH_BYTES));
  sent += room;
}

/** The bytes after `skip` (the CONNACK, and the SUBACK) with what an earlier read left unframed before them. */
function framed(state: { skip: number; carry: Buffer }, data: Buffer): Buffer {
  if (state.skip > 0) {
    const k = Math.min(state.skip, data.length);
    state.skip -= k;
    data = data.subarray(k);
  }
  if (state.carry.length === 0) return data;
  const joined = Buffer.concat([state.carry, data]);
  state.carry = Buffer.alloc(0);
  return joined;
}

// The subscriber's stream: CONNACK and SUBACK, then PUBLISHes (and PUBRELs at QoS 2).
const sub = { skip: 4 + 5, carry: Buffer.alloc(0) };
function subRead(buf: Buffer, n: number): void {
  const data = framed(sub, buf.subarray(0, n));
  let at = 0;
  let out = 0;
  while (at < data.length) {
    const type = data[at]! >> 4;
    const len = type === 3 ? PUBLISH_BYTES : ACK_BYTES;
    if (at + len > data.length) break;
    if (type === 3) {
      received++;
      if (QOS > 0) out = ack(acks, out, QOS === 1 ? 0x40 : 0x50, data, at + ID_OFFSET);
    } else if (type === 6) out = ack(acks, out, 0x70, data, at + 2);
    at += len;
  }
  // Copied: the read buffer is reused by the next read.
  if (at < data.length) sub.carry = Buffer.from(data.subarray(at));
  if (out > 0) subscriber.write(Buffer.from(acks.subarray(0, out)));
  topUp();
}

/** Appends a 4-byte acknowledgement of type byte `first` for the packet id at `data[idAt]`. */
function ack(into: Buffer, out: number, first: number, data: Buffer, idAt: number): number {
  into[out] = first;
  into[out + 1] = 2;
  into[out + 2] = data[idAt]!;
  into[out + 3] = data[idAt + 1]!;
  return out + 4;
}

// The publisher's stream: CONNACK, then PUBACKs (QoS 1) or PUBRECs and PUBCOMPs (QoS 2), 4 bytes each.
const pub = { skip: 4, carry: Buffer.alloc(0) };
const rel = Buffer.allocUnsafeSlow(64 * 1024);
publisher.on('data', (chunk: Buffer) => {
  const data = framed(pub, chunk);
  let out = 0;
  let at = 0;
  for (; at + ACK_BYTES <= data.length; at += ACK_BYTES) {
    if (data[at]! >> 4 === 5) out = ack(rel, out, 0x62, data, at + 2);
    else completed++;
  }
  if (at < data.length) pub.carry = Buffer.from(data.subarray(at));
  if (out > 0) publisher.write(Buffer.from(rel.subarray(0, out)));
  topUp();
});

function cpuOfBroker(): number {
  const s = processCpuSeconds(PID);
  if (s === null) {
    console.error(`floor-client: cannot read the CPU time of pid ${PID} (/proc/${PID}/stat)`);
    process.exit(1);
  }
  return s;
}

const connect = (socket: net.Socket, clientId: string): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect({ port: PORT, host: '127.0.0.1', noDelay: true }, () => {
      socket.setNoDelay(true);
      socket.write(mqttPacket.generate({ cmd: 'connect', clientId, clean: true, keepalive: 60, protocolVersion: 4, protocolId: 'MQTT' }));
      resolve();
    });
  });

await connect(subscriber, `floor-s-${process.pid}`);
subscriber.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TOPIC, qos: QOS }] }));
await connect(publisher, `floor-p-${process.pid}`);
// Publish once the broker has answered both CONNECTs and the SUBSCRIBE (else the first window is lost).
for (let waited = 0; sub.skip > 0 || pub.skip > 0; waited += 10) {
  if (waited > 5000) {
    console.error('floor-client: no CONNACK and SUBACK within 5 s');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 10));
}
started = true;
topUp();
let lastReceived = -1;
setInterval(() => {
  if (received === lastReceived) {
    console.error(`floor-client: no delivery for 2 s (sent ${sent}, received ${received}, completed ${completed}); stopping`);
    process.exit(1);
  }
  lastReceived = received;
}, 2000).unref();
await new Promise((r) => setTimeout(r, WARMUP_MS));
const c0 = selfCpuSeconds();
const b0 = cpuOfBroker();
const r0 = received;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, DURATION_MS));
const c1 = selfCpuSeconds();
const b1 = cpuOfBroker();
const r1 = received;
const t1 = performance.now();
stopped = true;
const n = r1 - r0;
if (n === 0) {
  console.error('floor-client: no message was delivered in the measured window');
  process.exit(1);
}
console.log(JSON.stringify({ deliveredPerSecond: n / ((t1 - t0) / 1000), generatorMicrosPerMessage: ((c1 - c0) * 1e6) / n, targetMicrosPerMessage: ((b1 - b0) * 1e6) / n }));
publisher.destroy();
subscriber.destroy();
process.exit(0);
