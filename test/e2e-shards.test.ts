/**
 * Beyond one machine, end to end: shard processes started side by side by
 * scripts/shard-rehearsal.sh (the local rehearsal of a Kubernetes Indexed Job) against one broker,
 * the same start time, then `mqbench merge`. Fan-in and fan-out across shards are counted exactly,
 * histograms add up, the HdrHistogram logs read back with hdr-histogram-js' own reader, and a
 * missing, duplicated or foreign shard is refused with exit 2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { decode, mergeEncoded, summarize } from '../src/metrics/histogram.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { startBundledBroker, type BundledBroker } from '../src/servers/bundled.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { assertMatchesSchema } from './helpers/schema.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/shard-rehearsal.sh', import.meta.url));
const dirs: string[] = [];

interface Rehearsal {
  code: number | null;
  stderr: string;
  out: string;
  shards: ResultDocument[];
  shardFiles: string[];
  merged: { file: string; doc: ResultDocument };
}

/** scripts/shard-rehearsal.sh N with `args`, then the shards' and the merged result. */
async function rehearse(n: number, args: string[]): Promise<Rehearsal> {
  const out = await tempDir('mqbench-shards-');
  dirs.push(out);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, String(n), out, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1', MQBENCH_REHEARSAL_LEAD: '8' } });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`shard-rehearsal.sh did not finish in 60 s:\n${err}`));
    }, 60_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stderr: err });
    });
  });
  const logs = await Promise.all(Array.from({ length: n }, (_, k) => readFile(join(out, `shard-${k + 1}.log`), 'utf8').catch(() => '(no log)')));
  assert.equal(code, 0, `rehearsal exit ${code}:\n${stderr}\n${logs.join('\n')}`);
  const shardFiles: string[] = [];
  const shards: ResultDocument[] = [];
  for (let k = 1; k <= n; k++) {
    const r = await readOnlyResult(join(out, `shard-${k}`));
    shardFiles.push(r.file);
    shards.push(r.doc);
  }
  return { code, stderr, out, shards, shardFiles, merged: await readOnlyResult(join(out, 'merged')) };
}

const scenarioFile = async (name: string, yaml: string): Promise<string> => {
  const dir = await tempDir('mqbench-shard-scenario-');
  dirs.push(dir);
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
};

const FAN_IN = `name: shard-fan-in
load: { warmup: 0s, duration: 1s, drain: 2s }
workers: 1
groups:
  - { name: sensors, role: publish, clients: 6, qos: 1, rate: 300/s, topic: "s/{run}/{n}" }
  - { name: collector, role: subscribe, clients: 1, qos: 1, subscribe: "s/{run}/+" }
`;
const FAN_OUT = `name: shard-fan-out
load: { warmup: 0s, duration: 1s, drain: 2s }
workers: 1
groups:
  - { name: source, role: publish, clients: 1, qos: 1, rate: 200/s, topic: "f/{run}/all" }
  - { name: screens, role: subscribe, clients: 4, qos: 1, subscribe: "f/{run}/all" }
`;

const group = (doc: ResultDocument, name: string) => {
  const g = doc.phases[0]?.groups.find((x) => x.name === name);
  assert.ok(g !== undefined, `group ${name}`);
  return g;
};

// Both rehearsals run side by side (their start times a few seconds ahead are most of their length).
let aedes: BundledBroker;
let mosquitto: Mosquitto;
let fanIn: Rehearsal;
let fanOut: Rehearsal;
let logDir: string;
before(async () => {
  [aedes, mosquitto, logDir] = await Promise.all([startBundledBroker({ transports: ['tcp'] }), startMosquitto(), tempDir('mqbench-hdr-')]);
  dirs.push(logDir);
  const [inFile, outFile] = await Promise.all([scenarioFile('fan-in.yaml', FAN_IN), scenarioFile('fan-out.yaml', FAN_OUT)]);
  [fanIn, fanOut] = await Promise.all([
    rehearse(3, [inFile, '--target', aedes.urls.tcp ?? '', '--hdr-log', logDir]),
    rehearse(3, [outFile, '--target', mosquitto.url, '--clock-sync']),
  ]);
});
after(async () => {
  await Promise.all([aedes?.stop(), mosquitto?.stop()]);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('3 shards against the bundled broker: fan-in across shards', () => {
  let run: Rehearsal;
  before(() => {
    run = fanIn;
  });

  test('the merged result is the whole plan: sends summed, every message of every shard delivered once', () => {
    const { merged, shards } = run;
    assertMatchesSchema(merged.doc);
    assert.deepEqual(merged.doc.shard?.indexes, [1, 2, 3]);
    assert.equal(merged.doc.runId, shards[0]?.runId);
    const sensors = group(merged.doc, 'sensors');
    const collector = group(merged.doc, 'collector');
    assert.equal(sensors.sent, shards.reduce((a, d) => a + group(d, 'sensors').sent, 0), 'sent = the shards summed');
    assert.ok(sensors.sent > 0);
    // The collector (shard 1) got the messages of shards 2 and 3 too: counted exactly, none lost.
    assert.equal(collector.expected, sensors.sent);
    assert.equal(collector.received, sensors.sent);
    assert.equal(collector.lost, 0);
    assert.equal(merged.doc.phases[0]?.counters.lost, 0);
    assert.equal(merged.doc.verdict.passed, true, merged.doc.verdict.failures.join('; '));
    // Each shard's own result says delivery crosses shards and counts only its own publishers' messages.
    for (const d of shards) assert.deepEqual(d.shard?.crossShardPhases, ['mqtt-tcp-qos1']);
    assert.equal(group(shards[1] as ResultDocument, 'collector').expected, 0, 'shard 2 has no receiver of its own');
  });

  test('histograms add exactly; without --clock-sync only the collector\'s own shard is timed', () => {
    const { merged, shards } = run;
    const m = merged.doc.phases[0];
    assert.ok(m !== undefined);
    const parts = shards.map((d) => d.phases[0]?.latency.e2e.histogram ?? '');
    assert.equal(m.latency.e2e.count, shards.reduce((a, d) => a + (d.phases[0]?.latency.e2e.count ?? 0), 0));
    assert.deepEqual(m.latency.e2e, summarize(mergeEncoded(parts)), 'merged percentiles = the shards\' histograms added by hand');
    assert.ok(m.latency.e2e.count > 0 && m.latency.e2e.count < group(merged.doc, 'collector').received, `timed ${m.latency.e2e.count} of ${group(merged.doc, 'collector').received}`);
    // The workers of all shards, numbered on, each saying its shard.
    assert.deepEqual(m.generator.workers.map((w) => [w.workerIndex, w.shard]), [[0, 1], [1, 2], [2, 3]]);
    assert.equal(merged.doc.sockets.workers, 3);
  });

  test('the HdrHistogram logs read back with hdr-histogram-js to the per-second counts', async () => {
    const logs = (await readdir(logDir)).filter((f) => f.endsWith('.hlog'));
    assert.equal(logs.length, 3, 'one log per shard');
    let fromLogs = 0;
    for (const f of logs) {
      const reader = new hdr.HistogramLogReader(await readFile(join(logDir, f), 'utf8'));
      for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
        assert.equal(h.tag, 'mqtt-tcp-qos1.e2e');
        fromLogs += h.totalCount;
      }
    }
    const fromSnapshots = run.shards.flatMap((d) => d.shard?.phases ?? []).flatMap((p) => p.snapshots).reduce((a, s) => a + (s.e2e === '' ? 0 : decode(s.e2e).totalCount), 0);
    assert.ok(fromSnapshots > 0);
    assert.equal(fromLogs, fromSnapshots);
    const merged = await runCli(['merge', ...logs.map((f) => join(logDir, f)), '--out', join(logDir, 'merged')]);
    assert.equal(merged.code, 0, merged.stderr);
    const [one] = await readdir(join(logDir, 'merged'));
    const reader = new hdr.HistogramLogReader(await readFile(join(logDir, 'merged', one ?? ''), 'utf8'));
    let total = 0;
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) total += h.totalCount;
    assert.equal(total, fromSnapshots, 'the merged log holds every shard\'s counts');
  });

  test('a merged result is a normal result: report, compare and merge again work', async () => {
    const { merged } = run;
    const report = await runCli(['report', merged.file]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /mqtt-tcp-qos1/);
    const cmp = await runCli(['compare', merged.file, merged.file]);
    assert.equal(cmp.code, 0, cmp.stderr);
    const out = await tempDir();
    dirs.push(out);
    const again = await runCli(['merge', merged.file, '--out', out, '--threshold', 'mqtt.lost == 0']);
    assert.equal(again.code, 0, again.stderr);
    const re = await readOnlyResult(out);
    assert.deepEqual(re.doc.phases[0]?.counters, merged.doc.phases[0]?.counters);
  });

  test('a missing, duplicated or foreign shard: exit 2, named, nothing written', async () => {
    const [one, two, three] = run.shardFiles;
    const out = await tempDir();
    dirs.push(out);
    const missing = await runCli(['merge', one ?? '', two ?? '', '--out', out]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /shard\(s\) 3 of 3 missing: give the result of every shard of run/);
    const dup = await runCli(['merge', one ?? '', two ?? '', three ?? '', two ?? '', '--out', out]);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /shard 2\/3 is in more than one input/);
    const foreign = JSON.parse(await readFile(three ?? '', 'utf8')) as ResultDocument;
    foreign.runId = 'other1';
    const foreignFile = join(out, 'foreign.json');
    await writeFile(foreignFile, JSON.stringify(foreign));
    const other = await runCli(['merge', one ?? '', two ?? '', foreignFile, '--out', out]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /foreign\.json is from run other1, .* merge the shards of one run/);
    // A --baseline that shares no phase would gate nothing: refused as run refuses it.
    const unrelated = JSON.parse(await readFile(run.merged.file, 'utf8')) as ResultDocument;
    for (const p of unrelated.phases) p.name = 'other-phase';
    const unrelatedFile = join(out, 'unrelated.json');
    await writeFile(unrelatedFile, JSON.stringify(unrelated));
    const base = await runCli(['merge', one ?? '', two ?? '', three ?? '', '--baseline', unrelatedFile, '--out', out]);
    assert.equal(base.code, 2, base.stderr);
    assert.match(base.stderr, /--baseline: no phase in common with .*unrelated\.json: it has other-phase/);
    const plain = await runCli(['merge', run.merged.file, one ?? '', '--out', out]);
    assert.equal(plain.code, 2, 'the merged result already holds shard 1');
    assert.deepEqual((await readdir(out)).filter((f) => f.startsWith('mqbench-')), []);
  });
});

describe('3 shards against mosquitto with --clock-sync: fan-out across shards, every delivery timed', () => {
  let run: Rehearsal;
  before(() => {
    run = fanOut;
  });

  test('each subscriber got every message of the one publisher, whichever shard it ran in', () => {
    const { merged } = run;
    const source = group(merged.doc, 'source');
    const screens = group(merged.doc, 'screens');
    assert.ok(source.sent > 0);
    assert.equal(screens.expected, 4 * source.sent);
    assert.equal(screens.received, 4 * source.sent);
    assert.deepEqual(screens.receivedPerClient, { min: source.sent, max: source.sent });
    assert.equal(merged.doc.shard?.clockSync, true);
    // With synchronised clocks (one machine's clock here) the other shards' deliveries are timed too:
    // without --clock-sync only the screen in the source's own shard (1 of 4) would be. Each process
    // reads the wall clock for itself, so a message sent at the very start of the steady window may
    // fall a few microseconds before it in another shard's reading and go untimed: not all, but far
    // more than one screen's share.
    const timed = merged.doc.phases[0]?.latency.e2e.count ?? 0;
    const delivered = screens.received - screens.duplicated;
    assert.ok(timed > 0.9 * delivered && timed <= delivered, `timed ${timed} of ${delivered} deliveries`);
  });
});
