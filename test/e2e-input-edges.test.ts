/**
 * Input edges that used to crash, slip through or mislead, through the built CLI: YAML aliases,
 * negative values after a flag (`--warmup -2s`), counts written as 0x3 or 1e1, hosts that look
 * like IPv4 addresses but are not, --insecure in the summary, and a WebSocket upgrade answered
 * by a plain HTTP server. Bad input is exit 2 with the flag or file named and what is valid,
 * before any connection. The pure pieces (argv joining, the summary line) are tested in memory,
 * and so are most bad-input cases (main() with a memory Io: the bin's code path, argv joining
 * included, without a process start); the alias bomb, `--warmup -2s` and the runs go through the
 * built CLI.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { joinDashValues, stringOptions } from '../src/cli/argv.js';
import { main } from '../src/cli/main.js';
import { renderSummary } from '../src/reporters/terminal.js';
import { readOnlyResult, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';
import { document, phase } from './helpers/report-docs.js';

const SHORT = ['--duration', '1s', '--warmup', '0s', '--drain', '1s', '--publishers', '1', '--subscribers', '1', '--workers', '1'];

let dir = '';

before(async () => {
  dir = await tempDir('mqbench-input-edges-');
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** The command in memory: exit code and output as the built CLI gives them. */
async function inMemory(args: string[]): Promise<CliResult> {
  const t = memoryIo();
  const code = await main(args, t.io);
  return { code, signal: null, stdout: t.out(), stderr: t.err() };
}

/** Exit 2 before anything ran, every message matched, no crash. */
function assertBadInput(r: CliResult, messages: RegExp[]): void {
  assert.equal(r.code, 2, `exit code\n${r.stderr}`);
  for (const m of messages) assert.match(r.stderr, m);
  assert.match(r.stderr, /nothing was run|nothing compared/);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+|Unknown argument/, 'neither a stack trace nor a flag read as short options');
}

describe('YAML aliases in a scenario file', () => {
  test('an alias bomb ("billion laughs") is exit 2 with what to do, not a crash', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h']] as const) lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const file = join(dir, 'laughs.yaml');
    await writeFile(file, `${lines.join('\n')}\nname: laughs\ngroups:\n  - { name: p, role: publish }\n`);
    const r = await runCli(['run', file, ...SHORT], { timeoutMs: 30_000 });
    assertBadInput(r, [/laughs\.yaml: its aliases \(\*name\) expand past the limit of 1000 copied values .*write the values out, or use fewer, unnested aliases/]);
  });

  test('an alias with no anchor is exit 2 naming the alias and its line', async () => {
    const file = join(dir, 'unresolved.yaml');
    await writeFile(file, 'name: x\ngroups:\n  - name: p\n    role: publish\n    clients: *nope\n');
    const r = await inMemory(['run', file, ...SHORT]);
    assertBadInput(r, [/unresolved\.yaml \(line 5\): alias \*nope refers to no anchor; define &nope on a value before this alias/]);
  });
});

describe('values that start with a minus sign', () => {
  test('stringOptions: the options that take a value, not the boolean ones', () => {
    const names = stringOptions();
    for (const n of ['warmup', 'duration', 'drain', 'rate', 'payload', 'publishers', 'connect-timeout', 'repeat', 'max-regression', 'latency-floor', 'format']) assert.ok(names.has(n), n);
    for (const n of ['json', 'md', 'insecure', 'nodelay', 'abort-on-fail']) assert.ok(!names.has(n), n);
  });

  const takes = (n: string): boolean => ['warmup', 'publishers', 'max-regression'].includes(n);
  const cases: Array<[string[], string[]]> = [
    [['run', '--warmup', '-2s'], ['run', '--warmup=-2s']],
    [['run', '--warmup', '-.5s', '--publishers', '-3'], ['run', '--warmup=-.5s', '--publishers=-3']],
    [['compare', 'a', 'b', '--max-regression', '-5%'], ['compare', 'a', 'b', '--max-regression=-5%']],
    [['run', '--json', '-2s'], ['run', '--json', '-2s']], // a boolean takes no value
    [['run', '--warmup=-2s'], ['run', '--warmup=-2s']],
    [['run', '--warmup', '-x'], ['run', '--warmup', '-x']], // a real short option
    [['run', '--warmup'], ['run', '--warmup']],
    [['run', '--', '--warmup', '-2s'], ['run', '--', '--warmup', '-2s']], // positional after --
  ];
  for (const [input, expected] of cases) {
    test(`joinDashValues ${input.join(' ')}`, () => {
      assert.deepEqual(joinDashValues(input, takes), expected);
    });
  }

  test('--warmup -2s reaches validation: exit 2, "must not be negative"', async () => {
    const r = await runCli(['run', '--warmup', '-2s', '--duration', '1s']);
    assertBadInput(r, [/--warmup: '-2s': a duration must not be negative; use e\.g\. 500ms, 10s, 2m/]);
    assert.match(r.stderr, /1 problem\(s\)/);
  });

  test('every duration, size, rate and count flag, each named with its problem', async () => {
    const r = await inMemory([
      'run',
      ...['--duration', '-1s', '--warmup', '-2s', '--drain', '-0.5s', '--connect-timeout', '-1s'],
      ...['--payload', '-1KiB', '--rate', '-5/s', '--connect-rate', '-10/s'],
      ...['--publishers', '-3', '--subscribers', '-1', '--connections', '-1', '--workers', '-2', '--keepalive', '-1', '--repeat', '-2'],
      ...['--baseline', join(dir, 'absent.json'), '--max-regression', '-5%', '--latency-floor', '-1ms'],
    ]);
    assertBadInput(r, [
      /--duration: '-1s': a duration must not be negative/,
      /--warmup: '-2s': a duration must not be negative/,
      /--drain: '-0\.5s': a duration must not be negative/,
      /--connect-timeout: '-1s': a duration must not be negative/,
      /--payload: '-1KiB': a size must not be negative/,
      /--rate: '-5\/s': a rate must not be negative/,
      /--connect-rate: '-10\/s': a rate must not be negative/,
      /--publishers: '-3' must be a whole number from 0 to/,
      /--subscribers: '-1' must be a whole number from 0 to/,
      /--connections: '-1' must be a whole number from 0 to/,
      /--workers: '-2' must be a whole number from 1 to 256/,
      /--keepalive: '-1' must be a whole number from 0 to 65535/,
      /--repeat: '-2' must be a whole number from 1 to 100/,
      /--max-regression: '-5%' is not a tolerance/,
      /--latency-floor: '-1ms': a duration must not be negative; use e\.g\. 250us or 1ms/,
    ]);
  });

  test('compare: --max-regression -5% is a bad tolerance, not an unknown option', async () => {
    const r = await inMemory(['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--max-regression', '-5%', '--latency-floor', '-1ms']);
    assertBadInput(r, [/--max-regression: '-5%' is not a tolerance/, /--latency-floor: '-1ms': a duration must not be negative/]);
  });
});

describe('counts are decimal digits', () => {
  test('--publishers 0x3, --subscribers 1e1, --repeat 0x2: exit 2 saying what to write', async () => {
    const r = await inMemory(['run', '--publishers', '0x3', '--subscribers', '1e1', '--repeat', '0x2', ...SHORT.slice(0, 6)]);
    assertBadInput(r, [
      /--publishers: '0x3' must be a whole number from 0 to 1000000 in plain decimal digits \(write 3\)/,
      /--subscribers: '1e1' must be a whole number from 0 to 1000000 in plain decimal digits \(write 10\)/,
      /--repeat: '0x2' must be a whole number from 1 to 100 in plain decimal digits \(write 2\)/,
    ]);
  });
});

describe('hosts that look like IPv4 addresses', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--target', 'mqtt://256.1.1.1'], /--target: '256\.1\.1\.1' is not an IPv4 address: 256 is above 255; an IPv4 address is four numbers from 0 to 255, e\.g\. 127\.0\.0\.1; or give a host name/],
    [['--target', 'ws://256.1.1.1:8080/mqtt'], /--target: '256\.1\.1\.1' is not an IPv4 address: 256 is above 255/],
    [['--target', 'mqtt://127.1:1883'], /--target: '127\.1' is not an IPv4 address: it has 2 number\(s\)/],
    [['--protocol', 'ws', '--ws-target', 'ws://10.0.0:8080'], /--ws-target: '10\.0\.0' is not an IPv4 address: it has 3 number\(s\)/],
  ];
  for (const [flags, message] of cases) {
    test(`${flags.join(' ')}: exit 2, no DNS lookup`, async () => {
      const r = await inMemory(['run', ...flags, ...SHORT]);
      assertBadInput(r, [message]);
      assert.doesNotMatch(r.stderr, /ENOTFOUND|dns/i);
    });
  }
});

describe('--insecure in the terminal summary', () => {
  test('renderSummary: the line is there with insecure: true and only then', () => {
    const line = /! TLS verification OFF \(--insecure\): the broker's certificate was not checked/;
    const on = document([phase('mqtt-tls-qos0')], { scenario: { name: 't', insecure: true } });
    const off = document([phase('mqtt-tls-qos0')], { scenario: { name: 't', insecure: false } });
    assert.match(renderSummary(on, null, false), line);
    assert.doesNotMatch(renderSummary(off, null, false), /TLS verification/);
    assert.doesNotMatch(renderSummary(document([phase('mqtt-tcp-qos0')]), null, false), /TLS verification/);
  });

  test('a TLS run with --insecure says so in its summary, and the result records it', async () => {
    const out = join(dir, 'insecure');
    const r = await runCli(['run', '--transport', 'tls', '--insecure', '--qos', '0', ...SHORT, '--out', out], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /! TLS verification OFF \(--insecure\)/);
    const { file, doc } = await readOnlyResult(out);
    assert.equal((doc.scenario as { insecure?: unknown }).insecure, true);
    assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tls-qos0']);
    // `report` renders the saved result with the same line.
    const again = await inMemory(['report', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /! TLS verification OFF \(--insecure\)/);
  });
});

describe('WebSocket upgrade refused by a plain HTTP server', () => {
  let http: HttpServer | undefined;
  let port = 0;
  let requests = 0;

  before(async () => {
    const server = createHttpServer((_req, res) => {
      requests++;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such page');
    });
    http = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    assert.ok(a !== null && typeof a === 'object');
    port = a.port;
  });

  after(async () => {
    const server = http;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('MQTT over WebSocket: exit 3 with the HTTP status, not "closed before CONNACK"', async () => {
    const out = join(dir, 'ws404');
    const seen = requests;
    const r = await runCli(['run', '--target', `ws://127.0.0.1:${port}/mqtt`, '--qos', '0', ...SHORT, '--out', out], { timeoutMs: 60_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(requests > seen, 'the clients reached the HTTP server');
    assert.match(r.stderr, /WebSocket upgrade refused: HTTP 404 Not Found; check the URL's path/);
    assert.doesNotMatch(r.stderr, /closed before CONNACK/);
    const { doc } = await readOnlyResult(out);
    assert.match(doc.phases[0]?.error ?? '', /HTTP 404 Not Found/);
  });

  test('plain WebSocket (--protocol ws): exit 3 with the HTTP status', async () => {
    const out = join(dir, 'ws404-plain');
    const r = await runCli(['run', '--protocol', 'ws', '--ws-target', `ws://127.0.0.1:${port}/echo`, ...SHORT, '--out', out], { timeoutMs: 60_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /WebSocket upgrade refused: HTTP 404 Not Found/);
    assert.ok(existsSync(out) && (await readdir(out)).some((f) => f.endsWith('.json')), 'a failed result is still written');
  });
});
