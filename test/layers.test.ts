/**
 * The layer rules of .dependency-cruiser.cjs (README "Layout"), run by dependency-cruiser's own
 * CLI: src/ keeps them, and the rules do catch what they forbid (an upward import, a cycle, an
 * import of cli/) in a small tree written here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string): Promise<{ violations: Violation[]; modules: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // Exit 1 means violations: the JSON on stdout says which.
      if (err !== null && (err as { code?: unknown }).code !== 1) return reject(new Error(`depcruise failed: ${stderr || err.message}`));
      const out = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
      resolve({ violations: out.summary.violations, modules: out.summary.totalCruised });
    });
  });
}

test("src/ keeps the layer rules: no cycle, no upward import", { timeout: 60_000 }, async () => {
  const r = await cruise(ROOT);
  assert.ok(r.modules > 100, `cruised ${r.modules} modules of src/`);
  assert.deepEqual(r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
});

test('the rules catch an upward import, a cycle and an import of cli/', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  try {
    const files: Record<string, string> = {
      // metrics -> coordinator: upward.
      'src/metrics/names.ts': "import { run } from '../coordinator/run.js';\nexport const n = run;\n",
      'src/coordinator/run.ts': "export const run = 1;\n",
      // a cycle inside config/.
      'src/config/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'src/config/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      // worker -> cli.
      'src/worker/main.ts': "import { main } from '../cli/main.js';\nexport const w = main;\n",
      'src/cli/main.ts': "export const main = 1;\n",
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const r = await cruise(dir);
    const found = new Set(r.violations.map((v) => `${v.rule.name}: ${v.from}`));
    assert.ok(found.has('metrics-below-runtime: src/metrics/names.ts'), [...found].join('\n'));
    assert.ok(found.has('no-circular: src/config/a.ts'), [...found].join('\n'));
    assert.ok(found.has('nothing-imports-cli: src/worker/main.ts'), [...found].join('\n'));
    assert.ok(found.has('worker-is-below-coordinator: src/worker/main.ts'), [...found].join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
