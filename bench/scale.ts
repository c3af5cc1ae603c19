/**
 * Scale benchmarks (issue #3): connections held against mosquitto and client memory per
 * connection, connects per second per transport, and WebSocket echo beside a minimal
 * ws ping-pong client on the same echo server.
 */
import { openFilesLimit } from '../src/coordinator/preflight.js';
import type { PhaseResult } from '../src/metrics/result.js';
import { startBundledEcho } from '../src/servers/bundled-echo.js';
import { tempDir } from '../test/helpers/cli.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { ms } from './format.js';
import { ensureMosquitto, runJson } from './cli-json.js';
import { pingPong } from './ws-pingpong.js';

export const SCALE_SECTIONS = ['connections', 'connect-rate', 'ws-echo'];
/**
 * As many as the open-files limit allows, less a margin: mqbench and mosquitto (which inherits
 * the limit) each need one descriptor per connection. 19,000 on these machines (20,000 per
 * process); more wherever the limit is higher, up to what sources and ports allow.
 */
function defaultConnections(): number {
  const limit = openFilesLimit();
  if (limit === null || !Number.isFinite(limit.soft)) return 19_000;
  return Math.max(1000, Math.min(limit.soft - 1000, 200_000));
}
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? defaultConnections());
const HOLD = process.env['BENCH_HOLD'] ?? '30s';
const BASELINE_CONNECTIONS = 1000;

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function phaseOf(args: string[]): Promise<PhaseResult> {
  const out = await tempDir('mqbench-bench-');
  const r = await runJson(['run', '--json', '--out', out, ...args]);
  const p = r.doc?.phases[0];
  if (p === undefined) throw new Error(`mqbench ${args.join(' ')} gave no phase (exit ${r.code}):\n${r.stderr}`);
  if (r.code !== 0) console.error(`  (exit ${r.code}: ${r.doc?.verdict.failures.join('; ') || r.doc?.error || r.stderr.trim().split('\n').pop()})`);
  return p;
}

/** Idle connections held against mosquitto; memory per connection from the difference of two runs. */
async function connections(): Promise<Record<string, unknown>> {
  if (!ensureMosquitto()) return { skipped: 'mosquitto could not be installed' };
  const hold = async (n: number, duration: string) => {
    const m = await startMosquitto();
    try {
      return await phaseOf(['--target', m.url, '--publishers', '0', '--subscribers', '0', '--connections', String(n), '--connect-rate', '5000/s', '--connect-timeout', '20s', '--keepalive', '30', '--duration', duration, '--warmup', '0s']);
    } finally {
      await m.stop();
    }
  };
  console.error(`bench: holding ${BASELINE_CONNECTIONS} then ${CONNECTIONS} idle MQTT connections against mosquitto`);
  const small = await hold(BASELINE_CONNECTIONS, '3s');
  const big = await hold(CONNECTIONS, HOLD);
  const rss = (p: PhaseResult) => Math.max(...p.generator.workers.map((w) => w.rssBytes));
  const heap = (p: PhaseResult) => p.generator.workers.reduce((a, w) => a + w.heapUsedBytes, 0);
  const held = Math.min(...big.timeline.filter((t) => !t.warmup).map((t) => t.connections));
  const extra = CONNECTIONS - BASELINE_CONNECTIONS;
  const row = {
    asked: CONNECTIONS,
    connected: big.counters.connects,
    heldThroughout: held,
    connectFailures: big.counters.connectFailures,
    dropped: big.counters.disconnects,
    errors: big.counters.errors,
    holdSeconds: big.durationSeconds,
    connectSeconds: big.connectSeconds,
    connectsPerSecond: Math.round(big.counters.connects / big.connectSeconds),
    connectP50us: big.latency.connect.p50,
    connectP99us: big.latency.connect.p99,
    rssPerConnectionBytes: Math.round((rss(big) - rss(small)) / extra),
    heapPerConnectionBytes: Math.round((heap(big) - heap(small)) / extra),
  };
  console.log(`\nconnections held against mosquitto (${HOLD}, keepalive 30s, connect rate asked 5000/s)`);
  console.log(`  ${row.connected}/${row.asked} connected, ${row.heldThroughout} held throughout, ${row.connectFailures} failed, ${row.dropped} dropped, errors ${JSON.stringify(row.errors)}`);
  console.log(`  connected in ${row.connectSeconds}s (${row.connectsPerSecond}/s), connect p50 ${ms(row.connectP50us)} p99 ${ms(row.connectP99us)}`);
  console.log(`  client memory per connection (${CONNECTIONS} vs ${BASELINE_CONNECTIONS} connections): RSS ${kib(row.rssPerConnectionBytes)}, JS heap ${kib(row.heapPerConnectionBytes)} (target: at most 10 KiB)`);
  return row;
}

/** Unpaced connects of 2000 idle clients per transport against the bundled broker, and tcp/ws against mosquitto. */
async function connectRate(): Promise<Record<string, unknown>[]> {
  const n = 2000;
  const rows: Record<string, unknown>[] = [];
  const measure = async (label: string, args: string[]) => {
    const p = await phaseOf([...args, '--publishers', '0', '--subscribers', '0', '--connections', String(n), '--connect-rate', '1000000/s', '--connect-timeout', '30s', '--duration', '1s', '--warmup', '0s']);
    const stage = (['connectTcp', 'connectTls', 'connectWs'] as const).filter((s) => p.latency[s].count > 0).map((s) => `${s.slice(7).toLowerCase()} p99 ${ms(p.latency[s].p99)}`);
    const row = { target: label, transport: p.params.transport, connected: p.counters.connects, failed: p.counters.connectFailures, seconds: p.connectSeconds, perSecond: Math.round(p.counters.connects / p.connectSeconds), p50us: p.latency.connect.p50, p99us: p.latency.connect.p99, stages: stage.join(', ') };
    rows.push(row);
    console.log(`  ${label.padEnd(9)} ${row.transport.padEnd(4)} ${String(row.connected).padStart(5)}/${n} in ${row.seconds.toFixed(2)}s = ${String(row.perSecond).padStart(6)}/s  connect p50 ${ms(row.p50us)} p99 ${ms(row.p99us)}  ${row.stages}`);
  };
  console.log(`\nconnects per second, ${n} idle MQTT clients opened unpaced over 2 workers (to CONNACK)`);
  const certs = await tempDir('mqbench-certs-');
  process.env['MQBENCH_CERT_DIR'] = certs;
  for (const t of ['tcp', 'tls', 'ws', 'wss']) await measure('bundled', ['--transport', t]);
  if (ensureMosquitto()) {
    const m = await startMosquitto();
    try {
      await measure('mosquitto', ['--target', m.url]);
      await measure('mosquitto', ['--target', m.wsUrl]);
    } finally {
      await m.stop();
    }
  }
  return rows;
}

/** mqbench's ws echo role at one message in flight beside the minimal ping-pong client. */
async function wsEcho(): Promise<Record<string, unknown>> {
  const echo = await startBundledEcho({ transports: ['ws'] });
  const url = `${echo.urls.ws}/echo`;
  try {
    const reference = await pingPong(url, 5000, 1000, 16);
    const p = await phaseOf(['--protocol', 'ws', '--target', url, '--publishers', '1', '--inflight', '1', '--workers', '1', '--payload', '16B', '--duration', '5s', '--warmup', '1s']);
    const many = await phaseOf(['--protocol', 'ws', '--target', url, '--publishers', '4', '--inflight', '100', '--payload', '16B', '--duration', '5s', '--warmup', '1s']);
    const row = {
      pingPong: reference,
      mqbench: { perSecond: Math.round(p.rates.receivedPerSecond), p50: p.latency.e2e.p50, p99: p.latency.e2e.p99 },
      p50Ratio: p.latency.e2e.p50 / reference.p50,
      throughputAt4x100: { perSecond: Math.round(many.rates.receivedPerSecond), p50: many.latency.e2e.p50, p99: many.latency.e2e.p99, saturated: many.generator.saturated },
    };
    console.log('\nWebSocket echo, 16B, bundled echo server, one message in flight');
    console.log(`  minimal ws ping-pong: ${Math.round(reference.perSecond)}/s, p50 ${ms(reference.p50)} p99 ${ms(reference.p99)}`);
    console.log(`  mqbench ws echo:      ${row.mqbench.perSecond}/s, p50 ${ms(row.mqbench.p50)} p99 ${ms(row.mqbench.p99)}  (p50 ${((row.p50Ratio - 1) * 100).toFixed(1)}% vs ping-pong; target within 10%)`);
    console.log(`  mqbench ws echo, 4 clients x 100 in flight: ${row.throughputAt4x100.perSecond}/s, p50 ${ms(row.throughputAt4x100.p50)} p99 ${ms(row.throughputAt4x100.p99)}${row.throughputAt4x100.saturated ? ' (generator saturated)' : ''}`);
    return row;
  } finally {
    await echo.stop();
  }
}

export async function benchScale(sections: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (sections.includes('connections')) out['connections'] = await connections();
  if (sections.includes('connect-rate')) out['connectRate'] = await connectRate();
  if (sections.includes('ws-echo')) out['wsEcho'] = await wsEcho();
  return out;
}
