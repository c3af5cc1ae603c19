/**
 * The two MQTT client drivers side by side (issue #11): `--driver lean` (mqbench's own engine)
 * against `--driver mqttjs` (MQTT.js).
 *
 * 1. Closed model, window 100 (`--inflight 100`), QoS 0/1/2 x 16 B / 1 KiB x 1->1 / 10->10,
 *    one QoS per run, each run against a fresh mosquitto (tuned config) started here and
 *    stopped by its pid, with `--target-pid` so the broker's CPU is measured. Each combination
 *    runs BENCH_DRIVER_RUNS times per driver; lean and mqttjs runs alternate (run r of a
 *    combination: lean then mqttjs for even r, mqttjs then lean for odd r), and the run loop is
 *    the outermost, so drift of the machine hits both drivers and every combination alike.
 *    Printed: the medians per combination and driver, and lean/mqttjs generator CPU per message
 *    (the median of the ratios of the lean and mqttjs runs made back to back).
 * 2. Bytes on the wire per delivered message, QoS 0, 16 B, 1->1, against the bundled broker on
 *    tcp, tls, ws and wss, both drivers (median of the runs), and ws - tcp per driver.
 *
 * Targets: generator <= 0.7 x mosquitto CPU per message at QoS 0/1/2 (16 B, 1->1);
 * lean <= 0.5 x mqttjs generator CPU per message; lean ws - tcp <= 6 B per message. The first is
 * printed beside the floor's ratio (floor.ts, run before this section): what a Node client that
 * only frames and counts packets reaches against mosquitto on the same machine.
 *
 * Env: BENCH_DURATION (default 5s), BENCH_WARMUP (1s), BENCH_DRIVER_RUNS (3).
 */
import { rm } from 'node:fs/promises';
import type { PhaseResult } from '../src/metrics/result.js';
import { DRIVERS, type DriverName } from '../src/config/model.js';
import { tempDir } from '../test/helpers/cli.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { ensureMosquitto, runJson } from './cli-json.js';
import type { FloorRow } from './floor.js';
import { int, ms, signed, table, us, x2, x3 } from './format.js';

const DURATION = process.env['BENCH_DURATION'] ?? '5s';
const WARMUP = process.env['BENCH_WARMUP'] ?? '1s';
const RUNS = Math.max(1, Math.floor(Number(process.env['BENCH_DRIVER_RUNS'] ?? '3')) || 1);
type Driver = DriverName;
const QOS = [0, 1, 2];
const PAYLOADS = ['16B', '1KiB'];
const TOPOLOGIES = [1, 10];
const TRANSPORTS = ['tcp', 'tls', 'ws', 'wss'];
const INFLIGHT = 100;

const TARGET_GEN_OVER_BROKER = 0.7;
const TARGET_LEAN_OVER_MQTTJS = 0.5;
const TARGET_WS_OVERHEAD_BYTES = 6;

/** One run of one combination with one driver. */
interface RunRow {
  qos: number;
  payload: string;
  clients: number;
  driver: Driver;
  run: number;
  exitCode: number | null;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  generatorMicrosPerMessage: number | null;
  targetMicrosPerMessage: number | null;
  ratio: number | null;
  bytesPerMessage: number | null;
  lost: number;
  duplicated: number;
  saturated: boolean;
}

/** Medians over the runs of one combination and driver. */
interface MedianRow {
  qos: number;
  payload: string;
  clients: number;
  driver: Driver;
  runs: number;
  failedRuns: number;
  deliveredPerSecond: number | null;
  p50: number | null;
  p99: number | null;
  generatorMicrosPerMessage: number | null;
  targetMicrosPerMessage: number | null;
  /** Median of the per-run generator/mosquitto ratios. */
  ratio: number | null;
  /** lean rows only: median over back-to-back pairs of lean generator us/msg / mqttjs generator us/msg. */
  leanOverMqttjs: number | null;
  bytesPerMessage: number | null;
  lost: number;
  duplicated: number;
  saturatedRuns: number;
}

interface WireRun {
  transport: string;
  driver: Driver;
  run: number;
  exitCode: number | null;
  bytesPerMessage: number | null;
  bytesSent: number | null;
  bytesReceived: number | null;
  received: number;
}

interface WireRow {
  transport: string;
  driver: Driver;
  runs: number;
  failedRuns: number;
  bytesPerMessage: number | null;
  /** This driver's median bytes/msg on this transport minus on tcp. */
  overTcp: number | null;
}

interface Failure {
  what: string;
  exitCode: number | null;
  message: string;
}

/** The median of the finite values; null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Why a run failed, one paragraph: the result's own reasons, else the tail of stderr. */
function failureText(doc: { error?: string; verdict: { failures: string[] } } | null, stderr: string): string {
  const own = [doc?.error, ...(doc?.verdict.failures ?? [])].filter((s): s is string => typeof s === 'string' && s !== '');
  const tail = stderr.trim().split('\n').slice(-15).join('\n');
  return own.length > 0 ? `${own.join('; ')}\n${tail}` : tail;
}

/**
 * One CLI run of the section: its first phase, or null when it gave no result. Every failure is
 * recorded (no result, a non-zero exit) with its reasons and the tail of its stderr.
 */
async function runPhase(label: string, args: string[], failures: Failure[]): Promise<{ code: number | null; doc: NonNullable<Awaited<ReturnType<typeof runJson>>['doc']>; phase: PhaseResult } | null> {
  process.stderr.write(`bench: drivers ${label} ... `);
  const r = await runJson(args);
  const phase = r.doc?.phases[0];
  if (r.doc == null || phase === undefined) {
    process.stderr.write(`no result (exit ${r.code}):\n${r.stderr}\n`);
    failures.push({ what: label, exitCode: r.code, message: failureText(r.doc, r.stderr) });
    return null;
  }
  process.stderr.write(`exit ${r.code}\n`);
  if (r.code !== 0) failures.push({ what: label, exitCode: r.code, message: failureText(r.doc, r.stderr) });
  return { code: r.code, doc: r.doc, phase };
}

/** Item 1: the matrix against fresh mosquittos. */
async function matrix(out: string, failures: Failure[]): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  const combos = QOS.flatMap((qos) => PAYLOADS.flatMap((payload) => TOPOLOGIES.map((clients) => ({ qos, payload, clients }))));
  for (let run = 0; run < RUNS; run++) {
    const order: Driver[] = run % 2 === 0 ? ['lean', 'mqttjs'] : ['mqttjs', 'lean'];
    for (const { qos, payload, clients } of combos) {
      for (const driver of order) {
        const label = `${driver} QoS ${qos} ${payload} ${clients}->${clients} run ${run + 1}/${RUNS}`;
        const broker = await startMosquitto({ config: 'tuned' });
        try {
          const args = ['run', '--json', '--driver', driver, '--qos', String(qos), '--payload', payload, '--publishers', String(clients), '--subscribers', String(clients), '--inflight', String(INFLIGHT), '--duration', DURATION, '--warmup', WARMUP, '--target', broker.url, '--target-pid', String(broker.pid), '--out', out];
          const got = await runPhase(label, args, failures);
          if (got === null) continue;
          const { phase: p, doc } = got;
          if (doc.sockets.driver !== undefined && doc.sockets.driver !== driver) {
            failures.push({ what: label, exitCode: got.code, message: `asked --driver ${driver}, the result records sockets.driver ${doc.sockets.driver}` });
          }
          const gen = p.generator.cpuMicrosPerMessage;
          const tgt = p.target.cpuMicrosPerMessage;
          rows.push({
            qos,
            payload,
            clients,
            driver,
            run,
            exitCode: got.code,
            deliveredPerSecond: p.rates.receivedPerSecond,
            p50: p.latency.e2e.p50,
            p99: p.latency.e2e.p99,
            generatorMicrosPerMessage: gen,
            targetMicrosPerMessage: tgt,
            ratio: gen !== null && tgt !== null && tgt > 0 ? gen / tgt : null,
            bytesPerMessage: p.wire?.bytesPerMessage ?? null,
            lost: p.counters.lost,
            duplicated: p.counters.duplicated,
            saturated: p.generator.saturated,
          });
        } finally {
          await broker.stop();
        }
      }
    }
  }
  return rows;
}

function medians(rows: RunRow[]): MedianRow[] {
  const out: MedianRow[] = [];
  for (const qos of QOS) {
    for (const payload of PAYLOADS) {
      for (const clients of TOPOLOGIES) {
        const of = (d: Driver) => rows.filter((r) => r.qos === qos && r.payload === payload && r.clients === clients && r.driver === d);
        const pairs: (number | null)[] = [];
        for (let run = 0; run < RUNS; run++) {
          const lean = of('lean').find((r) => r.run === run)?.generatorMicrosPerMessage;
          const mqttjs = of('mqttjs').find((r) => r.run === run)?.generatorMicrosPerMessage;
          pairs.push(lean != null && mqttjs != null && mqttjs > 0 ? lean / mqttjs : null);
        }
        for (const driver of DRIVERS) {
          const rs = of(driver);
          out.push({
            qos,
            payload,
            clients,
            driver,
            runs: rs.length,
            failedRuns: RUNS - rs.filter((r) => r.exitCode === 0).length,
            deliveredPerSecond: median(rs.map((r) => r.deliveredPerSecond)),
            p50: median(rs.map((r) => r.p50)),
            p99: median(rs.map((r) => r.p99)),
            generatorMicrosPerMessage: median(rs.map((r) => r.generatorMicrosPerMessage)),
            targetMicrosPerMessage: median(rs.map((r) => r.targetMicrosPerMessage)),
            ratio: median(rs.map((r) => r.ratio)),
            leanOverMqttjs: driver === 'lean' ? median(pairs) : null,
            bytesPerMessage: median(rs.map((r) => r.bytesPerMessage)),
            lost: rs.reduce((a, r) => a + r.lost, 0),
            duplicated: rs.reduce((a, r) => a + r.duplicated, 0),
            saturatedRuns: rs.filter((r) => r.saturated).length,
          });
        }
      }
    }
  }
  return out;
}

/** Item 2: bytes per delivered message per transport, bundled broker. */
async function wire(out: string, failures: Failure[]): Promise<WireRun[]> {
  const rows: WireRun[] = [];
  for (let run = 0; run < RUNS; run++) {
    const order: Driver[] = run % 2 === 0 ? ['lean', 'mqttjs'] : ['mqttjs', 'lean'];
    for (const transport of TRANSPORTS) {
      for (const driver of order) {
        const label = `wire ${driver} ${transport} QoS 0 16B 1->1 run ${run + 1}/${RUNS}`;
        const got = await runPhase(label, ['run', '--json', '--driver', driver, '--transport', transport, '--qos', '0', '--payload', '16B', '--publishers', '1', '--subscribers', '1', '--inflight', String(INFLIGHT), '--duration', DURATION, '--warmup', WARMUP, '--out', out], failures);
        if (got === null) continue;
        const { phase: p } = got;
        if (p.wire === undefined) failures.push({ what: label, exitCode: got.code, message: 'the phase has no wire figures' });
        rows.push({
          transport,
          driver,
          run,
          exitCode: got.code,
          bytesPerMessage: p.wire?.bytesPerMessage ?? null,
          bytesSent: p.wire?.bytesSent ?? null,
          bytesReceived: p.wire?.bytesReceived ?? null,
          received: p.counters.received,
        });
      }
    }
  }
  return rows;
}

function wireMedians(rows: WireRun[]): WireRow[] {
  const out: WireRow[] = [];
  const med = (t: string, d: Driver) => median(rows.filter((r) => r.transport === t && r.driver === d).map((r) => r.bytesPerMessage));
  for (const transport of TRANSPORTS) {
    for (const driver of DRIVERS) {
      const rs = rows.filter((r) => r.transport === transport && r.driver === driver);
      const here = med(transport, driver);
      const tcp = med('tcp', driver);
      out.push({ transport, driver, runs: rs.length, failedRuns: RUNS - rs.filter((r) => r.exitCode === 0).length, bytesPerMessage: here, overTcp: here !== null && tcp !== null ? here - tcp : null });
    }
  }
  return out;
}

export async function benchDrivers(floor: FloorRow[]): Promise<Record<string, unknown>> {
  const failures: Failure[] = [];
  const out = await tempDir('mqbench-bench-');
  // The bundled broker's TLS certificates for the tls/wss runs: a scratch directory unless one is set.
  const ownCertDir = process.env['MQBENCH_CERT_DIR'] === undefined;
  const certs = ownCertDir ? await tempDir('mqbench-certs-') : null;
  if (certs !== null) process.env['MQBENCH_CERT_DIR'] = certs;
  let runs: RunRow[] = [];
  let wireRuns: WireRun[] = [];
  let skipped: string | undefined;
  try {
    if (ensureMosquitto()) runs = await matrix(out, failures);
    else {
      skipped = 'mosquitto could not be installed; the driver matrix was skipped';
      console.error(skipped);
    }
    wireRuns = await wire(out, failures);
  } finally {
    if (certs !== null) {
      delete process.env['MQBENCH_CERT_DIR'];
      await rm(certs, { recursive: true, force: true });
    }
    await rm(out, { recursive: true, force: true });
  }
  const rows = medians(runs);
  const wires = wireMedians(wireRuns);

  console.log(`\nmqbench bench · drivers (lean vs mqttjs) · closed model, --inflight ${INFLIGHT} · fresh mosquitto (tuned) per run · ${DURATION} steady after ${WARMUP} warm-up · median of ${RUNS} run(s) · node ${process.version}\n`);
  const header = ['qos', 'payload', 'pub->sub', 'driver', 'delivered/s', 'e2e p50', 'e2e p99', 'gen us/msg', 'mosq us/msg', 'gen/mosq', 'lean/mqttjs', 'B/msg', 'lost', 'dup', 'sat', 'failed'];
  const lines = rows.map((r) => [String(r.qos), r.payload, `${r.clients}->${r.clients}`, r.driver, int(r.deliveredPerSecond), ms(r.p50), ms(r.p99), us(r.generatorMicrosPerMessage), us(r.targetMicrosPerMessage), x2(r.ratio), r.driver === 'lean' ? x2(r.leanOverMqttjs) : '', us(r.bytesPerMessage), String(r.lost), String(r.duplicated), `${r.saturatedRuns}/${r.runs}`, `${r.failedRuns}/${RUNS}`]);
  for (const l of table(header, lines, 4)) console.log(l);
  console.log('  gen/mosq: median of the per-run ratios; lean/mqttjs: median over back-to-back run pairs of the generator us/msg ratio;');
  console.log('  lost/dup: summed over the runs; sat: runs whose generator was saturated; failed: runs with no result or a non-zero exit');

  console.log(`\nbytes on the wire per delivered message · QoS 0, 16B, 1->1, --inflight ${INFLIGHT}, bundled broker · median of ${RUNS} run(s)\n`);
  const wHeader = ['transport', 'driver', 'B/msg', 'vs tcp', 'failed'];
  const wLines = wires.map((w) => [w.transport, w.driver, us(w.bytesPerMessage), w.transport === 'tcp' ? '' : signed(w.overTcp), `${w.failedRuns}/${RUNS}`]);
  for (const l of table(wHeader, wLines, 2)) console.log(l);

  console.log('\ntargets');
  const verdict = (v: number | null, limit: number) => (v === null ? 'not measured' : v <= limit ? 'target met' : 'target NOT met');
  const targets: Record<string, unknown>[] = [];
  for (const driver of DRIVERS) {
    for (const qos of QOS) {
      const r = rows.find((x) => x.driver === driver && x.qos === qos && x.payload === '16B' && x.clients === 1);
      const v = r?.ratio ?? null;
      const floorRatio = floor.find((f) => f.qos === qos)?.ratio ?? null;
      targets.push({ target: `generator/mosquitto <= ${TARGET_GEN_OVER_BROKER}`, driver, qos, payload: '16B', clients: 1, value: v, met: v === null ? null : v <= TARGET_GEN_OVER_BROKER, floor: floorRatio });
      console.log(`  generator <= ${TARGET_GEN_OVER_BROKER}x mosquitto us/msg, QoS ${qos}, 16B, 1->1, ${driver.padEnd(6)}: ${x3(v)} (${verdict(v, TARGET_GEN_OVER_BROKER)}; the floor on this machine: ${x3(floorRatio)})`);
    }
  }
  for (const r of rows.filter((x) => x.driver === 'lean')) {
    const v = r.leanOverMqttjs;
    targets.push({ target: `lean/mqttjs generator us/msg <= ${TARGET_LEAN_OVER_MQTTJS}`, qos: r.qos, payload: r.payload, clients: r.clients, value: v, met: v === null ? null : v <= TARGET_LEAN_OVER_MQTTJS });
  }
  const leanTargets = targets.filter((t) => typeof t['target'] === 'string' && (t['target'] as string).startsWith('lean/mqttjs'));
  const met = leanTargets.filter((t) => t['met'] === true).length;
  const measured = leanTargets.filter((t) => t['met'] !== null).length;
  for (const qos of QOS) {
    const v = rows.find((x) => x.driver === 'lean' && x.qos === qos && x.payload === '16B' && x.clients === 1)?.leanOverMqttjs ?? null;
    // The floor's us/msg over the mqttjs median: what a client doing no work of its own would score here.
    const mqttjs = rows.find((x) => x.driver === 'mqttjs' && x.qos === qos && x.payload === '16B' && x.clients === 1)?.generatorMicrosPerMessage ?? null;
    const floorUs = floor.find((f) => f.qos === qos)?.generatorMicrosPerMessage ?? null;
    const floorOverMqttjs = floorUs !== null && mqttjs !== null && mqttjs > 0 ? floorUs / mqttjs : null;
    console.log(`  lean <= ${TARGET_LEAN_OVER_MQTTJS}x mqttjs generator us/msg, QoS ${qos}, 16B, 1->1: ${x3(v)} (${verdict(v, TARGET_LEAN_OVER_MQTTJS)}; the floor over mqttjs: ${x3(floorOverMqttjs)})`);
  }
  console.log(`  lean <= ${TARGET_LEAN_OVER_MQTTJS}x mqttjs generator us/msg, all combinations: met in ${met} of ${measured} measured (of ${leanTargets.length})`);
  for (const driver of DRIVERS) {
    const v = wires.find((w) => w.transport === 'ws' && w.driver === driver)?.overTcp ?? null;
    targets.push({ target: `ws - tcp <= ${TARGET_WS_OVERHEAD_BYTES} B/msg`, driver, value: v, met: driver === 'lean' ? (v === null ? null : v <= TARGET_WS_OVERHEAD_BYTES) : null });
    console.log(`  ws - tcp <= ${TARGET_WS_OVERHEAD_BYTES} B/msg, ${driver.padEnd(6)}: ${signed(v)} B/msg (${driver === 'lean' ? verdict(v, TARGET_WS_OVERHEAD_BYTES) : 'reported; the target is on lean'})`);
  }

  if (failures.length > 0) {
    console.log(`\nruns that failed (${failures.length}):`);
    for (const f of failures) console.log(`  ${f.what}: exit ${f.exitCode}\n${f.message.split('\n').map((l) => `    ${l}`).join('\n')}`);
  }
  return { duration: DURATION, warmup: WARMUP, runsPerDriver: RUNS, inflight: INFLIGHT, mosquittoConfig: 'tuned', ...(skipped === undefined ? {} : { skipped }), medians: rows, runs, wire: wires, wireRuns, targets, failures };
}
