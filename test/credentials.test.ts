/**
 * Credentials and redaction in process (src/config/redact.ts, src/config/credentials.ts): URL
 * and argv redaction tables, user info decoding, precedence (flag > scenario key > user info),
 * password files, every problem reported without echoing a password, and the result document
 * holding no secret. The CONNECTs themselves: e2e-credentials.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { authHint, readTarget } from '../src/config/credentials.js';
import { redactArgv, redactUrl } from '../src/config/redact.js';
import { buildRunConfig, type ConfigIssue, type RawRunFlags } from '../src/config/run-config.js';
import { buildScenarioRun } from '../src/config/scenario-run.js';
import { newDocument } from '../src/coordinator/document.js';
import type { Scenario } from '../src/config/model.js';

const dir = mkdtempSync(join(tmpdir(), 'mqbench-credentials-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(name: string, text: string): string {
  const path = join(dir, `${++n}-${name}`);
  writeFileSync(path, text);
  return path;
}

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['mqtt://alice:secret@127.0.0.1:1883', 'mqtt://alice:***@127.0.0.1:1883'],
    ['mqtts://alice:s%40cret@broker:8883', 'mqtts://alice:***@broker:8883'],
    ['ws://alice:secret@127.0.0.1:8080/mqtt?x=1', 'ws://alice:***@127.0.0.1:8080/mqtt?x=1'],
    ['mqtt://:secret@h:1', 'mqtt://:***@h:1'],
    ['mqtt://alice:@h:1', 'mqtt://alice:***@h:1'],
    // A raw '@' or '/' in the password: hidden whole (the user info runs to the last '@').
    ['mqtt://alice:p@ss/word@h:1', 'mqtt://alice:***@h:1'],
    ['--target=mqtt://alice:secret@h:1', '--target=mqtt://alice:***@h:1'],
    // Nothing to hide.
    ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1883'],
    ['mqtt://alice@127.0.0.1:1883', 'mqtt://alice@127.0.0.1:1883'],
    ['ws://127.0.0.1:8080/mqtt', 'ws://127.0.0.1:8080/mqtt'],
    ['--password', '--password'],
    ['10s', '10s'],
  ];
  for (const [input, want] of cases) test(input, () => assert.equal(redactUrl(input), want));
});

describe('redactArgv', () => {
  test('secret flag values and URL passwords, nothing else', () => {
    const argv = ['run', 's.yaml', '--target', 'mqtt://alice:pw1@h:1', '--password', 'pw2', '--password=pw3', '--password-file', 'secrets/pw', '--username', 'alice', '--qos', '1'];
    assert.deepEqual(redactArgv(argv), ['run', 's.yaml', '--target', 'mqtt://alice:***@h:1', '--password', '***', '--password=***', '--password-file', 'secrets/pw', '--username', 'alice', '--qos', '1']);
  });
  test('a trailing --password without a value; the input is not changed', () => {
    const argv = ['run', '--password'];
    assert.deepEqual(redactArgv(argv), ['run', '--password']);
    assert.deepEqual(argv, ['run', '--password']);
  });
});

describe('readTarget', () => {
  const issues: ConfigIssue[] = [];
  const add = (where: string, message: string): void => {
    issues.push({ where, message });
  };
  test('user info percent-decoded, the URL kept with ***', () => {
    const t = readTarget('mqtt://al%20ice:p%40ss%3Aw@127.0.0.1:1883', '--target', add);
    assert.deepEqual(t?.user, { username: 'al ice', password: 'p@ss:w' });
    assert.equal(t?.target.url, 'mqtt://al%20ice:***@127.0.0.1:1883');
    assert.equal(t?.target.host, '127.0.0.1');
    assert.equal(t?.target.port, 1883);
    assert.deepEqual(readTarget('mqtt://127.0.0.1:1883', '--target', add)?.user, {});
    assert.deepEqual(issues, []);
  });
  test('a bad URL is reported without its password', () => {
    issues.length = 0;
    assert.equal(readTarget('mqtt://alice:hunter2@127.0.0.1:0', '--target', add), null);
    assert.equal(readTarget('mqtt://alice:hunter2@127.0.0.1:99999', '--target', add), null);
    assert.equal(issues.length, 2, JSON.stringify(issues));
    for (const i of issues) {
      assert.ok(!i.message.includes('hunter2'), i.message);
      assert.match(i.message, /alice:\*\*\*@/);
    }
  });
  test('a plain WebSocket server takes no user info', () => {
    issues.length = 0;
    assert.equal(readTarget('ws://bob:hunter2@127.0.0.1:8080', '--ws-target', add, 'ws'), null);
    assert.match(issues[0]?.message ?? '', /gets no credentials/);
    assert.ok(!(issues[0]?.message ?? '').includes('hunter2'));
  });
});

function config(raw: RawRunFlags): Scenario {
  const r = buildRunConfig(raw, false);
  if ('issues' in r) assert.fail(JSON.stringify(r.issues));
  return r.config;
}
function issuesOf(raw: RawRunFlags): ConfigIssue[] {
  const r = buildRunConfig(raw, false);
  if ('config' in r) assert.fail(`expected issues for ${JSON.stringify(raw)}`);
  return r.issues;
}

describe('flags-only runs', () => {
  test('flags, user info, and the flag winning part by part', () => {
    assert.deepEqual(config({}).credentials, {});
    assert.deepEqual(config({ username: 'alice', password: 'pw' }).credentials, { username: 'alice', password: 'pw' });
    assert.deepEqual(config({ target: 'mqtt://alice:url@127.0.0.1:1883' }).credentials, { username: 'alice', password: 'url' });
    assert.deepEqual(config({ target: 'mqtt://alice:url@127.0.0.1:1883', password: 'flag' }).credentials, { username: 'alice', password: 'flag' });
    assert.deepEqual(config({ target: 'mqtt://alice:url@127.0.0.1:1883', username: 'bob', password: 'flag' }).credentials, { username: 'bob', password: 'flag' });
    // The same user info on two transports is one user.
    assert.deepEqual(config({ target: ['mqtt://alice:url@127.0.0.1:1883', 'ws://alice:url@127.0.0.1:8080/mqtt'] }).credentials, { username: 'alice', password: 'url' });
  });
  test('--password-file: the first line, without \\n or \\r\\n', () => {
    assert.equal(config({ username: 'a', passwordFile: file('pw', 'line one\nline two\n') }).credentials?.password, 'line one');
    assert.equal(config({ username: 'a', passwordFile: file('pw', 'crlf\r\nx') }).credentials?.password, 'crlf');
    assert.equal(config({ username: 'a', passwordFile: file('pw', 'no newline') }).credentials?.password, 'no newline');
  });
  const bad: Array<{ name: string; raw: RawRunFlags; where: string; message: RegExp }> = [
    { name: 'an unreadable password file', raw: { username: 'a', passwordFile: join(dir, 'missing') }, where: '--password-file', message: /cannot read .*missing: ENOENT/ },
    { name: 'an empty password file', raw: { username: 'a', passwordFile: file('empty', '\n') }, where: '--password-file', message: /empty first line/ },
    { name: '--password and --password-file', raw: { username: 'a', password: 'hunter2', passwordFile: file('pw', 'y') }, where: '--password/--password-file', message: /choose one/ },
    { name: 'an empty --password', raw: { username: 'a', password: '' }, where: '--password', message: /needs a password/ },
    { name: 'a repeated --username', raw: { username: ['a', 'b'] }, where: '--username', message: /given 2 times/ },
    { name: 'a password without a user name', raw: { password: 'hunter2' }, where: '--password', message: /needs a user name.*add --username/ },
    { name: 'user info that disagrees', raw: { target: ['mqtt://a:hunter2@127.0.0.1:1883', 'ws://a:hunter3@127.0.0.1:8080/mqtt'] }, where: '--target', message: /mqtt:\/\/a:\*\*\*@127\.0\.0\.1:1883 and ws:\/\/a:\*\*\*@127\.0\.0\.1:8080\/mqtt carry different user info/ },
    { name: 'credentials for plain WebSocket', raw: { protocol: 'ws', username: 'a', password: 'hunter2' }, where: '--username/--password', message: /plain WebSocket run .* has none/ },
    { name: 'user info on a plain WebSocket target', raw: { protocol: 'ws', target: 'ws://a:hunter2@127.0.0.1:8080' }, where: '--target', message: /the user info of ws:\/\/a:\*\*\*@127\.0\.0\.1:8080 would go into an MQTT CONNECT/ },
  ];
  for (const c of bad) {
    test(c.name, () => {
      const issues = issuesOf(c.raw);
      const hit = issues.find((i) => i.where === c.where);
      assert.ok(hit, JSON.stringify(issues));
      assert.match(hit.message, c.message);
      assert.ok(!JSON.stringify(issues).includes('hunter'), 'no problem shows a password');
    });
  }
});

describe('scenario keys', () => {
  const groups = 'groups:\n  - { name: p, role: publish, clients: 1 }\n  - { name: s, role: subscribe, clients: 1 }\n';
  const scenario = (text: string, flags: RawRunFlags = {}) => buildScenarioRun(file('s.yaml', text + groups), flags, false);
  test('username and passwordFile (relative to the file); flags win over keys, keys over user info', () => {
    const pw = file('pw', 'from-file\n');
    const rel = pw.slice(dir.length + 1);
    const r = scenario(`target: mqtt://url:urlpw@127.0.0.1:1883\nusername: alice\npasswordFile: ${rel}\n`);
    assert.ok('config' in r, JSON.stringify(r));
    assert.deepEqual(r.config.credentials, { username: 'alice', password: 'from-file' });
    const f = scenario(`username: alice\npassword: in-file\n`, { username: 'bob', password: 'flag' });
    assert.ok('config' in f, JSON.stringify(f));
    assert.deepEqual(f.config.credentials, { username: 'bob', password: 'flag' });
    const u = scenario('target: mqtt://url:urlpw@127.0.0.1:1883\n');
    assert.ok('config' in u, JSON.stringify(u));
    assert.deepEqual(u.config.credentials, { username: 'url', password: 'urlpw' });
    // --target replaces the file's target and its user info.
    const t = scenario('target: mqtt://url:urlpw@127.0.0.1:1883\n', { target: 'mqtt://127.0.0.1:1884' });
    assert.ok('config' in t, JSON.stringify(t));
    assert.deepEqual(t.config.credentials, {});
  });
  test('problems at their keys, a wrong password never echoed', () => {
    const r = scenario('username: alice\npassword: 918273\n');
    assert.ok('issues' in r);
    assert.match(r.issues[0]?.where ?? '', /password \(line 2\)/);
    assert.match(r.issues[0]?.message ?? '', /must be a non-empty string/);
    assert.ok(!JSON.stringify(r.issues).includes('918273'), JSON.stringify(r.issues));
    const both = scenario('username: alice\npassword: x\npasswordFile: pw\n');
    assert.ok('issues' in both && both.issues.some((i) => /passwordFile \(line 3\)/.test(i.where) && /choose one/.test(i.message)), JSON.stringify(both));
    const missing = scenario('username: alice\npasswordFile: no-such-file\n');
    assert.ok('issues' in missing && missing.issues.some((i) => /passwordFile/.test(i.where) && /cannot read no-such-file: ENOENT/.test(i.message)), JSON.stringify(missing));
    const noUser = scenario('password: x\n');
    assert.ok('issues' in noUser && noUser.issues.some((i) => /needs a user name.*add username:/.test(i.message)), JSON.stringify(noUser));
  });
});

describe('authHint', () => {
  test('only for a refusal of the credentials, naming the fix', () => {
    assert.equal(authHint(['connect ECONNREFUSED 127.0.0.1:1'], {}), null);
    assert.match(authHint(['Connection refused: Not authorized (5)'], {}) ?? '', /none were sent: check --username\/--password/);
    assert.match(authHint(['connection refused: bad user name or password'], { username: 'alice' }) ?? '', /refused user 'alice': check --username\/--password/);
    assert.match(authHint(['Connection refused: Bad User Name or Password (134)'], undefined) ?? '', /check --username\/--password/);
  });
});

describe('the result document', () => {
  test('holds no password: command, targets and credentials redacted', () => {
    const argv = ['run', '--target', 'mqtt://alice:url-secret@127.0.0.1:1883', '--password', 'flag-secret', '--qos', '1'];
    const s = config({ target: 'mqtt://alice:url-secret@127.0.0.1:1883', password: 'flag-secret', qos: '1' });
    assert.equal(s.credentials?.password, 'flag-secret', 'the password is there to be sent');
    const doc = newDocument('abc123', s, argv, new Date());
    const text = JSON.stringify(doc);
    assert.ok(!text.includes('secret'), text);
    assert.deepEqual(doc.command, ['run', '--target', 'mqtt://alice:***@127.0.0.1:1883', '--password', '***', '--qos', '1']);
    assert.deepEqual(doc.scenario['targets'], ['mqtt://alice:***@127.0.0.1:1883']);
    assert.deepEqual(doc.scenario['credentials'], { username: 'alice', password: '***' });
    assert.equal(newDocument('abc123', config({}), ['run'], new Date()).scenario['credentials'], null);
  });
});
