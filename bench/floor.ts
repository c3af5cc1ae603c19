/**
 * The floor (BENCH_SECTIONS=floor, and with drivers): what a minimal MQTT generator on Node
 * costs per delivered message on this machine, against the same fresh tuned mosquitto
 * the drivers section uses, QoS 0/1/2, 16 B, 1->1, closed window 100. The client
 * (floor-client.ts) frames and counts packets and does nothing else, so its CPU per message is
 * what Node's socket path and the kernel take before any engine does its own work: the reads,
 * the writes and the wake-ups, with both clients in one thread (no cross-thread signal). An
 * engine that parses, timestamps and records every message spends more per message for the
 * same socket work; a gen/mosquitto target below the floor's ratio is then below what Node's
 * socket path allows on this machine. (Mosquitto's own cost per message depends on how the
 * client batches its writes, so the floor's mosquitto column can differ from the drivers'.)
 *
 * Env: BENCH_DURATION (default 5s), BENCH_WARMUP (1s), BENCH_DRIVER_RUNS (3).
 */
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../src/config/units.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { ensureMosquitto, runNode } from './cli-json.js';
import { median } from './drivers.js';
import { int, table, us, x2 } from './format.js';

const DURATION = process.env['BENCH_DURATION'] ?? '5s';
const WARMUP = process.env['BENCH_WARMUP'] ?? '1s';
const RUNS = Math.max(1, Math.floor(Number(process.env['BENCH_DRIVER_RUNS'] ?? '3')) || 1);
const WINDOW = 100;
const CLIENT = fileURLToPath(new URL('./floor-client.js', import.meta.url));

function millis(name: string, value: string): number {
  const p = parseDuration(value);
  if (!p.ok) throw new Error(`${name}: ${p.error}`);
  return p.value;
}

export interface FloorRow {
  qos: number;
  runs: number;
  failedRuns: number;
  deliveredPerSecond: number | null;
  generatorMicrosPerMessage: number | null;
  targetMicrosPerMessage: number | null;
  ratio: number | null;
}

interface FloorRun {
  deliveredPerSecond: number;
  generatorMicrosPerMessage: number;
  targetMicrosPerMessage: number;
}

async function runClient(port: number, pid: number, qos: number): Promise<{ run: FloorRun | null; message: string }> {
  const env = { ...process.env, FLOOR_PORT: String(port), FLOOR_PID: String(pid), FLOOR_QOS: String(qos), FLOOR_WINDOW: String(WINDOW), FLOOR_WARMUP_MS: String(millis('BENCH_WARMUP', WARMUP)), FLOOR_DURATION_MS: String(millis('BENCH_DURATION', DURATION)) };
  const { code, stdout, stderr } = await runNode(CLIENT, [], env);
  if (code !== 0) return { run: null, message: `exit ${code}: ${stderr.trim()}` };
  try {
    return { run: JSON.parse(stdout) as FloorRun, message: '' };
  } catch (e) {
    return { run: null, message: `no result line (${e instanceof Error ? e.message : String(e)}): ${stdout.trim()} ${stderr.trim()}` };
  }
}

export async function benchFloor(): Promise<{ rows: FloorRow[]; failures: string[] } | null> {
  if (!ensureMosquitto()) {
    console.error('mosquitto could not be installed; skipping the floor section');
    return null;
  }
  const runs = new Map<number, FloorRun[]>([[0, []], [1, []], [2, []]]);
  const failures: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const qos of [0, 1, 2]) {
      process.stderr.write(`bench: floor QoS ${qos} 16B 1->1 run ${r + 1}/${RUNS} ... `);
      const broker = await startMosquitto({ config: 'tuned' });
      try {
        const got = await runClient(broker.port, broker.pid, qos);
        process.stderr.write(got.run === null ? `failed ${got.message}\n` : 'ok\n');
        if (got.run === null) failures.push(`floor QoS ${qos} run ${r + 1}: ${got.message}`);
        else runs.get(qos)!.push(got.run);
      } finally {
        await broker.stop();
      }
    }
  }
  const rows: FloorRow[] = [0, 1, 2].map((qos) => {
    const rs = runs.get(qos)!;
    return {
      qos,
      runs: rs.length,
      failedRuns: RUNS - rs.length,
      deliveredPerSecond: median(rs.map((x) => x.deliveredPerSecond)),
      generatorMicrosPerMessage: median(rs.map((x) => x.generatorMicrosPerMessage)),
      targetMicrosPerMessage: median(rs.map((x) => x.targetMicrosPerMessage)),
      ratio: median(rs.map((x) => x.generatorMicrosPerMessage / x.targetMicrosPerMessage)),
    };
  });
  console.log(`\nfloor · a minimal Node generator (frames and counts packets, nothing else) · fresh tuned mosquitto per run · 16 B 1->1 window ${WINDOW} · medians of ${RUNS} · ${DURATION} after ${WARMUP}\n`);
  const header = ['qos', 'delivered/s', 'floor us/msg', 'mosquitto us/msg', 'floor/mosquitto', 'failed runs'];
  const lines = rows.map((r) => [String(r.qos), int(r.deliveredPerSecond), us(r.generatorMicrosPerMessage), us(r.targetMicrosPerMessage), x2(r.ratio), String(r.failedRuns)]);
  for (const l of table(header, lines, 1)) console.log(l);
  console.log('\nfloor/mosquitto: what a Node client that does nothing but frame and count reaches here; an engine doing the same socket work');
  console.log('spends more per message, so a generator/mosquitto target below this ratio is below what Node\'s socket path allows on this machine');
  for (const f of failures) console.log(`  FAILED ${f}`);
  return { rows, failures };
}
