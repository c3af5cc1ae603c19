/**
 * `mqbench run [scenario]` as a user runs it (the built CLI, a child process): a bad scenario
 * exits 2 listing every problem and connects to nothing; client flags with a file are refused;
 * the help shows defaults without applying them.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRun } from './helpers/run-argv.js';
import { runCli, tempDir } from './helpers/cli.js';

let dir = '';
let server: Server;
let port = 0;
let connections = 0;

before(async () => {
  dir = await tempDir('mqbench-scenario-cli-');
  // A broker stand-in: a run that connected anywhere would show up here.
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  port = address.port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('mqbench run <scenario>', () => {
  test('a bad scenario exits 2, lists every problem, connects to nothing and writes nothing', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        `target: mqtt://127.0.0.1:${port}`,
        'load: { duration: 500ms }',
        'groups:',
        '  - name: pubs',
        '    role: publish',
        '    clients: 2',
        '    qos: 3',
        '  - { name: subs, role: subscribe, clients: 1, subscribe: a/b#, inflight: 2 }',
        'matrix: { qos: [0, 1], transprt: [tcp] }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out, '--duration', '0s', '--publishers', '3'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const expected = [
      `${file}: load.duration (line 2)`,
      `${file}: groups[0].qos (line 7)`,
      `${file}: groups[1].subscribe (line 8)`,
      `${file}: groups[1].inflight (line 8)`,
      `${file}: matrix.transprt (line 9)`,
      '--publishers',
      '--duration',
    ];
    assert.match(r.stderr, new RegExp(`${expected.length} problem\\(s\\) with .*bad\\.yaml and the flags, nothing was run`));
    for (const where of expected) assert.ok(r.stderr.includes(`  ${where}: `), `stderr should list ${where}:\n${r.stderr}`);
    assert.equal(connections, 0, 'nothing connected');
    await assert.rejects(readdir(out), /ENOENT/, 'no result directory');
  });

  test('a missing scenario file exits 2', async () => {
    const r = await runCli(['run', join(dir, 'missing.yaml')], { timeoutMs: 30_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml: no such file/);
  });

  test('no workload flags: the quickstart scenario (a bad --duration is reported against it)', async () => {
    const r = await runCli(['run', '--duration', '10ms'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /1 problem\(s\) with .*scenarios[/\\]quickstart\.yaml and the flags/);
    assert.match(r.stderr, /--duration: 10ms is too short/);
  });

  test('run --help shows the defaults as text', async () => {
    const r = await runCli(['run', '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const s of ['[default: "10s"]', '[default: "0,1,2"]', '--no-nodelay', '[default: Nagle off]', '--ws-target', 'scenario']) assert.ok(help.includes(s), `help should show ${s}`);
  });
});


test('run options have no yargs defaults: a flag not given is undefined, so it does not override the file', async () => {
  const argv = await parseRun(['f.yaml', '--target', 'mqtt://a', '--target', 'ws://a/mqtt', '--no-nodelay']);
  assert.equal(argv['scenario'], 'f.yaml');
  assert.deepEqual(argv['target'], ['mqtt://a', 'ws://a/mqtt'], '--target is repeatable');
  assert.equal(argv['nodelay'], false);
  const bare = await parseRun([]);
  assert.equal(bare['scenario'], undefined);
  for (const k of ['insecure', 'json', 'nodelay', 'duration', 'qos', 'payload', 'publishers', 'subscribers', 'connections', 'keepalive', 'out', 'connect-rate', 'warmup', 'drain', 'topic', 'ws-target']) {
    assert.equal(bare[k], undefined, `${k} should be undefined when not given`);
  }
});
