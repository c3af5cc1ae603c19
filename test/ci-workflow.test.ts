/**
 * The GitHub Actions example (docs/github-actions/mqbench-pr.yml): it is valid YAML, the README
 * shows it verbatim, and its mqbench steps run here as written (the base and head checkouts
 * both being this build), shortened to a few seconds per phase, producing the files the
 * summary, comment, JUnit and artifact steps read.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { ResultDocument } from '../src/metrics/result.js';
import { tempDir } from './helpers/cli.js';
import { worseInEveryFigure } from './helpers/doctor.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOW = join(ROOT, 'docs/github-actions/mqbench-pr.yml');

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}

async function steps(): Promise<Step[]> {
  const wf = parse(await readFile(WORKFLOW, 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[] }> };
  assert.ok('pull_request' in wf.on, 'runs on pull requests');
  const job = Object.values(wf.jobs)[0];
  assert.ok(job, 'one job');
  return job.steps;
}

function sh(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('the README shows the workflow file verbatim', async () => {
  const wf = (await readFile(WORKFLOW, 'utf8')).trimEnd();
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`\`\`yaml\n${wf}\n\`\`\``), 'README.md and docs/github-actions/mqbench-pr.yml differ');
});

test('the workflow runs the scenario for main and for the pull request, gates it and posts the Markdown', { timeout: 180_000 }, async () => {
  const all = await steps();
  const runs = all.filter((s) => s.run?.includes('bin.js run'));
  assert.equal(runs.length, 2, 'a baseline step and a gated step');
  const [baseStep, headStep] = runs as [Step, Step];
  assert.match(baseStep.run ?? '', /^node base\/dist\/src\/cli\/bin\.js run head\/scenarios\/ci-gate\.yaml .*--out results\/base \|\| test \$\? -eq 1$/);
  assert.match(headStep.run ?? '', /--baseline results\/base\/latest\.json --max-regression 10% --report md,junit,html --out results\/head$/);
  assert.ok(all.some((s) => s.run?.includes('>> "$GITHUB_STEP_SUMMARY"')), 'the Markdown goes to the job summary');
  assert.ok(all.some((s) => s.uses?.startsWith('marocchino/sticky-pull-request-comment')), 'and to a pull-request comment');

  // base/ and head/ are both this checkout; the runs are shortened (flags override the file).
  // The outcome is made certain on any machine: a threshold no run can meet is added to both
  // steps (the file's own, a p99 and "not saturated" among them, may pass or fail on a busy
  // machine), and the baseline is replaced by a copy worse in every figure, so the gate fails on
  // that threshold and on nothing from the baseline.
  const cwd = await tempDir('mqbench-ci-');
  await symlink(ROOT, join(cwd, 'base'));
  await symlink(ROOT, join(cwd, 'head'));
  const CERTAIN_FAILURE = 'mqtt.received.rate > 1000000000/s';
  const short = (cmd: string): string => cmd.replace('--repeat 3', '--repeat 2').replace(/ --out /, ` --duration 1s --warmup 0s --drain 1s --workers 1 --threshold '${CERTAIN_FAILURE}' --out `);
  const base = await sh(short(baseStep.run ?? ''), cwd);
  // The baseline step exits 0 when a threshold failed on main (exit 1): it keeps the baseline.
  assert.equal(base.code, 0, `baseline step: ${base.stdout}\n${base.stderr}`);
  const baseFiles = (await readdir(join(cwd, 'results/base'))).filter((f) => f.endsWith('.json'));
  assert.deepEqual(baseFiles.sort(), [baseFiles.find((f) => f.startsWith('mqbench-')), 'latest.json'].sort(), 'the result and its copy, latest.json');
  // The pull-request step reads the baseline from latest.json.
  const baseFile = join(cwd, 'results/base', 'latest.json');
  const baseDoc = JSON.parse(await readFile(baseFile, 'utf8')) as ResultDocument;
  assert.equal(baseDoc.status, 'completed');
  assert.equal(baseDoc.verdict.passed, false, 'the added threshold failed on main too');
  await writeFile(baseFile, JSON.stringify(worseInEveryFigure(baseDoc)));

  const head = await sh(short(headStep.run ?? ''), cwd);
  assert.equal(head.code, 1, `the gated step fails on the threshold: ${head.stdout}\n${head.stderr}`);
  const results = join(cwd, 'results/head');
  const files = await readdir(results);
  const json = files.find((f) => f.startsWith('mqbench-') && f.endsWith('.json'));
  assert.ok(json, files.join(', '));
  const doc = JSON.parse(await readFile(join(results, json), 'utf8')) as ResultDocument;
  assert.equal(doc.status, 'completed');
  assert.equal(doc.repeat?.count, 2);
  assert.deepEqual(doc.phases.map((p) => p.name), ['mqtt-tcp-qos1', 'mqtt-ws-qos1']);
  const gates = doc.gates ?? [];
  // The file's five thresholds on each of the two phases were checked.
  assert.equal(gates.filter((g) => g.kind === 'threshold' && g.source === 'scenario').length, 5 * 2, JSON.stringify(gates.map((g) => g.name)));
  const forced = gates.filter((g) => g.kind === 'threshold' && g.source !== 'scenario');
  assert.equal(forced.length, 2, JSON.stringify(forced));
  assert.ok(forced.every((g) => !g.passed), 'the added threshold failed on both phases');
  assert.ok(doc.baseline, 'compared with the baseline');
  assert.deepEqual(doc.baseline.rows.filter((r) => r.verdict === 'regression').map((r) => `${r.phase} ${r.metric}`), [], 'nothing regressed against a worse baseline');
  assert.ok(gates.some((g) => g.kind === 'baseline') && gates.filter((g) => g.kind === 'baseline').every((g) => g.passed));
  assert.equal(doc.verdict.passed, false);
  assert.ok(doc.verdict.failures.filter((f) => f.includes('received.rate > 1000000000/s')).length >= 1, doc.verdict.failures.join('\n'));
  assert.ok(doc.verdict.failures.every((f) => !/regression/.test(f)), doc.verdict.failures.join('\n'));
  for (const step of all.filter((s) => s.run !== undefined && !s.run.includes('bin.js') && !s.run.includes('npm ci'))) {
    const r = await sh((step.run ?? '').replace('"$GITHUB_STEP_SUMMARY"', 'summary.md'), cwd);
    assert.equal(r.code, 0, `${step.name}: ${r.stderr}`);
  }
  const summary = await readFile(join(cwd, 'summary.md'), 'utf8');
  assert.match(summary, /mqtt-tcp-qos1/);
  assert.ok(existsSync(join(cwd, 'results/comment.md')));
  assert.ok(files.some((f) => f.endsWith('.junit.xml')) && files.some((f) => f.endsWith('.html')), files.join(', '));
  const junit = await readFile(join(results, files.find((f) => f.endsWith('.junit.xml'))!), 'utf8');
  assert.match(junit, /failures="[1-9]/, 'the failed gate is a failed test case');
  // Markdown escapes the '>': the failed gate is named in the comment.
  assert.match(await readFile(join(cwd, 'results/comment.md'), 'utf8'), /❌ \| mqtt\.received\.rate \\> 1000000000\/s \\\[mqtt-tcp-qos1\\\]/);
});
