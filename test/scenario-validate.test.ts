/**
 * Scenario files (src/scenario/*, src/config/scenario-run.ts): real files in a temp directory,
 * every problem reported with its path and line, each rule between fields, the matrix, and
 * flags over the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ConfigIssue, RawRunFlags } from '../src/config/run-config.js';
import { buildScenarioRun, resolveRun } from '../src/config/scenario-run.js';
import type { GroupSpec, Scenario } from '../src/config/model.js';

const dir = mkdtempSync(join(tmpdir(), 'mqbench-scenario-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes text to a new file in the temp dir; returns its path. */
function file(text: string, ext = '.yaml', name?: string): string {
  const path = join(dir, name ?? `s${++n}${ext}`);
  writeFileSync(path, text);
  return path;
}

function ok(text: string, flags: RawRunFlags = {}, ext = '.yaml'): Scenario {
  const path = file(text, ext);
  const r = buildScenarioRun(path, flags, false);
  if ('issues' in r) assert.fail(`expected a scenario, got:\n${r.issues.map((i) => `${i.where}: ${i.message}`).join('\n')}`);
  return r.config;
}

function bad(text: string, flags: RawRunFlags = {}, ext = '.yaml'): { path: string; issues: ConfigIssue[] } {
  const path = file(text, ext);
  const r = buildScenarioRun(path, flags, false);
  if ('config' in r) assert.fail(`expected problems for:\n${text}`);
  return { path, issues: r.issues };
}

const PUB = '  - { name: p, role: publish, clients: 2 }\n';
const SUB = '  - { name: s, role: subscribe, clients: 1 }\n';
const TWO = `groups:\n${PUB}${SUB}`;

describe('every problem at once, with path and line', () => {
  test('a file with many mistakes lists all of them in file order', () => {
    const { path, issues } = bad(
      [
        'name: broken', //                       1
        'targt: mqtt://127.0.0.1:1883', //       2
        'load:', //                              3
        '  duration: 500ms', //                  4
        '  warmup: soon', //                     5
        'groups:', //                            6
        '  - name: pubs', //                     7
        '    role: publish', //                  8
        '    clients: 0', //                     9
        '    qos: 3', //                        10
        '    topic: a/+/b', //                  11
        '    rate: 10/s', //                    12
        '    inflight: 5', //                   13
        '  - name: subs', //                    14
        '    role: listen', //                  15
        '    clients: 1', //                    16
        '    subscribe: a/b#', //               17
        '    payload: 8B', //                   18
        'matrix:', //                           19
        '  qos: [0, 1]', //                     20
        '  transprt: [tcp]', //                 21
      ].join('\n'),
    );
    const where = (p: string, line: number): string => `${path}: ${p} (line ${line})`;
    assert.deepEqual(
      issues.map((i) => i.where),
      [
        where('targt', 2),
        where('load.duration', 4),
        where('load.warmup', 5),
        where('groups[0].clients', 9),
        where('groups[0].qos', 10),
        where('groups[0].topic', 11),
        where('groups[0].inflight', 13),
        where('groups[1].role', 15),
        where('groups[1].subscribe', 17),
        where('groups[1].payload', 18),
        where('matrix.transprt', 21),
      ],
    );
    const text = issues.map((i) => i.message).join('\n');
    for (const expected of ["did you mean 'target'", 'too short', "'soon' is not a duration", 'from 1 to', 'not a QoS level', 'wildcard', 'choose one load model', "'listen' is not one of publish, subscribe, both, echo, connect-only", "'#' must be the whole last level", '16-byte measurement header', "did you mean 'transport'"]) {
      assert.ok(text.includes(expected), `missing '${expected}' in:\n${text}`);
    }
  });

  test('YAML syntax errors name the line; a duplicate key too', () => {
    const { path, issues } = bad('name: x\ngroups:\n  - { name: p, role: publish, clients: 1, topic: a/{client} }\n');
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.where, `${path} (line 3)`);
    assert.match(issues[0]?.message ?? '', /not valid YAML.*must be quoted/);
    const dup = bad(`name: x\nname: y\n${TWO}`);
    assert.deepEqual(dup.issues.map((i) => i.where), [`${dup.path} (line 2)`]);
    assert.match(dup.issues[0]?.message ?? '', /written twice/);
  });

  test('aliases: a defined one is read; an undefined one or an alias bomb is a problem with where, not a crash', () => {
    // Control: an anchor reused by an alias is ordinary YAML and must keep working.
    const reused = ok('name: x\ngroups:\n  - { name: p, role: publish, clients: &n 2 }\n  - { name: s, role: subscribe, clients: *n }\n');
    assert.deepEqual(reused.groups.map((g) => g.clients), [2, 2]);

    const unresolved = bad('name: x\ngroups:\n  - name: p\n    role: publish\n    clients: *nope\n');
    assert.deepEqual(unresolved.issues.map((i) => i.where), [`${unresolved.path} (line 5)`]);
    assert.match(unresolved.issues[0]?.message ?? '', /alias \*nope refers to no anchor; define &nope on a value before this alias/);
    const json = bad('{"name": "x", "groups": *g}\n', {}, '.json');
    assert.match(json.issues[0]?.message ?? '', /alias \*g refers to no anchor/);

    // "Billion laughs": 9^6 copies of 'lol' from seven lines.
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']] as const) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const bomb = bad(`${levels.join('\n')}\n${TWO}`);
    assert.deepEqual(bomb.issues.map((i) => i.where), [bomb.path]);
    assert.match(bomb.issues[0]?.message ?? '', /aliases \(\*name\) expand past the limit of 1000 copied values .*write the values out/);
  });

  test('a missing file, a wrong extension, a document that is not a mapping', () => {
    const r = buildScenarioRun(join(dir, 'nope.yaml'), {}, false);
    assert.ok('issues' in r && /no such file/.test(r.issues[0]?.message ?? ''));
    const txt = buildScenarioRun(file('groups: []', '.txt'), {}, false);
    assert.ok('issues' in txt && /'\.txt' is not a scenario file type/.test(txt.issues[0]?.message ?? ''));
    assert.match(bad('- a\n- b\n').issues[0]?.message ?? '', /must be a mapping/);
    assert.match(bad('name: x\n').issues[0]?.message ?? '', /needs groups/);
  });

  test('unknown keys suggest the closest known key at every level', () => {
    const { issues } = bad(
      'groups:\n  - { name: p, role: publish, clients: 1, qso: 1, ratePerclient: 5/s, session: { clen: false } }\nload: { duraton: 2s }\ndefaults: { name: x }\n',
    );
    const text = issues.map((i) => `${i.where}: ${i.message}`).join('\n');
    for (const s of ["qso' is not a group key; did you mean 'qos'", "did you mean 'ratePerClient'", "did you mean 'clean'", "did you mean 'duration'", "defaults.name (line 4): 'name' is not a defaults"]) {
      assert.ok(text.includes(s), `missing ${s} in:\n${text}`);
    }
  });

  test('JSON files work, with lines', () => {
    const s = ok(JSON.stringify({ $schema: './schema.json', name: 'j', groups: [{ name: 'p', role: 'publish', clients: 2, qos: 1 }, { name: 's', role: 'subscribe', clients: 1 }] }, null, 2), {}, '.json');
    assert.equal(s.name, 'j');
    assert.equal(s.groups[0]?.qos, 1);
    const { path, issues } = bad('{\n  "groups": [\n    {\n      "name": "p",\n      "role": "publish",\n      "clients": 1,\n      "qos": 5\n    }\n  ]\n}\n', {}, '.json');
    assert.deepEqual(issues.map((i) => i.where), [`${path}: groups[0].qos (line 7)`]);
    const broken = bad('{ "groups": [ }', {}, '.json');
    assert.match(broken.issues[0]?.message ?? '', /not valid JSON/);
  });
});

describe('resolved groups', () => {
  test('every field maps to the GroupSpec', () => {
    const s = ok(`
target: mqtt://127.0.0.1:1883
groups:
  - name: a
    protocol: mqtt
    transport: tcp
    mqttVersion: 5
    clients: 4
    connectRate: 100/s
    role: both
    topic: t/{run}/{group}/{n}
    subscribe: t/{run}/+/+
    qos: 2
    payload: { template: '{"t":{time}}' }
    retain: true
    ratePerClient: 10/s
    messages: 7
    session: { clean: false, expiry: 1h }
    will: { topic: 'w/{client}', qos: 1, retain: true }
    keepalive: 1m
    properties: { userProperties: { team: iot, n: 1 }, messageExpiry: 60s, topicAlias: true }
    start: 1s
    offline: { at: 2s, for: 3s }
`);
    assert.equal(s.name, s.file?.split('/').pop()?.replace('.yaml', ''));
    assert.deepEqual(s.groups[0], {
      name: 'a',
      protocol: 'mqtt',
      transport: 'tcp',
      mqttVersion: 5,
      clients: 4,
      connectRate: 100,
      role: 'both',
      topic: 't/{run}/{group}/{n}',
      filters: ['t/{run}/+/+'],
      qos: 2,
      payload: { bytes: 16 + '{"t":{time}}'.length, template: '{"t":{time}}' },
      retain: true,
      rate: 40,
      inflight: null,
      messages: 7,
      clean: false,
      sessionExpirySeconds: 3600,
      will: { topic: 'w/{client}', qos: 1, retain: true },
      keepaliveSeconds: 60,
      userProperties: { team: 'iot', n: '1' },
      messageExpirySeconds: 60,
      topicAlias: true,
      startMs: 1000,
      offline: { atMs: 2000, forMs: 3000 },
      drop: null,
    } satisfies GroupSpec);
  });

  test('defaults: group fields win, and apply only where they mean something', () => {
    const s = ok(`
defaults: { qos: 1, rate: 100/s, retain: true, payload: 1KiB, subscribe: 'x/#', keepalive: 10 }
groups:
  - { name: p, role: publish, clients: 2, qos: 2 }
  - { name: c, role: publish, clients: 1, inflight: 4 }
  - { name: s, role: subscribe, clients: 1 }
  - { name: w, protocol: ws, role: echo, clients: 1 }
`);
    const [p, c, sub, w] = s.groups;
    assert.deepEqual([p?.qos, p?.rate, p?.inflight, p?.retain, p?.payload.bytes, p?.keepaliveSeconds], [2, 100, null, true, 1024, 10]);
    assert.deepEqual([c?.rate, c?.inflight], [null, 4], "a group's own inflight replaces the default rate");
    assert.deepEqual([sub?.rate, sub?.inflight, sub?.filters, sub?.qos], [null, null, ['x/#'], 1]);
    assert.deepEqual([w?.qos, w?.retain, w?.filters, w?.transport, w?.rate], [0, false, [], 'ws', 100], 'MQTT-only defaults skip ws groups');
  });

  test('file-level values', () => {
    const ca = file('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', '.pem', 'ca.pem');
    const s = ok(`
name: custom
description: d
target: [mqtt://127.0.0.1:1883, ws://127.0.0.1:9001/mqtt]
wsTarget: wss://127.0.0.1:8443
ca: ca.pem
localAddress: 127.0.0.2, 127.0.0.3
workers: 3
connectRate: 600/m
connectTimeout: 250ms
noDelay: false
load: { stages: [{ duration: 2s, rate: 50% }, { duration: 1s, rate: 150% }], warmup: 0, duration: 3s, drain: 1s }
groups:
  - { name: p, role: publish, clients: 1, rate: 10/s }
`);
    assert.deepEqual(
      [s.name, s.description, s.targets.map((t) => t.transport), s.wsTargets.map((t) => t.transport), s.caPath, s.localAddresses, s.workers, s.connectRate, s.connectTimeoutMs, s.noDelay],
      ['custom', 'd', ['tcp', 'ws'], ['wss'], ca, ['127.0.0.2', '127.0.0.3'], 3, 10, 250, false],
    );
    assert.ok(s.caPem?.includes('BEGIN CERTIFICATE'));
    assert.deepEqual(s.load, { stages: [{ durationMs: 2000, kind: 'rate', level: 0.5 }, { durationMs: 1000, kind: 'rate', level: 1.5 }], warmupMs: 0, durationMs: 3000, drainMs: 1000 });
    assert.deepEqual([s.matrix, s.cells], [null, [{}]]);
  });
});

describe('rules between fields', () => {
  const EXT = 'target: mqtt://127.0.0.1:1883\n';
  const cases: Array<{ name: string; yaml: string; where: RegExp; message: RegExp }> = [
    { name: 'ws over tcp', yaml: 'groups:\n  - { name: e, protocol: ws, transport: tcp, role: echo, clients: 1 }\n', where: /groups\[0\]\.transport/, message: /runs over ws or wss, not tcp/ },
    { name: 'ws with qos', yaml: 'groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, qos: 1 }\n', where: /groups\[0\]\.qos/, message: /plain WebSocket \(protocol ws\) has no QoS/ },
    { name: 'ws with mqttVersion 5', yaml: `${EXT}groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, mqttVersion: 5 }\n`, where: /groups\[0\]\.mqttVersion/, message: /no MQTT version/ },
    { name: 'ws with retain', yaml: 'groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, retain: true }\n', where: /groups\[0\]\.retain/, message: /no retained messages/ },
    { name: 'ws with a session', yaml: 'groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, session: { clean: false } }\n', where: /groups\[0\]\.session/, message: /no sessions/ },
    { name: 'ws with a will', yaml: "groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, will: { topic: 'w/{client}' } }\n", where: /groups\[0\]\.will/, message: /no last will/ },
    { name: 'ws with properties', yaml: 'groups:\n  - { name: e, protocol: ws, role: echo, clients: 1, properties: { topicAlias: true } }\n', where: /groups\[0\]\.properties/, message: /no MQTT 5 properties/ },
    { name: 'ws connect-only', yaml: 'groups:\n  - { name: e, protocol: ws, role: connect-only, clients: 1 }\n', where: /groups\[0\]\.role/, message: /connect-only clients are MQTT clients/ },
    { name: 'session expiry needs MQTT 5', yaml: `${EXT}groups:\n  - { name: p, role: publish, clients: 1, session: { expiry: 1h } }\n`, where: /groups\[0\]\.session\.expiry/, message: /MQTT 5 only; set mqttVersion: 5/ },
    { name: 'properties need MQTT 5', yaml: `${EXT}groups:\n  - { name: p, role: publish, clients: 1, properties: { messageExpiry: 5s } }\n`, where: /groups\[0\]\.properties/, message: /MQTT 5 only/ },
    { name: 'MQTT 5 needs mosquitto or an external broker', yaml: 'groups:\n  - { name: p, role: publish, clients: 1, mqttVersion: 5 }\n', where: /groups\[0\]\.mqttVersion/, message: /aedes\) speaks 3\.1\.1 only; run with --broker mosquitto \(or broker: mosquitto in the file\), or give --target of an MQTT 5 broker/ },
    { name: 'MQTT 5 from defaults points at defaults', yaml: `defaults: { mqttVersion: 5 }\n${TWO}`, where: /defaults\.mqttVersion \(line 1\)/, message: /give --target of an MQTT 5 broker/ },
    { name: '$share needs mosquitto or an external broker', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, subscribe: '$share/g/mqbench/#' }\n`, where: /groups\[1\]\.subscribe/, message: /shared subscriptions .* the embedded broker \(aedes\) has none; run with --broker mosquitto/ },
    { name: 'a broker mqbench does not start', yaml: `broker: hivemq\n${TWO}`, where: /broker \(line 1\)/, message: /'hivemq' is not a broker mqbench starts; use aedes .* or mosquitto/ },
    { name: 'broker and target in one file', yaml: `broker: mosquitto\ntarget: mqtt://127.0.0.1:1883\n${TWO}`, where: /broker \(line 1\)/, message: /exclude each other/ },
    { name: 'matrix.broker with a target', yaml: `target: mqtt://127.0.0.1:1883\n${TWO}matrix: { broker: [aedes, mosquitto] }\n`, where: /matrix\.broker \(line 5\)/, message: /compares the brokers mqbench starts .* target: names one; remove matrix\.broker or target:/ },
    { name: 'matrix broker value not a broker', yaml: `${TWO}matrix: { broker: [aedes, emqx] }\n`, where: /matrix\.broker\[1\]/, message: /aedes, mosquitto/ },
    { name: 'offline needs a persistent session', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, offline: { at: 1s, for: 1s } }\n`, where: /groups\[1\]\.offline/, message: /session: \{ clean: false \}/ },
    { name: 'rate and ratePerClient', yaml: 'groups:\n  - { name: p, role: publish, clients: 1, rate: 1/s, ratePerClient: 1/s }\n', where: /groups\[0\]\.ratePerClient/, message: /choose one load model/ },
    { name: 'inflight on a subscriber', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, inflight: 3 }\n`, where: /groups\[1\]\.inflight/, message: /applies to publishing roles \(publish, both, echo\); this group's role is subscribe/ },
    { name: 'rate on connect-only', yaml: 'groups:\n  - { name: c, role: connect-only, clients: 1, rate: 5/s }\n', where: /groups\[0\]\.rate/, message: /publishing roles/ },
    { name: 'filters on a publisher', yaml: 'groups:\n  - { name: p, role: publish, clients: 1, subscribe: a/b }\n', where: /groups\[0\]\.subscribe/, message: /apply to roles subscribe and both/ },
    { name: 'a topic on a subscriber', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, topic: a/b }\n`, where: /groups\[1\]\.topic/, message: /put its filters in subscribe/ },
    { name: 'unknown topic variable', yaml: "groups:\n  - { name: p, role: publish, clients: 1, topic: 'a/{id}' }\n", where: /groups\[0\]\.topic/, message: /'\{id\}' is not a template variable; use \{client\}, \{group\}, \{n\}, \{worker\} or \{run\}/ },
    { name: 'wildcard in a publish topic', yaml: 'groups:\n  - { name: p, role: publish, clients: 1, topic: a/# }\n', where: /groups\[0\]\.topic/, message: /wildcard/ },
    { name: '+ inside a level', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, subscribe: a/b+ }\n`, where: /groups\[1\]\.subscribe/, message: /'\+' must be a whole level/ },
    { name: '# not last', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, subscribe: 'a/#/b' }\n`, where: /groups\[1\]\.subscribe/, message: /'#' must be the whole last level/ },
    { name: '$share without a filter', yaml: `${EXT}groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, subscribe: $share/g }\n`, where: /groups\[1\]\.subscribe/, message: /no filter after the share name/ },
    { name: 'unknown payload variable', yaml: "groups:\n  - { name: p, role: publish, clients: 1, payload: { template: '{\"a\":{bogus}}' } }\n", where: /groups\[0\]\.payload\.template/, message: /\{bogus\}.*\{seq\}/ },
    { name: 'payload under the header', yaml: 'groups:\n  - { name: p, role: publish, clients: 1, payload: 15B }\n', where: /groups\[0\]\.payload/, message: /15 bytes cannot hold the 16-byte measurement header; use payload: 16B/ },
    { name: 'subscriber with nothing to derive filters from', yaml: `groups:\n${SUB}`, where: /groups\[0\] \(line 2\)/, message: /no subscribe filters and no group publishes/ },
    { name: 'ws subscriber without a ws publisher', yaml: `groups:\n${PUB}  - { name: s, protocol: ws, role: subscribe, clients: 1 }\n`, where: /groups\[1\]/, message: /plain WebSocket subscriber/ },
    { name: 'start after the load', yaml: `load: { warmup: 1s, duration: 2s }\ngroups:\n${PUB}  - { name: s, role: subscribe, clients: 1, start: 3s }\n`, where: /groups\[1\]\.start/, message: /3s is not before the end of the load: the load lasts 3s/ },
    { name: 'offline past the end', yaml: `load: { warmup: 0s, duration: 5s, stages: [{ duration: 1s, clients: 100% }] }\ngroups:\n${PUB}  - { name: s, role: subscribe, clients: 1, session: { clean: false }, offline: { at: 2s, for: 4s } }\n`, where: /groups\[1\]\.offline/, message: /come back at 6s, not before the end of the load: the load lasts 6s/ },
    { name: 'offline before start', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, start: 2s, session: { clean: false }, offline: { at: 1s, for: 1s } }\n`, where: /groups\[1\]\.offline/, message: /not after the group's start \(2s\)/ },
    { name: 'drop past the end', yaml: `load: { warmup: 1s, duration: 2s }\ngroups:\n${PUB}${SUB}  - { name: d, role: connect-only, clients: 1, drop: { at: 3s } }\n`, where: /groups\[2\]\.drop/, message: /at 3s is not before the end of the load/ },
    { name: 'offline and drop', yaml: `groups:\n${PUB}  - { name: s, role: subscribe, clients: 1, session: { clean: false }, offline: { at: 1s, for: 1s }, drop: { at: 3s } }\n`, where: /groups\[1\]\.drop/, message: /choose one: offline/ },
    { name: 'stages of two kinds', yaml: `load: { stages: [{ duration: 1s, rate: 50% }, { duration: 1s, clients: 100% }] }\ngroups:\n  - { name: p, role: publish, clients: 1, rate: 5/s }\n`, where: /load\.stages \(line 1\)/, message: /mixes rate and clients stages/ },
    { name: 'clients stage above 100%', yaml: `load: { stages: [{ duration: 1s, clients: 120% }] }\n${TWO}`, where: /load\.stages\[0\]\.clients/, message: /120% is more than every client/ },
    { name: 'clients stages falling', yaml: `load: { stages: [{ duration: 1s, clients: 80% }, { duration: 1s, clients: 40% }] }\n${TWO}`, where: /load\.stages\[1\]\.clients/, message: /never fall/ },
    { name: 'rate stages without an open-model group', yaml: `load: { stages: [{ duration: 1s, rate: 50% }] }\n${TWO}`, where: /load\.stages/, message: /no group has one/ },
    { name: 'stage level not a percentage', yaml: `load: { stages: [{ duration: 1s, rate: 50 }] }\ngroups:\n  - { name: p, role: publish, clients: 1, rate: 5/s }\n`, where: /load\.stages\[0\]\.rate/, message: /not a percentage; write e.g. 50%/ },
    { name: 'duplicate group names', yaml: 'groups:\n  - { name: p, role: publish, clients: 1 }\n  - { name: p, role: publish, clients: 1 }\n', where: /groups\[1\]\.name/, message: /already the name of groups\[0\]/ },
    { name: 'bad group name', yaml: 'groups:\n  - { name: my group, role: publish, clients: 1 }\n', where: /groups\[0\]\.name/, message: /letters, digits/ },
    { name: 'missing role and clients', yaml: 'groups:\n  - { name: p }\n', where: /groups\[0\] \(line 2\)/, message: /needs a role/ },
    { name: 'no target for a transport used', yaml: `${EXT}groups:\n  - { name: p, role: publish, clients: 1, transport: ws }\n`, where: /groups\[0\]\.transport/, message: /no target \(--target\) for ws: given mqtt:\/\/127\.0\.0\.1:1883; add a ws:\/\/ one/ },
    { name: 'two targets for one transport', yaml: 'target: [mqtt://a, mqtt://b]\ngroups:\n  - { name: p, role: publish, clients: 1 }\n', where: /target \(line 1\)/, message: /both tcp/ },
    { name: 'wsTarget must be ws', yaml: 'wsTarget: mqtt://a\ngroups:\n  - { name: p, role: publish, clients: 1 }\n', where: /wsTarget \(line 1\)/, message: /not a WebSocket URL/ },
    { name: 'ca with insecure', yaml: 'ca: nope.pem\ninsecure: true\ngroups:\n  - { name: p, role: publish, clients: 1 }\n', where: /insecure \(line 2\)/, message: /choose one/ },
    { name: 'ca unreadable', yaml: 'ca: nope.pem\ngroups:\n  - { name: p, role: publish, clients: 1 }\n', where: /ca \(line 1\)/, message: /cannot read nope\.pem: ENOENT/ },
    { name: 'matrix exclude with a key not in the matrix', yaml: `${TWO}matrix: { qos: [0, 1], exclude: [{ transport: ws }] }\n`, where: /matrix\.exclude\[0\]\.transport/, message: /not a key of this matrix \(qos\)/ },
    { name: 'matrix exclude value not in the matrix', yaml: `${TWO}matrix: { qos: [0, 1], exclude: [{ qos: 2 }] }\n`, where: /matrix\.exclude\[0\]\.qos/, message: /never matches/ },
    { name: 'matrix key not a list', yaml: `${TWO}matrix: { qos: 1 }\n`, where: /matrix\.qos/, message: /non-empty list/ },
    { name: 'matrix value twice', yaml: `${TWO}matrix: { qos: [1, 1] }\n`, where: /matrix\.qos\[1\]/, message: /listed twice/ },
    { name: 'matrix payload under the header', yaml: `${TWO}matrix: { payload: [8B] }\n`, where: /matrix\.payload\[0\]/, message: /cannot hold/ },
    { name: 'exclude removing everything', yaml: `${TWO}matrix: { qos: [0], exclude: [{ qos: 0 }] }\n`, where: /matrix \(line 4\)/, message: /removes every combination/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { issues } = bad(c.yaml);
      const hit = issues.find((i) => c.where.test(i.where) && c.message.test(i.message));
      assert.ok(hit, `no issue at ${c.where} matching ${c.message}; got:\n${issues.map((i) => `${i.where}: ${i.message}`).join('\n')}`);
    });
  }

  test('MQTT 5 and $share are fine on mosquitto (broker: or --broker), and the file\'s broker: yields to --target', () => {
    const v5 = `groups:\n  - { name: p, role: publish, clients: 1, mqttVersion: 5, session: { expiry: 10s } }\n  - { name: s, role: subscribe, clients: 2, mqttVersion: 5, subscribe: '$share/g/mqbench/#' }\n`;
    assert.equal(ok(`broker: mosquitto\n${v5}`).broker, 'mosquitto');
    assert.equal(ok(v5, { broker: 'mosquitto' }).broker, 'mosquitto');
    const aimed = ok(`broker: mosquitto\n${v5}`, { target: 'mqtt://127.0.0.1:1883' });
    assert.deepEqual(aimed.targets.map((t) => t.url), ['mqtt://127.0.0.1:1883']);
    const { issues } = bad(`broker: mosquitto\n${v5}`, { broker: 'aedes' });
    assert.ok(issues.some((i) => /groups\[0\]\.mqttVersion/.test(i.where) && /aedes\) speaks 3\.1\.1 only/.test(i.message)), JSON.stringify(issues));
  });

  test('--broker with a target: they exclude each other, at the flag', () => {
    const fromFile = bad(`target: mqtt://127.0.0.1:1883\n${TWO}`, { broker: 'mosquitto' }).issues;
    assert.deepEqual(fromFile.map((i) => i.where), ['--broker']);
    assert.match(fromFile[0]?.message ?? '', /target: in .* names one; they exclude each other/);
    const fromFlag = bad(TWO, { broker: 'aedes', target: 'mqtt://127.0.0.1:1883' }).issues;
    assert.deepEqual(fromFlag.map((i) => i.where), ['--broker']);
    assert.match(fromFlag[0]?.message ?? '', /--target names one; they exclude each other: drop one/);
  });

  test('MQTT 5 and $share are fine with an external target', () => {
    const s = ok(`${EXT}groups:\n  - { name: p, role: publish, clients: 1, mqttVersion: 5, session: { expiry: 10s }, properties: { userProperties: { a: b } } }\n  - { name: s, role: subscribe, clients: 2, mqttVersion: 5, subscribe: '$share/g/mqbench/#' }\n`);
    assert.deepEqual(s.groups.map((g) => g.mqttVersion), [5, 5]);
    assert.equal(s.groups[0]?.sessionExpirySeconds, 10);
  });
});

describe('matrix', () => {
  test('expansion order: protocol slowest, then transport, qos, payload; exclude removes matches', () => {
    const s = ok(`${TWO}matrix:\n  payload: [16B, 1KiB]\n  qos: [0, 1]\n  transport: [tcp, ws]\n  exclude:\n    - { transport: ws, qos: 0 }\n    - { payload: 1KiB, qos: 1, transport: tcp }\n`);
    assert.deepEqual(s.cells, [
      { transport: 'tcp', qos: 0, payload: 16 },
      { transport: 'tcp', qos: 0, payload: 1024 },
      { transport: 'tcp', qos: 1, payload: 16 },
      { transport: 'ws', qos: 1, payload: 16 },
      { transport: 'ws', qos: 1, payload: 1024 },
    ]);
    assert.deepEqual(s.matrix, { transport: ['tcp', 'ws'], qos: [0, 1], payload: ['16B', '1KiB'] });
  });

  test('a cell that cannot run is named, with the exclude entry that skips it', () => {
    const { issues } = bad(`groups:\n  - { name: p, role: publish, clients: 1, will: { topic: 'w/{client}' } }\n${SUB}matrix:\n  protocol: [mqtt, ws]\n  transport: [tcp, ws]\n`);
    const text = issues.map((i) => `${i.where}: ${i.message}`);
    assert.ok(text.some((t) => /matrix \(line 4\): cell protocol=ws transport=tcp: groups 'p', 's' transport: .*add \{ protocol: ws, transport: tcp \} to matrix\.exclude/.test(t)), text.join('\n'));
    assert.ok(text.some((t) => /cell protocol=ws transport=tcp: group 'p' will: .*no last will.*add \{ protocol: ws \} to matrix\.exclude/.test(t)), text.join('\n'));
    assert.equal(issues.length, 2, 'each problem once, not once per cell');
  });

  test('a protocol comparison: ws cells ignore QoS and filters, and run once per transport', () => {
    const s = ok(`defaults: { qos: 1 }\ngroups:\n${PUB}  - { name: s, role: subscribe, clients: 1, subscribe: 'mqbench/#' }\nmatrix:\n  protocol: [mqtt, ws]\n  transport: [tcp, ws]\n  qos: [0, 1]\n  exclude: [{ protocol: ws, transport: tcp }]\n`);
    assert.deepEqual(s.cells, [
      { protocol: 'mqtt', transport: 'tcp', qos: 0 },
      { protocol: 'mqtt', transport: 'tcp', qos: 1 },
      { protocol: 'mqtt', transport: 'ws', qos: 0 },
      { protocol: 'mqtt', transport: 'ws', qos: 1 },
      { protocol: 'ws', transport: 'ws', qos: 0 },
    ]);
  });

  test('broker is the last key: one workload\'s brokers side by side, named per cell when a group needs MQTT 5', () => {
    const s = ok(`${TWO}matrix: { qos: [0, 1], broker: [aedes, mosquitto] }\n`);
    assert.deepEqual(s.cells, [
      { qos: 0, broker: 'aedes' },
      { qos: 0, broker: 'mosquitto' },
      { qos: 1, broker: 'aedes' },
      { qos: 1, broker: 'mosquitto' },
    ]);
    const { issues } = bad(`defaults: { mqttVersion: 5 }\n${TWO}matrix: { qos: [0, 1], broker: [aedes, mosquitto] }\n`);
    assert.deepEqual(issues.map((i) => i.where), [issues[0]?.where], 'one problem, at the matrix');
    assert.match(issues[0]?.message ?? '', /cell qos=0 broker=aedes: groups 'p', 's' mqttVersion: MQTT 5 needs .*; add \{ broker: aedes \} to matrix\.exclude/);
    const v5 = ok(`defaults: { mqttVersion: 5 }\n${TWO}matrix: { qos: [0, 1], broker: [aedes, mosquitto], exclude: [{ broker: aedes }] }\n`);
    assert.deepEqual(v5.cells, [{ qos: 0, broker: 'mosquitto' }, { qos: 1, broker: 'mosquitto' }]);
  });

  test('a plain WebSocket cell has no broker: it runs once, without one', () => {
    const s = ok(`groups:\n  - { name: e, role: echo, clients: 1 }\nmatrix: { protocol: [mqtt, ws], broker: [aedes, mosquitto] }\n`);
    assert.deepEqual(s.cells, [{ protocol: 'mqtt', broker: 'aedes' }, { protocol: 'mqtt', broker: 'mosquitto' }, { protocol: 'ws' }]);
  });

  test('targets must cover the transports of every cell', () => {
    const { issues } = bad(`target: mqtt://127.0.0.1:1883\n${TWO}matrix: { transport: [tcp, tls] }\n`);
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? '', /cell transport=tls: groups 'p', 's' transport: no target .* add \{ transport: tls \} to matrix\.exclude/);
  });
});

describe('flags over the file (defaults < file < flags)', () => {
  const FILE = `load: { warmup: 1s, duration: 3s, drain: 1s }\nworkers: 2\nconnectRate: 50/s\ngroups:\n  - { name: p, role: publish, clients: 2, qos: 1, payload: 64B, keepalive: 5, connectRate: 10/s }\n${SUB}`;

  test('nothing given: the file, then the defaults', () => {
    const s = ok(FILE);
    assert.deepEqual([s.load.durationMs, s.load.warmupMs, s.workers, s.connectRate, s.outDir, s.json, s.noDelay, s.connectTimeoutMs], [3000, 1000, 2, 50, 'results', false, true, 5000]);
    assert.deepEqual(s.groups.map((g) => [g.transport, g.qos, g.payload.bytes, g.keepaliveSeconds, g.connectRate]), [['tcp', 1, 64, 5, 10], ['tcp', 0, 16, 30, null]]);
    assert.deepEqual(s.cells, [{}]);
  });

  test('flags replace the file values', () => {
    const s = ok(FILE, { duration: '2s', warmup: '0s', drain: '0s', workers: '1', connectRate: '99/s', connectTimeout: '1s', keepalive: '7', payload: '1KiB', transport: 'ws', qos: '0,2', nodelay: false, out: 'o', json: true, target: ['mqtt://127.0.0.1:1', 'ws://127.0.0.1:2/mqtt'], wsTarget: 'ws://127.0.0.1:3', localAddress: '127.0.0.2', insecure: true });
    assert.deepEqual(s.load, { stages: [], durationMs: 2000, warmupMs: 0, drainMs: 0 });
    assert.deepEqual([s.workers, s.connectRate, s.connectTimeoutMs, s.noDelay, s.outDir, s.json, s.insecure, s.localAddresses], [1, 99, 1000, false, 'o', true, true, ['127.0.0.2']]);
    assert.deepEqual(s.groups.map((g) => [g.transport, g.payload.bytes, g.keepaliveSeconds, g.connectRate]), [['ws', 1024, 7, null], ['ws', 16, 7, null]]);
    assert.deepEqual(s.cells, [{ qos: 0 }, { qos: 2 }], '--qos sets the cells when the file has no matrix');
    assert.equal(s.matrix, null);
    assert.deepEqual([s.targets.map((t) => t.url), s.wsTargets.map((t) => t.url)], [['mqtt://127.0.0.1:1', 'ws://127.0.0.1:2/mqtt'], ['ws://127.0.0.1:3']]);
  });

  test('--qos, --transport and --payload replace the matrix keys', () => {
    const s = ok(`${TWO}matrix: { transport: [tcp, ws], qos: [0, 1, 2], payload: [16B, 1KiB] }\n`, { qos: '1', transport: 'ws', payload: '32B' });
    assert.deepEqual(s.cells, [{ transport: 'ws', qos: 1, payload: 32 }]);
    assert.deepEqual(s.matrix, { transport: ['ws'], qos: [1], payload: ['32B'] });
    const added = ok(`${TWO}matrix: { transport: [tcp, ws] }\n`, { qos: '0,1' });
    assert.deepEqual(added.cells, [{ transport: 'tcp', qos: 0 }, { transport: 'tcp', qos: 1 }, { transport: 'ws', qos: 0 }, { transport: 'ws', qos: 1 }]);
  });

  test('--target satisfies MQTT 5; problems caused by a flag name it', () => {
    const v5 = `defaults: { mqttVersion: 5 }\n${TWO}`;
    assert.ok(bad(v5).issues.length > 0);
    assert.equal(ok(v5, { target: 'mqtt://127.0.0.1:1883' }).groups[0]?.mqttVersion, 5);
    const { issues } = bad(`target: mqtt://127.0.0.1:1883\n${TWO}`, { transport: 'tls' });
    assert.deepEqual(issues.map((i) => i.where), ['--transport']);
    assert.match(issues[0]?.message ?? '', /no target \(--target\) for tls/);
  });

  test('bad flag values and client-describing flags are reported with the file\'s problems', () => {
    const { path, issues } = bad(`groups:\n  - { name: p, role: publish, clients: 1, qos: 9 }\n`, { duration: '500ms', publishers: '3', rate: '5/s', topic: 'x', qos: '7', workers: 0, targetPid: '5' });
    // The client flags in the table's order (config/run-flags.ts, the order of --help).
    assert.deepEqual(issues.map((i) => i.where), [`${path}: groups[0].qos (line 2)`, '--publishers', '--rate', '--topic', '--qos', '--duration', '--workers', '--target-pid']);
    const text = issues.map((i) => i.message).join('\n');
    assert.match(text, /describes clients, which the scenario file .* does; set clients: on its publishing groups in the file instead/);
    assert.match(text, /set rate: or ratePerClient: on its publishing groups/);
  });

  test('--ca replaces the file\'s insecure; --insecure the file\'s ca', () => {
    const ca = file('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', '.pem');
    const s = ok(`insecure: true\n${TWO}`, { ca });
    assert.deepEqual([s.insecure, s.caPath], [false, ca]);
    const t = ok(`ca: ${ca}\n${TWO}`, { insecure: true });
    assert.deepEqual([t.insecure, t.caPath, t.caPem], [true, null, null]);
  });
});

describe('which run: file, flags or quickstart', () => {
  const quick = file(`name: quick\n${TWO}`, '.yaml', 'quick.yaml');
  const cases: Array<{ name: string; file?: string; flags: RawRunFlags; source: string; scenario: string }> = [
    { name: 'no file, no workload flags: the quickstart', flags: { duration: '2s', out: 'x', json: true }, source: 'quickstart', scenario: 'quick' },
    { name: 'a workload flag: flags alone', flags: { publishers: '2' }, source: 'flags', scenario: 'flags' },
    { name: '--target alone is a workload flag', flags: { target: 'mqtt://127.0.0.1:1883' }, source: 'flags', scenario: 'flags' },
    { name: 'a file', file: quick, flags: { qos: '1' }, source: 'file', scenario: 'quick' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = resolveRun(c.file, c.flags, false, quick);
      assert.equal(r.source, c.source);
      assert.ok('config' in r, JSON.stringify(r));
      assert.equal(r.config.name, c.scenario);
    });
  }
});
