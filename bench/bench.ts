/**
 * `npm run bench`: the figures issue #2 asks for, printed and saved to results/bench-*.json.
 * Closed model (the default window), QoS 0/1/2 x 16 B / 1 KiB x 1->1 / 10->10, against the
 * bundled broker and against Debian's mosquitto (installed by scripts/install-mosquitto.sh
 * when missing). For each cell: messages delivered per second, e2e p50/p99, the generator's
 * CPU per delivered message, the broker's, and their ratio (below 1: the tool spends less
 * CPU than the broker it measures, so the broker is the limit).
 *
 * Then the scale sections (scale.ts): connections held, connects per second per transport,
 * WebSocket echo beside a minimal ping-pong client.
 *
 * Env: BENCH_SECTIONS (core,connections,connect-rate,ws-echo; also send-lag, drivers, floor), BENCH_DURATION (default 5s),
 * BENCH_WARMUP (1s), BENCH_TARGETS (bundled,mosquitto), BENCH_CONNECTIONS (19000).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../test/helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';
import { ensureMosquitto, ROOT, runJson } from './cli-json.js';
import { ms, table, us } from './format.js';
import { benchScale, SCALE_SECTIONS } from './scale.js';
import { benchDrivers } from './drivers.js';
import { benchFloor } from './floor.js';
import { benchSendLag } from './send-lag.js';

const DURATION = process.env['BENCH_DURATION'] ?? '5s';
const WARMUP = process.env['BENCH_WARMUP'] ?? '1s';
const TARGETS = (process.env['BENCH_TARGETS'] ?? 'bundled,mosquitto').split(',');
const PAYLOADS = ['16B', '1KiB'];
const TOPOLOGIES = [1, 10];
const SECTIONS = (process.env['BENCH_SECTIONS'] ?? ['core', ...SCALE_SECTIONS].join(',')).split(',');

interface Row {
  target: string;
  payload: string;
  clients: number;
  qos: number | null;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  generatorMicrosPerMessage: number | null;
  targetMicrosPerMessage: number | null;
  ratio: number | null;
  lost: number;
  duplicated: number;
  saturated: boolean;
  exitCode: number | null;
}


async function benchCore(): Promise<Row[]> {
  const rows: Row[] = [];
  const out = await tempDir('mqbench-bench-');
  for (const target of TARGETS) {
    if (target === 'mosquitto' && !ensureMosquitto()) {
      console.error('mosquitto could not be installed; skipping the mosquitto rows');
      continue;
    }
    for (const payload of PAYLOADS) {
      for (const clients of TOPOLOGIES) {
        let broker: Mosquitto | null = null;
        const args = ['run', '--json', '--qos', '0,1,2', '--payload', payload, '--publishers', String(clients), '--subscribers', String(clients), '--duration', DURATION, '--warmup', WARMUP, '--out', out];
        if (target === 'mosquitto') {
          broker = await startMosquitto();
          args.push('--target', broker.url, '--target-pid', String(broker.pid));
        }
        process.stderr.write(`bench: ${target} ${payload} ${clients}->${clients} QoS 0,1,2 ... `);
        try {
          const r = await runJson(args);
          if (r.doc === null) {
            process.stderr.write(`no result (exit ${r.code}):\n${r.stderr}\n`);
            continue;
          }
          process.stderr.write(`exit ${r.code}\n`);
          for (const p of r.doc.phases) {
            const gen = p.generator.cpuMicrosPerMessage;
            const tgt = p.target.cpuMicrosPerMessage;
            rows.push({
              target,
              payload,
              clients,
              qos: p.params.qos,
              deliveredPerSecond: p.rates.receivedPerSecond,
              p50: p.latency.e2e.p50,
              p99: p.latency.e2e.p99,
              generatorMicrosPerMessage: gen,
              targetMicrosPerMessage: tgt,
              ratio: gen !== null && tgt !== null && tgt > 0 ? gen / tgt : null,
              lost: p.counters.lost,
              duplicated: p.counters.duplicated,
              saturated: p.generator.saturated,
              exitCode: r.code,
            });
          }
        } finally {
          await broker?.stop();
        }
      }
    }
  }
  await rm(out, { recursive: true, force: true });

  const header = ['target', 'payload', 'pub->sub', 'qos', 'delivered/s', 'e2e p50', 'e2e p99', 'gen us/msg', 'broker us/msg', 'gen/broker', 'lost', 'dup', 'saturated'];
  const lines = rows.map((r) => [r.target, r.payload, `${r.clients}->${r.clients}`, String(r.qos), Math.round(r.deliveredPerSecond).toLocaleString('en-US'), ms(r.p50), ms(r.p99), us(r.generatorMicrosPerMessage), us(r.targetMicrosPerMessage), r.ratio === null ? '-' : r.ratio.toFixed(2), String(r.lost), String(r.duplicated), r.saturated ? 'yes' : 'no']);
  console.log(`\nmqbench bench · closed model · ${DURATION} steady after ${WARMUP} warm-up per phase · node ${process.version}\n`);
  for (const l of table(header, lines, 3)) console.log(l);

  console.log('\ntarget: at QoS 0, 16B, 1->1 against mosquitto the generator spends less CPU per delivered message than mosquitto');
  for (const qos of [0, 1, 2]) {
    const r = rows.find((x) => x.target === 'mosquitto' && x.payload === '16B' && x.clients === 1 && x.qos === qos);
    const ratio = r?.ratio == null ? '-' : r.ratio.toFixed(2);
    const verdict = r?.ratio == null ? 'not measured' : qos > 0 ? 'reported' : r.ratio < 1 ? 'target met' : 'target NOT met';
    console.log(`  QoS ${qos}: generator/mosquitto ${ratio} (${verdict}; a plain MQTT.js script measured about ${qos === 0 ? '1.06' : '1.2-1.4'})`);
  }
  return rows;
}

const saved: Record<string, unknown> = { duration: DURATION, warmup: WARMUP, node: process.version };
if (SECTIONS.includes('core')) saved['core'] = await benchCore();
saved['scale'] = await benchScale(SECTIONS);
if (SECTIONS.includes('send-lag')) saved['sendLag'] = await benchSendLag();
// The floor is the drivers' yardstick: it runs with them, or alone as its own section.
const floor = SECTIONS.includes('floor') || SECTIONS.includes('drivers') ? await benchFloor() : null;
if (floor !== null) saved['floor'] = floor;
if (SECTIONS.includes('drivers')) saved['drivers'] = await benchDrivers(floor?.rows ?? []);
const resultsDir = join(ROOT, 'results');
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`);
console.log(`\nsaved ${file}`);
