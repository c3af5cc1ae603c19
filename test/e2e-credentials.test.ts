/**
 * Credentials end to end, against Debian's mosquitto with anonymous access off and a password
 * file: without credentials the run fails clearly (exit 3, "not authorized" and the fix); with
 * --username/--password, URL user info or --password-file it delivers; and no password reaches
 * stdout, stderr, the result file or any report. Flag problems exit 2 before anything connects.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PhaseResult, ResultDocument } from '../src/metrics/result.js';
import { readOnlyResult, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { assertMatchesSchema } from './helpers/schema.js';

const USER = 'alice';
// Characters that need percent-encoding in a URL, so user info decoding is exercised too.
const PASSWORD = 'Tr0ub4dor:p@ss/w0rd %3';
/** A second secret, only ever given in a target URL that --password overrides. */
const URL_PASSWORD = 'Url-Secret-9f3e';

const SHORT = ['--qos', '1', '--publishers', '1', '--subscribers', '1', '--workers', '1', '--duration', '1s', '--warmup', '0s', '--drain', '1s'];

/** mqtt://alice:<password, percent-encoded>@127.0.0.1:port */
function withUser(url: string, password: string): string {
  return url.replace('://', `://${USER}:${encodeURIComponent(password)}@`);
}

async function run(args: string[]): Promise<CliResult & { out: string }> {
  const out = await tempDir('mqbench-credentials-');
  const r = await runCli(['run', ...SHORT, '--out', out, ...args], { timeoutMs: 60_000 });
  return { ...r, out };
}

function assertDelivered(doc: ResultDocument): PhaseResult {
  assert.equal(doc.status, 'completed', doc.error);
  const p = doc.phases[0];
  assert.ok(p !== undefined, 'one phase');
  assert.equal(p.counters.connectFailures, 0);
  assert.ok(p.counters.sent > 0, 'nothing sent');
  assert.equal(p.counters.lost, 0, 'lost');
  assert.equal(p.counters.received, p.counters.expected, 'incomplete delivery');
  return p;
}

/** Every text a run left: stdout, stderr and each file in its output directory. */
async function everything(r: CliResult & { out: string }): Promise<Array<{ name: string; text: string }>> {
  const files = await readdir(r.out);
  const texts = [
    { name: 'stdout', text: r.stdout },
    { name: 'stderr', text: r.stderr },
  ];
  for (const f of files) texts.push({ name: f, text: await readFile(join(r.out, f), 'utf8') });
  return texts;
}

function assertNowhere(texts: ReadonlyArray<{ name: string; text: string }>, secrets: readonly string[]): void {
  for (const { name, text } of texts) {
    for (const s of secrets) {
      for (const form of [s, encodeURIComponent(s)]) assert.ok(!text.includes(form), `${name} shows the password ${JSON.stringify(form)}`);
    }
  }
}

// One broker, runs side by side: each has its own --out, and every assertion is a count or a text.
describe('mosquitto with allow_anonymous false', { concurrency: true }, () => {
  let mosquitto: Mosquitto;
  before(async () => {
    mosquitto = await startMosquitto({ users: { [USER]: PASSWORD } });
  });
  after(async () => {
    await mosquitto?.stop();
  });

  test('(a) without credentials: exit 3, "not authorized" with the fix, kind rejected', { timeout: 60_000 }, async () => {
    const r = await run(['--target', mosquitto.url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /not authorized/i);
    assert.match(r.stderr, /none were sent: check --username\/--password/);
    const { doc } = await readOnlyResult(r.out);
    assert.equal(doc.status, 'failed');
    const p = doc.phases[0];
    assert.ok(p !== undefined);
    assert.equal(p.status, 'failed');
    assert.match(p.error ?? '', /rejected: 2\).*Not authorized.*check --username\/--password/);
    assert.equal(p.counters.errors['rejected'], 2, JSON.stringify(p.counters.errors));
    assert.equal(doc.scenario['credentials'], null);
  });

  test('a refused password: exit 3, the user named, the password shown nowhere', { timeout: 60_000 }, async () => {
    const r = await run(['--target', withUser(mosquitto.url, URL_PASSWORD), '--connections', '2']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Not authorized.*the broker refused user 'alice': check --username\/--password/);
    assertNowhere(await everything(r), [URL_PASSWORD]);
  });

  test('(b) --username/--password: exit 0, every message delivered', { timeout: 60_000 }, async () => {
    const r = await run(['--target', mosquitto.url, '--username', USER, '--password', PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const { doc } = await readOnlyResult(r.out);
    assertMatchesSchema(doc);
    assertDelivered(doc);
    assert.deepEqual(doc.scenario['credentials'], { username: USER, password: '***' });
  });

  test('(c) user info in the URL (percent-encoded), over tcp with idle clients and over ws: exit 0', { timeout: 60_000 }, async () => {
    const tcp = await run(['--target', withUser(mosquitto.url, PASSWORD), '--connections', '2']);
    assert.equal(tcp.code, 0, tcp.stderr);
    const p = assertDelivered((await readOnlyResult(tcp.out)).doc);
    // Two idle raw clients (their own CONNECT encoder) beside the publisher and the subscriber.
    assert.equal(p.counters.connects, 4);
    assert.match(p.target.url, /^mqtt:\/\/alice:\*\*\*@127\.0\.0\.1:\d+$/);
    const ws = await run(['--target', withUser(mosquitto.wsUrl, PASSWORD)]);
    assert.equal(ws.code, 0, ws.stderr);
    assert.equal(assertDelivered((await readOnlyResult(ws.out)).doc).params.transport, 'ws');
  });

  test('(d) --password-file (first line, line end stripped): exit 0', { timeout: 60_000 }, async () => {
    const dir = await tempDir('mqbench-password-');
    const file = join(dir, 'password');
    await writeFile(file, `${PASSWORD}\r\nnot the password\n`, { mode: 0o600 });
    const r = await run(['--target', mosquitto.url, '--username', USER, '--password-file', file]);
    assert.equal(r.code, 0, r.stderr);
    assertDelivered((await readOnlyResult(r.out)).doc);
  });

  test('(e) the password nowhere in stdout, stderr, result or reports; *** where the target is shown', { timeout: 60_000 }, async () => {
    // The URL's password is overridden by --password (the flag wins), so the run connects.
    const target = withUser(mosquitto.url, URL_PASSWORD);
    const r = await run(['--target', target, '--password', PASSWORD, '--report', 'html,md,junit', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const texts = await everything(r);
    assert.deepEqual(texts.map((t) => t.name.replace(/^mqbench-.*?(\.json|\.html|\.md|\.junit\.xml)$/, '$1')).sort(), ['.html', '.json', '.junit.xml', '.md', 'latest.json', 'stderr', 'stdout']);
    assertNowhere(texts, [PASSWORD, URL_PASSWORD]);

    const doc = JSON.parse(r.stdout) as ResultDocument;
    assertDelivered(doc);
    const shown = target.replace(encodeURIComponent(URL_PASSWORD), '***');
    assert.equal(doc.phases[0]?.target.url, shown);
    assert.deepEqual(doc.scenario['targets'], [shown]);
    const at = doc.command.indexOf('--password');
    assert.ok(at > 0 && doc.command[at + 1] === '***', JSON.stringify(doc.command));
    assert.ok(doc.command.includes(shown), JSON.stringify(doc.command));
    // The terminal summary (on stderr with --json) and the reports show the target with ***.
    assert.ok(r.stderr.includes(shown), r.stderr);
    const text = (ext: string): string => texts.find((t) => t.name.endsWith(ext))?.text ?? '';
    assert.ok(text('.html').includes(shown), 'html shows the redacted target');
    assert.ok(text('.md').includes(shown.replace('***', '\\*\\*\\*')), 'markdown shows the redacted target (escaped)');
  });
});

describe('credential flags are checked before anything connects (exit 2)', { concurrency: true }, () => {
  const cases: Array<{ name: string; args: string[]; message: RegExp }> = [
    { name: 'an unreadable --password-file', args: ['--password-file', '/nonexistent/mqbench-password'], message: /--password-file: cannot read \/nonexistent\/mqbench-password: ENOENT/ },
    { name: '--password with --password-file', args: ['--username', USER, '--password', 'x', '--password-file', '/etc/hostname'], message: /--password\/--password-file: choose one/ },
    { name: 'a password without a user name', args: ['--password', 'x'], message: /--password: a password needs a user name/ },
  ];
  for (const c of cases) {
    test(c.name, { timeout: 30_000 }, async () => {
      // 127.0.0.1:9 is never connected to: the flags are refused first.
      const r = await run(['--target', 'mqtt://127.0.0.1:9', '--rate', 'fast', ...c.args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /problem\(s\) with the flags, nothing was run/);
      assert.match(r.stderr, c.message);
      // Listed with the other flag problems.
      assert.match(r.stderr, /--rate: /);
      assert.deepEqual(await readdir(r.out), [], 'no result file');
    });
  }
});
