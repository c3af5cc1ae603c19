/**
 * Send lag of the open-model scheduler (issue #11, item 3): how late messages leave versus
 * their schedule. Open model, QoS 0, 16 B, 1->1, at 200/s, 1,000/s and 10,000/s against the
 * bundled broker (BENCH_SEND_LAG_TARGETS=bundled,mosquitto adds mosquitto; BENCH_SEND_LAG_RATES=1000 runs one rate).
 *
 * p50 and p99 are the worst worker's sendLagP50 and sendLagP99 (the recorder's own histogram of
 * actual minus intended send time). The mean lag (e2e mean - e2eUncorrected mean: per message
 * the corrected latency minus the uncorrected one is exactly its lag) is printed beside them.
 *
 * Target on an idle machine: p50 <= 50us and p99 <= 500us at 1,000/s.
 */
import { rm } from 'node:fs/promises';
import type { PhaseResult } from '../src/metrics/result.js';
import { tempDir } from '../test/helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';
import { ensureMosquitto, runJson } from './cli-json.js';
import { ms, table } from './format.js';

const DURATION = process.env['BENCH_DURATION'] ?? '5s';
const WARMUP = process.env['BENCH_WARMUP'] ?? '1s';
const TARGETS = (process.env['BENCH_SEND_LAG_TARGETS'] ?? 'bundled').split(',');
const RATES = (process.env['BENCH_SEND_LAG_RATES'] ?? '200,1000,10000').split(',').map(Number);
const TARGET_P50_US = 50;
const TARGET_P99_US = 500;

interface SendLagRow {
  target: string;
  rate: number;
  sentPerSecond: number;
  /** Worst worker's sendLagP50, microseconds. */
  lagP50: number;
  /** e2e mean - e2eUncorrected mean, microseconds. */
  lagMean: number;
  /** Worst worker's sendLagP99, microseconds. */
  lagP99: number;
  e2eP50: number;
  e2eUncorrectedP50: number;
  /** Busiest worker's event-loop utilisation, percent (setImmediate turns count as busy). */
  busyPercent: number;
  /** Generator CPU per delivered message, microseconds (the whole process: the bundled broker too). */
  generatorMicrosPerMessage: number | null;
  saturated: boolean;
  exitCode: number | null;
}


function rowOf(target: string, rate: number, p: PhaseResult, exitCode: number | null): SendLagRow {
  const e2e = p.latency.e2e;
  const unc = p.latency.e2eUncorrected;
  return {
    target,
    rate,
    sentPerSecond: p.rates.sentPerSecond,
    lagP50: Math.max(0, ...p.generator.workers.map((w) => w.sendLagP50 ?? Number.NaN)),
    lagMean: e2e.mean - unc.mean,
    lagP99: Math.max(0, ...p.generator.workers.map((w) => w.sendLagP99)),
    e2eP50: e2e.p50,
    e2eUncorrectedP50: unc.p50,
    busyPercent: Math.max(0, ...p.generator.workers.map((w) => w.cpuPercent)),
    generatorMicrosPerMessage: p.generator.cpuMicrosPerMessage,
    saturated: p.generator.saturated,
    exitCode,
  };
}

export async function benchSendLag(): Promise<SendLagRow[]> {
  const rows: SendLagRow[] = [];
  const out = await tempDir('mqbench-bench-');
  try {
    for (const target of TARGETS) {
      if (target === 'mosquitto' && !ensureMosquitto()) {
        console.error('mosquitto could not be installed; skipping the mosquitto rows');
        continue;
      }
      for (const rate of RATES) {
        let broker: Mosquitto | null = null;
        const args = ['run', '--json', '--qos', '0', '--payload', '16B', '--publishers', '1', '--subscribers', '1', '--rate', String(rate), '--duration', DURATION, '--warmup', WARMUP, '--out', out];
        if (target === 'mosquitto') {
          broker = await startMosquitto();
          args.push('--target', broker.url, '--target-pid', String(broker.pid));
        }
        process.stderr.write(`bench: send lag ${target} ${rate}/s QoS 0 1->1 ... `);
        try {
          const r = await runJson(args);
          const p = r.doc?.phases[0];
          if (p === undefined) {
            process.stderr.write(`no result (exit ${r.code}):\n${r.stderr}\n`);
            continue;
          }
          process.stderr.write(`exit ${r.code}\n`);
          rows.push(rowOf(target, rate, p, r.code));
        } finally {
          await broker?.stop();
        }
      }
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }

  const header = ['target', 'rate/s', 'sent/s', 'lag p50', 'lag mean', 'lag p99', 'e2e p50', 'uncorr p50', 'busy %', 'gen us/msg', 'saturated'];
  const lines = rows.map((r) => [r.target, r.rate.toLocaleString('en-US'), Math.round(r.sentPerSecond).toLocaleString('en-US'), ms(r.lagP50), ms(r.lagMean), ms(r.lagP99), ms(r.e2eP50), ms(r.e2eUncorrectedP50), r.busyPercent.toFixed(0), r.generatorMicrosPerMessage === null ? '-' : r.generatorMicrosPerMessage.toFixed(1), r.saturated ? 'yes' : 'no']);
  console.log(`\nmqbench bench · open-model send lag · QoS 0, 16B, 1->1 · ${DURATION} steady after ${WARMUP} warm-up · node ${process.version}\n`);
  for (const l of table(header, lines, 1)) console.log(l);
  console.log('  lag: actual minus intended send time, worst worker; mean: e2e mean - e2eUncorrected mean');
  for (const r of rows.filter((x) => x.rate === 1000)) {
    const met = r.lagP50 <= TARGET_P50_US && r.lagP99 <= TARGET_P99_US;
    console.log(`target (idle machine): at 1,000/s lag p50 <= ${TARGET_P50_US}us and p99 <= ${TARGET_P99_US}us: ${r.target} p50 ${ms(r.lagP50)} p99 ${ms(r.lagP99)} (${met ? 'target met' : 'target NOT met'})`);
  }
  return rows;
}
