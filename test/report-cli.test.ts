/**
 * `mqbench report` input checks and output routing. Bad input exits 2 with what is wrong and how
 * to fix it (once through the built CLI for the real exit code). Rendering a real run's result is
 * in report-html.test.ts; here a document built in memory is enough.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { runCli, tempDir } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';
import { document, phase } from './helpers/report-docs.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = memoryIo();
  const code = await main(args, t.io);
  return { code, stdout: t.out(), stderr: t.err() };
}

let dir = '';
let good = '';

before(async () => {
  dir = await tempDir('mqbench-report-cli-');
  good = join(dir, 'mqbench-2026-01-02T03-04-05Z-abc123.json');
  await writeFile(good, JSON.stringify(document([phase('mqtt-tcp-qos0'), phase('mqtt-tcp-qos1')])));
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('mqbench report: bad input, exit 2', () => {
  const cases: Array<{ name: string; make: () => Promise<string>; args?: string[]; message: RegExp }> = [
    { name: 'missing file', make: async () => join(dir, 'nope.json'), message: /nope\.json: no such file; give the path of a result written by 'mqbench run'/ },
    { name: 'not JSON', make: async () => write('broken.json', '{"schemaVersion": 1,'), message: /broken\.json: not JSON \(.*line 1, column \d+.*\); give a result file written by 'mqbench run'/ },
    { name: 'a report instead of the result', make: async () => write('run.html', '<!DOCTYPE html>'), message: /run\.html: not JSON .*run\.html looks like a report: give the \.json result it was made from/ },
    { name: 'JSON that is not a result', make: async () => write('package.json', '{"name": "x"}'), message: /package\.json: not an mqbench result \(no schemaVersion and no phases\)/ },
    { name: 'no phases', make: async () => write('nophases.json', '{"schemaVersion": 1}'), message: /nophases\.json: not an mqbench result \(no phases\)/ },
    { name: 'a newer schema', make: async () => write('newer.json', '{"schemaVersion": 2, "phases": []}'), message: /newer\.json: written by a newer mqbench: result schemaVersion 2, this mqbench reads 1; upgrade mqbench/ },
    { name: 'a damaged phase', make: async () => write('damaged.json', JSON.stringify({ ...document([]), phases: [{ name: 'p1' }] })), message: /damaged\.json: not an mqbench result \(phases\[0\] has no status, params, .*counters, rates, latency, .*generator, .*\); give a result file written by 'mqbench run' \(the format is schemas\/result\.schema\.json\)/ },
    {
      name: 'a directory',
      make: async () => {
        await mkdir(join(dir, 'results'), { recursive: true });
        await writeFile(join(dir, 'results', 'mqbench-x.json'), '{}');
        return join(dir, 'results');
      },
      message: /results: is a directory; give one result file in it/,
    },
    { name: 'an unknown format', make: async () => good, args: ['--format', 'html,pdf'], message: /--format: 'pdf' is not a report format; use terminal, html, md, junit or csv/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const file = await c.make();
      const r = await cli(['report', file, ...(c.args ?? [])]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.match(r.stderr, /^mqbench report: /);
      assert.equal(r.stdout, '');
    });
  }

  test('the built CLI exits 2 on a missing file, and with no file at all', { timeout: 30_000 }, async () => {
    const r = await runCli(['report', join(dir, 'missing.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /missing\.json: no such file/);
    const none = await runCli(['report']);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /^mqbench: .*argument/);
  });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('mqbench report: output', () => {
  test('default: the terminal summary on stdout, no file written', async () => {
    const before = await readdir(dir);
    const r = await cli(['report', good]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mqtt-tcp-qos0[\s\S]*mqtt-tcp-qos1[\s\S]*PASS/);
    assert.deepEqual(await readdir(dir), before);
  });

  test('--format md without --out: Markdown alone on stdout (for $GITHUB_STEP_SUMMARY), the rest on stderr', async () => {
    const r = await cli(['report', good, '--format', 'terminal,md,junit']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^## ✅ mqbench PASS/);
    assert.doesNotMatch(r.stdout, /junit\.xml/);
    assert.match(r.stderr, /mqtt-tcp-qos1/, 'the terminal summary went to stderr');
    assert.match(r.stderr, /\nfiles written \(1\):\n  junit  \S*mqbench-2026-01-02T03-04-05Z-abc123\.junit\.xml\n$/, 'the JUnit file is written beside the result, listed in the files block');
  });

  test('--format html: the file beside the result, its path on stdout', async () => {
    const r = await cli(['report', good, '--format', 'html']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${join(dir, 'mqbench-2026-01-02T03-04-05Z-abc123.html')}\n`);
    assert.equal(r.stderr, `files written (1):\n  html  ${join(dir, 'mqbench-2026-01-02T03-04-05Z-abc123.html')}\n`, 'and in the files block on stderr');
  });
});
