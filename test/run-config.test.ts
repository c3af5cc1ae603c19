/**
 * buildRunConfig (src/config/run-config.ts; the flags read by config/flag-overlay.ts): flags-only
 * runs into a Scenario; defaults, every problem reported at once, conflicting options, and
 * --target URL validation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildRunConfig, type ConfigIssue, type RawRunFlags, type Target } from '../src/config/run-config.js';
import { RUN_FLAGS } from '../src/config/run-flags.js';
import type { GroupSpec, Scenario } from '../src/config/model.js';

function scenarioOf(raw: RawRunFlags, interactive = false): Scenario {
  const r = buildRunConfig(raw, interactive);
  if ('issues' in r) assert.fail(`expected a config for ${JSON.stringify(raw)}, got issues ${JSON.stringify(r.issues)}`);
  return r.config;
}

/** The flat view of a flags-only scenario, in the terms of the flags (what the cases below were written against). */
function view(s: Scenario) {
  const group = (name: string): GroupSpec | undefined => s.groups.find((g) => g.name === name);
  const pub = group('publishers') ?? group('echo');
  const first = s.groups[0];
  assert.ok(first !== undefined, 'a flags-only run has at least one group');
  return {
    target: s.targets[0] ?? s.wsTargets[0] ?? null,
    protocol: first.protocol,
    wsRole: first.protocol === 'ws' && group('echo') === undefined ? 'broadcast' : 'echo',
    transport: first.transport,
    caPem: s.caPem,
    caPath: s.caPath,
    insecure: s.insecure,
    localAddresses: s.localAddresses,
    connections: group('connections')?.clients ?? 0,
    publishers: pub?.clients ?? 0,
    subscribers: group('subscribers')?.clients ?? 0,
    qos: s.cells.map((c) => c.qos),
    rate: pub?.rate ?? null,
    inflight: pub?.inflight ?? null,
    payloadBytes: (pub ?? first).payload.bytes,
    durationMs: s.load.durationMs,
    warmupMs: s.load.warmupMs,
    drainMs: s.load.drainMs,
    topic: (pub ?? first).topic,
    workers: s.workers,
    connectRate: s.connectRate,
    connectTimeoutMs: s.connectTimeoutMs,
    keepaliveSeconds: first.keepaliveSeconds,
    noDelay: s.noDelay,
    outDir: s.outDir,
    json: s.json,
    targetPid: s.targetPid,
    interactive: s.interactive,
  };
}
type View = ReturnType<typeof view>;

function configOf(raw: RawRunFlags, interactive = false): View {
  return view(scenarioOf(raw, interactive));
}

function issuesOf(raw: RawRunFlags): ConfigIssue[] {
  const r = buildRunConfig(raw, false);
  if ('config' in r) assert.fail(`expected issues for ${JSON.stringify(raw)}, got a config`);
  assert.ok(r.issues.length > 0);
  for (const i of r.issues) {
    assert.ok(i.where.startsWith('--'), `where should name a flag: ${JSON.stringify(i)}`);
    assert.ok(i.message.length > 0, `empty message: ${JSON.stringify(i)}`);
  }
  return r.issues;
}

const dir = mkdtempSync(join(tmpdir(), 'mqbench-run-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, PEM);
const notPem = join(dir, 'not-a-cert.txt');
writeFileSync(notPem, 'hello\n');
const missing = join(dir, 'missing.pem');

describe('defaults', () => {
  test('no flags: every default applied', () => {
    assert.deepEqual(configOf({}), {
      target: null,
      protocol: 'mqtt',
      wsRole: 'echo',
      transport: 'tcp',
      caPem: null,
      caPath: null,
      insecure: false,
      localAddresses: [],
      connections: 0,
      publishers: 1,
      subscribers: 1,
      qos: [0, 1, 2],
      rate: null,
      inflight: 100,
      payloadBytes: 16,
      durationMs: 10_000,
      warmupMs: 2_000,
      drainMs: 5_000,
      topic: RUN_FLAGS.topic.default,
      workers: availableParallelism(),
      connectRate: 500,
      connectTimeoutMs: 5_000,
      keepaliveSeconds: 30,
      noDelay: true,
      outDir: 'results',
      json: false,
      targetPid: null,
      interactive: false,
    } satisfies View);
  });

  test('interactive is passed through, not validated', () => {
    assert.equal(configOf({}, true).interactive, true);
    assert.equal(configOf({}, false).interactive, false);
  });

  test('empty --target and empty --ca mean none', () => {
    const c = configOf({ target: '', ca: '' });
    assert.equal(c.target, null);
    assert.equal(c.caPath, null);
    assert.equal(c.caPem, null);
  });

  test('plain WebSocket defaults to the ws transport and the echo role', () => {
    const c = configOf({ protocol: 'ws' });
    assert.equal(c.protocol, 'ws');
    assert.equal(c.transport, 'ws');
    assert.equal(c.wsRole, 'echo');
  });
});

describe('valid flags are converted', () => {
  const cases: Array<{ name: string; raw: RawRunFlags; expect: Partial<View> }> = [
    { name: 'counts from strings', raw: { publishers: '4', subscribers: '0', connections: '10', workers: '3' }, expect: { publishers: 4, subscribers: 0, connections: 10, workers: 3 } },
    { name: 'counts from numbers', raw: { publishers: 1_000_000, subscribers: 2, workers: 256 }, expect: { publishers: 1_000_000, subscribers: 2, workers: 256 } },
    { name: 'connections only (no publishers)', raw: { publishers: 0, connections: 5 }, expect: { publishers: 0, connections: 5 } },
    { name: 'qos list', raw: { qos: '2,1' }, expect: { qos: [2, 1] } },
    { name: 'open model rate (no window in the open model)', raw: { rate: '10k/s' }, expect: { rate: 10_000, inflight: null } },
    { name: 'closed model inflight', raw: { inflight: '7' }, expect: { rate: null, inflight: 7 } },
    { name: 'units', raw: { payload: '1KiB', duration: '1.5m', warmup: 0, drain: '250ms', connectTimeout: '100ms', connectRate: '600/m' }, expect: { payloadBytes: 1024, durationMs: 90_000, warmupMs: 0, drainMs: 250, connectTimeoutMs: 100, connectRate: 10 } },
    { name: 'bare duration numbers are seconds', raw: { duration: 3, warmup: 1 }, expect: { durationMs: 3000, warmupMs: 1000 } },
    { name: 'smallest payload holds the header', raw: { payload: 16 }, expect: { payloadBytes: 16 } },
    { name: 'topic template with every variable', raw: { topic: 't/{run}/{worker}/{n}/{client}' }, expect: { topic: 't/{run}/{worker}/{n}/{client}' } },
    { name: 'booleans', raw: { nodelay: false, json: true, insecure: true }, expect: { noDelay: false, json: true, insecure: true } },
    { name: 'keepalive range ends', raw: { keepalive: 0 }, expect: { keepaliveSeconds: 0 } },
    { name: 'keepalive max', raw: { keepalive: '65535' }, expect: { keepaliveSeconds: 65_535 } },
    { name: 'out directory', raw: { out: 'some/dir' }, expect: { outDir: 'some/dir' } },
    { name: 'local addresses, comma-separated and repeated', raw: { localAddress: ['127.0.0.2, 127.0.0.3', '::1'] }, expect: { localAddresses: ['127.0.0.2', '127.0.0.3', '::1'] } },
    { name: 'target pid with a target', raw: { target: 'mqtt://127.0.0.1:1883', targetPid: '1234' }, expect: { targetPid: 1234 } },
    { name: 'transport without target', raw: { transport: 'tls' }, expect: { transport: 'tls', target: null } },
    { name: 'transport agreeing with the target', raw: { target: 'mqtts://h', transport: 'tls' }, expect: { transport: 'tls' } },
    { name: 'plain WebSocket broadcast over wss', raw: { protocol: 'ws', role: 'broadcast', transport: 'wss' }, expect: { protocol: 'ws', wsRole: 'broadcast', transport: 'wss' } },
    { name: 'CA file', raw: { ca: caFile, target: 'mqtts://h' }, expect: { caPath: caFile, caPem: PEM, insecure: false } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const config = configOf(c.raw);
      for (const [k, v] of Object.entries(c.expect)) {
        assert.deepEqual(config[k as keyof View], v, `${k} for ${JSON.stringify(c.raw)}`);
      }
    });
  }
});

describe('every problem is reported at once', () => {
  test('many bad flags: one issue per problem, in flag order', () => {
    const issues = issuesOf({
      target: 'http://example.com',
      protocol: 'amqp',
      transport: 'carrier-pigeon',
      publishers: '-1',
      subscribers: 'x',
      connections: '1.5',
      ca: missing,
      insecure: true,
      localAddress: '127.0.0.2,nope',
      qos: '3',
      rate: 'fast',
      inflight: 0,
      payload: '8B',
      duration: '500ms',
      warmup: 'soon',
      drain: '-1s',
      topic: 'a/#/{foo}',
      workers: 0,
      connectRate: '0/s',
      connectTimeout: '50ms',
      keepalive: 70_000,
      out: '  ',
      targetPid: 'abc',
    });
    assert.deepEqual(
      issues.map((i) => i.where),
      [
        '--target',
        '--protocol',
        '--transport',
        '--publishers',
        '--subscribers',
        '--connections',
        '--ca',
        '--ca/--insecure',
        '--local-address',
        '--qos',
        '--rate',
        '--inflight',
        '--rate/--inflight',
        '--payload',
        '--duration',
        '--warmup',
        '--drain',
        '--topic',
        '--topic',
        '--workers',
        '--connect-rate',
        '--connect-timeout',
        '--keepalive',
        '--out',
        '--target-pid',
      ],
    );
    const text = issues.map((i) => `${i.where}: ${i.message}`).join('\n');
    for (const quoted of ['http:', 'amqp', 'carrier-pigeon', "'-1'", "'x'", "'1.5'", 'ENOENT', "'nope'", "'3'", "'fast'", "'0'", '8 bytes', "'soon'", "'-1s'", 'wildcard', '{foo}', "'0/s'", "'70000'", "'abc'"]) {
      assert.ok(text.includes(quoted), `issues should mention ${quoted}:\n${text}`);
    }
  });

  test('two bad flags give exactly two issues', () => {
    assert.deepEqual(
      issuesOf({ qos: '0,0', payload: 'big' }).map((i) => i.where),
      ['--qos', '--payload'],
    );
  });
});

describe('single bad flags', () => {
  const cases: Array<{ raw: RawRunFlags; where: string; message: RegExp }> = [
    { raw: { publishers: 1.5 }, where: '--publishers', message: /'1.5' must be a whole number from 0 to 1000000/ },
    { raw: { publishers: 1_000_001 }, where: '--publishers', message: /from 0 to 1000000/ },
    { raw: { publishers: 0 }, where: '--publishers', message: /at least one publisher/ },
    { raw: { subscribers: -1 }, where: '--subscribers', message: /'-1' must be a whole number/ },
    { raw: { connections: 'many' }, where: '--connections', message: /'many'/ },
    { raw: { inflight: 0 }, where: '--inflight', message: /from 1 to 65000/ },
    { raw: { inflight: 65_001 }, where: '--inflight', message: /from 1 to 65000/ },
    { raw: { qos: '0,1,0' }, where: '--qos', message: /QoS 0 is listed twice/ },
    { raw: { qos: '' }, where: '--qos', message: /is not a QoS level/ },
    { raw: { rate: '0' }, where: '--rate', message: /greater than zero/ },
    { raw: { rate: '' }, where: '--rate', message: /is not a rate/ },
    { raw: { payload: '15B' }, where: '--payload', message: /15 bytes cannot hold the 16-byte measurement header/ },
    { raw: { payload: '257MiB' }, where: '--payload', message: /above 256MiB/ },
    { raw: { payload: '1.5B' }, where: '--payload', message: /whole number of bytes/ },
    { raw: { duration: '999ms' }, where: '--duration', message: /999ms is too short/ },
    { raw: { duration: 'forever' }, where: '--duration', message: /'forever' is not a duration/ },
    { raw: { warmup: '1d' }, where: '--warmup', message: /'1d' is not a duration/ },
    { raw: { drain: 'x' }, where: '--drain', message: /'x' is not a duration/ },
    { raw: { topic: '' }, where: '--topic', message: /must not be empty/ },
    { raw: { topic: 'a/+/b' }, where: '--topic', message: /wildcard/ },
    { raw: { topic: 'a/{clientid}' }, where: '--topic', message: /'\{clientid\}' is not a template variable/ },
    { raw: { topic: 'a/{}' }, where: '--topic', message: /'\{\}' is not a template variable/ },
    { raw: { workers: 257 }, where: '--workers', message: /from 1 to 256/ },
    { raw: { workers: 0 }, where: '--workers', message: /from 1 to 256/ },
    { raw: { connectRate: 'quick' }, where: '--connect-rate', message: /'quick' is not a rate/ },
    { raw: { connectTimeout: '99ms' }, where: '--connect-timeout', message: /at least 100ms/ },
    { raw: { connectTimeout: 'never' }, where: '--connect-timeout', message: /'never' is not a duration/ },
    { raw: { keepalive: 65_536 }, where: '--keepalive', message: /from 0 to 65535/ },
    // Refused as with a scenario file (a flags-only run used to fall back to lean without a word).
    { raw: { driver: 'foo' }, where: '--driver', message: /'foo' is not a driver/ },
    { raw: { out: '' }, where: '--out', message: /must name a directory/ },
    { raw: { localAddress: 'localhost' }, where: '--local-address', message: /'localhost' is not an IP address/ },
    { raw: { protocol: 'http' }, where: '--protocol', message: /'http' is not one of mqtt, ws/ },
    { raw: { protocol: 'ws', role: 'relay' }, where: '--role', message: /'relay' is not one of echo, broadcast/ },
    { raw: { transport: 'udp' }, where: '--transport', message: /'udp' is not a transport/ },
    { raw: { ca: notPem }, where: '--ca', message: /holds no PEM certificate/ },
    { raw: { ca: missing }, where: '--ca', message: /cannot read .*ENOENT/ },
    // Counts are decimal digits: Number() would read '0x3' as 3 and '1e1' as 10.
    { raw: { publishers: '0x3' }, where: '--publishers', message: /'0x3' must be a whole number from 0 to 1000000 in plain decimal digits \(write 3\)/ },
    { raw: { subscribers: '1e1' }, where: '--subscribers', message: /'1e1' must be a whole number from 0 to 1000000 in plain decimal digits \(write 10\)/ },
    { raw: { workers: '0b10' }, where: '--workers', message: /'0b10' must be a whole number from 1 to 256 in plain decimal digits \(write 2\)/ },
    { raw: { keepalive: '6e1' }, where: '--keepalive', message: /in plain decimal digits/ },
    { raw: { inflight: '1e9' }, where: '--inflight', message: /'1e9' must be a whole number from 1 to 65000 in plain decimal digits$/ },
    { raw: { connections: '+0x1' }, where: '--connections', message: /'\+0x1' must be a whole number from 0 to 10000000$/ },
    // Negative durations, sizes and rates, as `--warmup -2s` reaches them (cli/argv.ts).
    { raw: { warmup: '-2s' }, where: '--warmup', message: /'-2s': a duration must not be negative; use e\.g\. 500ms, 10s, 2m/ },
    { raw: { duration: '-1s' }, where: '--duration', message: /a duration must not be negative/ },
    { raw: { drain: '-0.5s' }, where: '--drain', message: /a duration must not be negative/ },
    { raw: { connectTimeout: '-1s' }, where: '--connect-timeout', message: /a duration must not be negative/ },
    { raw: { payload: '-1KiB' }, where: '--payload', message: /a size must not be negative/ },
    { raw: { rate: '-5/s' }, where: '--rate', message: /a rate must not be negative/ },
    { raw: { connectRate: '-10/s' }, where: '--connect-rate', message: /a rate must not be negative/ },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.raw)} -> ${c.where}`, () => {
      const issues = issuesOf(c.raw);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      const [issue] = issues;
      assert.equal(issue?.where, c.where);
      assert.match(issue?.message ?? '', c.message);
    });
  }

  // yargs hands `--keepalive=` or `--subscribers ''` over as '' (every count flag is a string
  // option); Number('') and Number(' ') are 0, which must not pass as a count.
  const blanks: Array<[keyof RawRunFlags, string]> = [
    ['subscribers', '--subscribers'],
    ['connections', '--connections'],
    ['keepalive', '--keepalive'],
  ];
  for (const [flag, where] of blanks) {
    for (const blank of ['', ' ']) {
      test(`${where} ${JSON.stringify(blank)} is not a number`, () => {
        const issues = issuesOf({ [flag]: blank });
        assert.deepEqual(issues.map((i) => i.where), [where]);
        assert.match(issues[0]?.message ?? '', /must be a whole number/);
      });
    }
  }

  // Transport names are checked with `in`, which also sees Object.prototype's keys.
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    test(`--transport ${name} is not a transport`, () => {
      const issues = issuesOf({ transport: name });
      assert.deepEqual(issues.map((i) => i.where), ['--transport']);
      assert.match(issues[0]?.message ?? '', /is not a transport/);
    });
  }
});

describe('conflicting flags', () => {
  const cases: Array<{ name: string; raw: RawRunFlags; issues: Array<[string, RegExp]> }> = [
    { name: 'rate with inflight', raw: { rate: 100, inflight: 10 }, issues: [['--rate/--inflight', /choose one load model/]] },
    { name: 'rate with the default inflight value given explicitly', raw: { rate: '100/s', inflight: 100 }, issues: [['--rate/--inflight', /not both/]] },
    { name: 'ca with insecure', raw: { ca: caFile, insecure: true }, issues: [['--ca/--insecure', /choose one/]] },
    { name: 'role with MQTT', raw: { role: 'broadcast' }, issues: [['--role', /applies to --protocol ws only/]] },
    { name: 'transport contradicting the target', raw: { target: 'mqtt://h:1883', transport: 'ws' }, issues: [['--transport', /contradicts --target mqtt:\/\/h:1883 \(tcp\)/]] },
    { name: 'plain WebSocket against an mqtt:// target', raw: { protocol: 'ws', target: 'mqtt://h' }, issues: [['--target', /needs a ws:\/\/ or wss:\/\/ target/]] },
    { name: 'plain WebSocket over tcp', raw: { protocol: 'ws', transport: 'tcp' }, issues: [['--transport', /ws or wss, not tcp/]] },
    { name: 'target pid without target', raw: { targetPid: 42 }, issues: [['--target-pid', /only applies with --target/]] },
    { name: 'no publishers and no idle connections', raw: { publishers: '0', connections: 0 }, issues: [['--publishers', /at least one publisher/]] },
    { name: 'rate too high per publisher', raw: { rate: '200001', publishers: 2 }, issues: [['--rate', /200001\/s over 2 publisher\(s\) is more than 100000\/s per client/]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const issues = issuesOf(c.raw);
      assert.deepEqual(
        issues.map((i) => i.where),
        c.issues.map(([w]) => w),
      );
      c.issues.forEach(([, re], i) => assert.match(issues[i]?.message ?? '', re));
    });
  }

  test('rate at exactly 100000/s per publisher is allowed', () => {
    assert.equal(configOf({ rate: '200000', publishers: 2 }).rate, 200_000);
  });
});

describe('--target', () => {
  const valid: Array<[string, Omit<Target, 'url'>]> = [
    ['mqtt://127.0.0.1:1883', { transport: 'tcp', host: '127.0.0.1', port: 1883, path: '' }],
    ['mqtt://broker.local', { transport: 'tcp', host: 'broker.local', port: 1883, path: '' }],
    ['mqtt://h:2000/ignored', { transport: 'tcp', host: 'h', port: 2000, path: '' }],
    ['mqtts://broker.example', { transport: 'tls', host: 'broker.example', port: 8883, path: '' }],
    ['mqtts://broker.example:9883', { transport: 'tls', host: 'broker.example', port: 9883, path: '' }],
    ['ws://h', { transport: 'ws', host: 'h', port: 80, path: '' }],
    ['ws://h:80', { transport: 'ws', host: 'h', port: 80, path: '' }],
    ['ws://h:9001/mqtt', { transport: 'ws', host: 'h', port: 9001, path: '/mqtt' }],
    ['wss://h', { transport: 'wss', host: 'h', port: 443, path: '' }],
    ['wss://h/custom?x=1', { transport: 'wss', host: 'h', port: 443, path: '/custom?x=1' }],
    ['mqtt://[::1]:1884', { transport: 'tcp', host: '::1', port: 1884, path: '' }],
    // Host names with numeric labels are names, not addresses.
    ['mqtt://10.0.0.1', { transport: 'tcp', host: '10.0.0.1', port: 1883, path: '' }],
    ['mqtt://255.255.255.254:1', { transport: 'tcp', host: '255.255.255.254', port: 1, path: '' }],
    ['mqtt://1.2.3.4.nip.io', { transport: 'tcp', host: '1.2.3.4.nip.io', port: 1883, path: '' }],
    ['mqtt://0.0.0.0', { transport: 'tcp', host: '0.0.0.0', port: 1883, path: '' }],
    ['mqtt://broker-1.example', { transport: 'tcp', host: 'broker-1.example', port: 1883, path: '' }],
  ];
  for (const [url, expected] of valid) {
    test(`${url}`, () => {
      const c = configOf({ target: url });
      assert.deepEqual(c.target, { url, ...expected });
      assert.equal(c.transport, expected.transport, 'the target scheme decides the transport');
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['not a url', /'not a url' is not a URL/],
    ['127.0.0.1:1883', /is not a URL/],
    ['mqtt://h:99999', /'mqtt:\/\/h:99999' is not a URL/],
    ['mqtt://:1883', /is not a URL/],
    ['http://example.com', /'http:\/\/' is not an MQTT URL/],
    ['tcp://h:1883', /'tcp:\/\/' is not an MQTT URL/],
    ['localhost:1883', /is not an MQTT URL/],
    ['mqtt://', /'mqtt:\/\/' has no host/],
    ['mqtt://127.0.0.1:0', /names port 0/],
    // Numbers and dots mean an IPv4 address: not a name to send to DNS (exit 3) or to inet_aton.
    ['mqtt://256.1.1.1', /'256\.1\.1\.1' is not an IPv4 address: 256 is above 255; an IPv4 address is four numbers from 0 to 255, e\.g\. 127\.0\.0\.1/],
    ['mqtt://1.2.3.300:1883', /300 is above 255/],
    ['ws://256.1.1.1/mqtt', /'256\.1\.1\.1' is not an IPv4 address: 256 is above 255/],
    ['mqtt://127.1', /'127\.1' is not an IPv4 address: it has 2 number\(s\)/],
    ['ws://1.2.3:9001/mqtt', /'1\.2\.3' is not an IPv4 address: it has 3 number\(s\)/],
    ['mqtt://1.2.3.4.5', /it has 5 number\(s\)/],
    ['mqtt://2130706433', /it has 1 number\(s\)/],
    ['mqtts://user@010.0.0.1:8883', /'010\.0\.0\.1' is not an IPv4 address: write '010' in plain decimal/],
    ['mqtt://0x7f.0.0.1', /write '0x7f' in plain decimal/],
  ];
  for (const [url, re] of invalid) {
    test(`rejects ${url}`, () => {
      const issues = issuesOf({ target: url });
      assert.deepEqual(issues.map((i) => i.where), ['--target']);
      assert.match(issues[0]?.message ?? '', re);
    });
  }

  test('a bad target does not also complain about --target-pid', () => {
    assert.deepEqual(issuesOf({ target: 'nope', targetPid: 7 }).map((i) => i.where), ['--target']);
  });
});

describe('flags-only runs as a Scenario', () => {
  test('no flags: the whole scenario', () => {
    const s = scenarioOf({});
    assert.equal(s.name, 'flags');
    assert.equal(s.file, null);
    assert.equal(s.description, null);
    assert.deepEqual(s.targets, []);
    assert.deepEqual(s.wsTargets, []);
    assert.deepEqual(s.load, { stages: [], warmupMs: 2000, durationMs: 10_000, drainMs: 5000 });
    assert.equal(s.matrix, null);
    assert.deepEqual(s.cells, [{ qos: 0 }, { qos: 1 }, { qos: 2 }]);
    assert.deepEqual(
      s.groups.map((g) => [g.name, g.role, g.protocol, g.transport, g.clients, g.qos, g.rate, g.inflight, g.topic, g.filters]),
      [
        ['publishers', 'publish', 'mqtt', 'tcp', 1, 0, null, 100, RUN_FLAGS.topic.default, []],
        ['subscribers', 'subscribe', 'mqtt', 'tcp', 1, 0, null, null, RUN_FLAGS.topic.default, []],
      ],
    );
    const [pub] = s.groups;
    assert.deepEqual(pub, {
      name: 'publishers',
      protocol: 'mqtt',
      transport: 'tcp',
      mqttVersion: 4,
      clients: 1,
      connectRate: null,
      role: 'publish',
      topic: RUN_FLAGS.topic.default,
      filters: [],
      qos: 0,
      payload: { bytes: 16, template: null },
      retain: false,
      rate: null,
      inflight: 100,
      messages: null,
      clean: true,
      sessionExpirySeconds: null,
      will: null,
      keepaliveSeconds: 30,
      userProperties: {},
      messageExpirySeconds: null,
      topicAlias: false,
      startMs: 0,
      offline: null,
      drop: null,
    } satisfies GroupSpec);
  });

  const cases: Array<{ name: string; raw: RawRunFlags; groups: Array<[string, string, number]>; cells: Scenario['cells'] }> = [
    { name: 'connections beside publishers and subscribers', raw: { connections: 3, qos: '1' }, groups: [['publishers', 'publish', 1], ['subscribers', 'subscribe', 1], ['connections', 'connect-only', 3]], cells: [{ qos: 1 }] },
    { name: 'groups with 0 clients are left out', raw: { subscribers: 0, publishers: 2 }, groups: [['publishers', 'publish', 2]], cells: [{ qos: 0 }, { qos: 1 }, { qos: 2 }] },
    { name: 'only connections: one cell with the first qos', raw: { publishers: 0, subscribers: 0, connections: 5, qos: '2,1' }, groups: [['connections', 'connect-only', 5]], cells: [{ qos: 2 }] },
    { name: 'ws echo', raw: { protocol: 'ws', publishers: 3 }, groups: [['echo', 'echo', 3]], cells: [{}] },
    { name: 'ws broadcast', raw: { protocol: 'ws', role: 'broadcast', publishers: 2, subscribers: 4 }, groups: [['publishers', 'publish', 2], ['subscribers', 'subscribe', 4]], cells: [{}] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = scenarioOf(c.raw);
      assert.deepEqual(s.groups.map((g) => [g.name, g.role, g.clients]), c.groups);
      assert.deepEqual(s.cells, c.cells);
    });
  }

  test('rate and qos: the first level on the groups, every level a cell', () => {
    const s = scenarioOf({ rate: '1000/s', publishers: 4, qos: '1,2', payload: '1KiB', keepalive: 5 });
    const pub = s.groups[0];
    assert.equal(pub?.rate, 1000);
    assert.equal(pub?.inflight, null);
    assert.ok(s.groups.every((g) => g.qos === 1 && g.payload.bytes === 1024 && g.keepaliveSeconds === 5));
    assert.deepEqual(s.cells, [{ qos: 1 }, { qos: 2 }]);
  });

  test('--target is repeatable, one per transport; --transport picks among them', () => {
    const s = scenarioOf({ target: ['mqtt://h:1883', 'ws://h:9001/mqtt'], transport: 'ws' });
    assert.deepEqual(s.targets.map((t) => t.transport), ['tcp', 'ws']);
    assert.ok(s.groups.every((g) => g.transport === 'ws'));
    assert.equal(scenarioOf({ target: ['mqtt://h:1883', 'ws://h:9001/mqtt'] }).groups[0]?.transport, 'tcp', 'the first target decides without --transport');
  });

  test('--protocol ws: --target is the WebSocket server; --ws-target too', () => {
    const s = scenarioOf({ protocol: 'ws', target: 'wss://h:8443' });
    assert.deepEqual(s.targets, []);
    assert.deepEqual(s.wsTargets.map((t) => t.url), ['wss://h:8443']);
    assert.equal(s.groups[0]?.transport, 'wss');
    assert.deepEqual(scenarioOf({ protocol: 'ws', wsTarget: 'ws://h:8080' }).wsTargets.map((t) => t.url), ['ws://h:8080']);
    assert.deepEqual(scenarioOf({ wsTarget: ['ws://h:8080'] }).wsTargets.map((t) => t.transport), ['ws'], 'kept for MQTT runs too');
  });

  const bad: Array<{ name: string; raw: RawRunFlags; issues: Array<[string, RegExp]> }> = [
    { name: 'two targets for one transport', raw: { target: ['mqtt://a', 'mqtt://b:1884'] }, issues: [['--target', /mqtt:\/\/a and mqtt:\/\/b:1884 are both tcp/]] },
    { name: '--transport without a target among several', raw: { target: ['mqtt://a', 'ws://a/mqtt'], transport: 'tls' }, issues: [['--transport', /--transport tls has no --target among mqtt:\/\/a, ws:\/\/a\/mqtt/]] },
    { name: '--ws-target must be ws:// or wss://', raw: { wsTarget: 'mqtt://h' }, issues: [['--ws-target', /'mqtt:\/\/' is not a WebSocket URL/]] },
    { name: 'idle connections are MQTT only', raw: { protocol: 'ws', connections: 2 }, issues: [['--connections', /MQTT clients/]] },
  ];
  for (const c of bad) {
    test(c.name, () => {
      const issues = issuesOf(c.raw);
      assert.deepEqual(issues.map((i) => i.where), c.issues.map(([w]) => w));
      c.issues.forEach(([, re], i) => assert.match(issues[i]?.message ?? '', re));
    });
  }
});
