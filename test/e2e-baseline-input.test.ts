/**
 * Baselines and compared results that cannot gate anything are bad input (exit 2), said before
 * any load: a result that does not match the result schema (one loader for report, compare and
 * --baseline), and a baseline or head that shares no phase with the other side. Before this, a
 * phase without counters crashed compare with a TypeError (exit 1, read as "regression"), and
 * `run --baseline` with no phase in common passed with exit 0. The fixtures are one real run's
 * result, copied and broken in one place each. The commands run in memory (main() with a memory
 * Io, the bin's code path without the process start), and one case of each command through the
 * built CLI for the real exit code.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';

const SHORT = ['--duration', '1s', '--warmup', '0s', '--drain', '1s', '--publishers', '1', '--subscribers', '1', '--workers', '1'];

let dir = '';
let good = '';
let doc: ResultDocument;
/** A TCP server that only counts connections: a run against it must never reach it. */
let listener: Server | undefined;
let port = 0;
let connections = 0;
const sockets = new Set<Socket>();

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command in memory, or through the built CLI when `spawned`. */
async function cli(args: string[], spawned = false): Promise<CliResult> {
  if (spawned) return runCli(args, { timeoutMs: 60_000 });
  const t = memoryIo();
  const code = await main(args, t.io);
  return { code, stdout: t.out(), stderr: t.err() };
}

/** A copy of the good result with `change` applied, written to dir/name. */
async function variant(name: string, change: (d: Record<string, unknown> & ResultDocument) => void): Promise<string> {
  const copy = structuredClone(doc) as Record<string, unknown> & ResultDocument;
  change(copy);
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(copy, null, 2));
  return file;
}

function phase0(d: ResultDocument): Record<string, unknown> {
  const p = d.phases[0];
  assert.ok(p, 'the fixture has a phase');
  return p as unknown as Record<string, unknown>;
}

/** Exit 2, the message matched, and none of the signs of a crash. */
function assertBadInput(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 2, `exit code\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /TypeError|Cannot read properties|\n\s+at .*\.js:\d+/, 'no stack trace');
}

before(async () => {
  dir = await tempDir('mqbench-baseline-input-');
  const out = join(dir, 'fixture');
  const r = await runCli(['run', '--qos', '0', ...SHORT, '--out', out], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `fixture run failed:\n${r.stderr}`);
  ({ file: good, doc } = await readOnlyResult(out));
  assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos0']);
  listener = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  });
  const server = listener;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  assert.ok(a !== null && typeof a === 'object');
  port = a.port;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (listener !== undefined ? listener.close(() => resolve()) : resolve()));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('mqbench compare: a broken result is exit 2 naming the field, not a crash', () => {
  test('control: the unbroken result compared with itself is no regression', async () => {
    const r = await cli(['compare', good, good]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mqtt-tcp-qos0/);
  });

  const cases: Array<{ name: string; change: (d: ResultDocument) => void; side: 'base' | 'head'; message: RegExp; spawned?: boolean }> = [
    { name: 'no-counters.json', spawned: true, change: (d) => delete phase0(d)['counters'], side: 'base', message: /no-counters\.json: not an mqbench result \(phases\[0\] has no counters\); give a result file written by 'mqbench run' \(the format is schemas\/result\.schema\.json\)/ },
    { name: 'no-latency.json', change: (d) => delete phase0(d)['latency'], side: 'head', message: /no-latency\.json: not an mqbench result \(phases\[0\] has no latency\)/ },
    { name: 'no-e2e.json', change: (d) => delete (phase0(d)['latency'] as Record<string, unknown>)['e2e'], side: 'head', message: /no-e2e\.json: not an mqbench result \(phases\[0\]\.latency has no e2e\)/ },
    { name: 'text-count.json', change: (d) => ((phase0(d)['counters'] as Record<string, unknown>)['sent'] = 'many'), side: 'base', message: /text-count\.json: not an mqbench result \(phases\[0\]\.counters\.sent must be integer\)/ },
    { name: 'bad-status.json', change: (d) => (phase0(d)['status'] = 'fine'), side: 'head', message: /bad-status\.json: not an mqbench result \(phases\[0\]\.status must be one of "completed", /, },
  ];
  for (const c of cases) {
    test(`${c.side} ${c.name}${c.spawned === true ? ' (the built CLI)' : ''}`, async () => {
      const file = await variant(c.name, c.change);
      const r = await cli(['compare', ...(c.side === 'base' ? [file, good] : [good, file])], c.spawned);
      assertBadInput(r, c.message);
      assert.match(r.stderr, /^mqbench compare: 1 problem\(s\), nothing compared:/);
      assert.equal(r.stdout, '', 'no comparison printed');
    });
  }

  test('report reads results with the same loader: same message, exit 2', async () => {
    const file = await variant('no-counters-report.json', (d) => delete phase0(d)['counters']);
    const r = await cli(['report', file]);
    assertBadInput(r, /no-counters-report\.json: not an mqbench result \(phases\[0\] has no counters\)/);
  });

  test('no phase in common: exit 2 with both phase lists', async () => {
    const other = await variant('other-phases.json', (d) => {
      phase0(d)['name'] = 'mqtt-ws-qos1';
    });
    const r = await cli(['compare', good, other]);
    assertBadInput(r, /no phase in common: base has mqtt-tcp-qos0, head has mqtt-ws-qos1; compare results of the same scenario \(phases are matched by name\)/);
  });
});

describe('run --baseline: checked before any connection', () => {
  /** A run against the counting listener, with its own empty --out. */
  async function runWithBaseline(baseline: string, qos: string, spawned = false): Promise<{ r: CliResult; out: string }> {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const before = connections;
    const r = await cli(['run', '--target', `mqtt://127.0.0.1:${port}`, '--qos', qos, ...SHORT, '--baseline', baseline, '--out', out], spawned);
    assert.equal(connections - before, 0, 'nothing connected to the target');
    const written = existsSync(out) ? (await readdir(out)).filter((f) => f.endsWith('.json')) : [];
    assert.deepEqual(written, [], 'no result file');
    return { r, out };
  }

  test('a baseline whose phase has no counters: exit 2 naming the field, no load, no result (the built CLI)', async () => {
    const broken = await variant('broken-baseline.json', (d) => delete phase0(d)['counters']);
    const { r } = await runWithBaseline(broken, '0', true);
    assertBadInput(r, /--baseline: .*broken-baseline\.json: not an mqbench result \(phases\[0\] has no counters\)/);
    assert.match(r.stderr, /nothing was run/);
  });

  test('a valid baseline of other phases: exit 2 listing both phase lists, no load, no result', async () => {
    const { r } = await runWithBaseline(good, '1,2');
    assertBadInput(r, /--baseline: no phase in common with .*\.json: it has mqtt-tcp-qos0, this run plans mqtt-tcp-qos1, mqtt-tcp-qos2; give a baseline from the same scenario/);
    assert.match(r.stderr, /nothing was run/);
  });

  test('a renamed phase is no match either', async () => {
    const renamed = await variant('renamed.json', (d) => {
      phase0(d)['name'] = 'mqtt-tcp-qos0-old';
    });
    const { r } = await runWithBaseline(renamed, '0');
    assertBadInput(r, /it has mqtt-tcp-qos0-old, this run plans mqtt-tcp-qos0;/);
  });
});
