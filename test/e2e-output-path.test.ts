/**
 * Output paths are checked before anything connects (exit 2, the path and the reason named),
 * a write that fails after the run is never printed as PASS, and the atomic writer leaves no
 * temporary file behind on any failure. The CLI runs as a real process against a loopback
 * target that counts connections, so "nothing was run" is measured, not assumed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareOutDir } from '../src/cli/out-dir.js';
import { writeResult, type ResultFs } from '../src/coordinator/document.js';
import type { ResultDocument } from '../src/metrics/result.js';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

/** A short run: QoS 0, one worker (a repeated flag would become a list, so the duration is a parameter). */
const short = (duration = '1s'): string[] => ['--duration', duration, '--warmup', '0s', '--drain', '1s', '--qos', '0', '--workers', '1'];

/** A TCP target that accepts and counts connections and never answers: any connection is a run that started. */
let target: Server;
let targetUrl = '';
let accepted = 0;
const sockets = new Set<Socket>();
let dir = '';

before(async () => {
  dir = await tempDir('mqbench-out-path-');
  target = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  targetUrl = `mqtt://127.0.0.1:${address.port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => target.close(() => resolve()));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, as paths relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

/** Runs with --out and asserts exit 2, the message, no connection, no progress notes. */
async function refused(out: string, message: RegExp): Promise<void> {
  const before = accepted;
  const r = await runCli(['run', '--target', targetUrl, ...short(), '--out', out], { timeoutMs: 30_000 });
  assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`);
  assert.ok(r.stderr.includes(`--out ${out}`), `the message names the path:\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /give a writable directory/);
  assert.match(r.stderr, /Nothing was run/);
  assert.doesNotMatch(r.stderr, /connecting clients|load started|bundled broker/, 'no progress notes of a run');
  assert.equal(r.stdout, '', 'no summary');
  assert.equal(accepted, before, 'no connection was made to the target');
}

describe('mqbench run --out: checked before anything connects, exit 2', () => {
  test('/dev/null/x: an ancestor is a device, not a directory', async () => {
    await refused('/dev/null/x', /not a directory \(ENOTDIR\): \/dev\/null is a character device/);
  });

  test('an existing regular file', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory\n');
    await refused(file, /not a directory \(ENOTDIR\): it is a regular file/);
    assert.equal(await readFile(file, 'utf8'), 'not a directory\n', 'the file is untouched');
    await refused(join(file, 'sub'), /not a directory \(ENOTDIR\): .*a-file is a regular file/);
  });

  test('/proc/x exits at once (recursive mkdir loops forever on procfs) and /sys/x is refused', async () => {
    // The 30 s limit of refused() is the hang check: this used to spin at 100% CPU forever.
    await refused('/proc/x', /\/proc is the kernel process filesystem \(procfs\), not a place for files/);
    assert.equal(existsSync('/proc/x'), false);
    await refused('/sys/x', /\/sys is the kernel sysfs, not a place for files/);
  });

  test('a symbolic link into /proc is refused like /proc itself', async () => {
    const link = join(dir, 'to-proc');
    await rm(link, { force: true });
    execFileSync('ln', ['-s', '/proc/self', link]);
    await refused(join(link, 'x'), /\/proc is the kernel process filesystem .* leads to \/proc\/\d+\/x/);
  });

  test('a directory no one may write in (0555 as a user; immutable as root)', async (t) => {
    const locked = join(dir, 'locked');
    await mkdir(locked, { recursive: true });
    const root = process.getuid?.() === 0;
    if (!root) {
      await chmod(locked, 0o555);
      try {
        await refused(join(locked, 'sub'), /cannot create the directory: permission denied \(EACCES\)/);
        await refused(locked, /cannot write there: permission denied \(EACCES\)/);
      } finally {
        await chmod(locked, 0o755);
      }
      return;
    }
    // Root writes into 0555 directories; an immutable one (chattr +i) it cannot, where the filesystem supports it.
    try {
      execFileSync('chattr', ['+i', locked], { stdio: 'ignore' });
    } catch {
      t.skip('running as root and chattr +i is not available here: no directory root cannot write in (the /proc and /sys cases cover the refusal)');
      return;
    }
    try {
      await refused(join(locked, 'sub'), /cannot create the directory: operation not permitted \(EPERM\)/);
      await refused(locked, /cannot write there: operation not permitted \(EPERM\)/);
    } finally {
      execFileSync('chattr', ['-i', locked]);
    }
    assert.deepEqual(await readdir(locked), [], 'no probe file left');
  });

  test('a run stopped by a flag problem creates no --out directory', async () => {
    const out = join(dir, 'never-created');
    const r = await runCli(['run', '--target', targetUrl, '--duration', '1s', '--qos', '7', '--out', out], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--qos/);
    assert.equal(existsSync(out), false, 'the directory is created only for a run that goes ahead');
  });
});

describe('a writable --out and mqbench report --out', () => {
  let result = '';

  test('a run into a new nested directory: created, the result and reports there, no probe file left', { timeout: 90_000 }, async () => {
    const out = join(dir, 'new', 'nested');
    const r = await runCli(['run', ...short(), '--out', out, '--report', 'md,junit'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PASS/m);
    const { file, doc } = await readOnlyResult(out);
    assertMatchesSchema(doc);
    result = file;
    const base = file.slice(out.length + 1).replace(/\.json$/, '');
    assert.deepEqual(await filesUnder(out), [`${base}.json`, `${base}.junit.xml`, `${base}.md`, 'latest.json'].sort(), 'nothing but the result, its copy and its reports');
  });

  test('mqbench report --out is checked the same way: exit 2, the path named, nothing written', async () => {
    assert.notEqual(result, '', 'the run above wrote a result');
    for (const [out, message] of [
      ['/dev/null/x', /not a directory \(ENOTDIR\): \/dev\/null is a character device/],
      ['/proc/x', /\/proc is the kernel process filesystem/],
      [result, /not a directory \(ENOTDIR\): it is a regular file/],
    ] as const) {
      const r = await runCli(['report', result, '--format', 'terminal,html', '--out', out], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, `${out}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`--out ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', 'nothing printed before the check');
    }
  });
});

test('the result cannot be written after the run: exit 3, not PASS, no temporary file left', { timeout: 90_000 }, async () => {
  const parent = await tempDir('mqbench-out-gone-');
  const out = join(parent, 'out');
  let swapped = false;
  try {
    // The directory passes the check, then is replaced by a regular file while the load runs.
    const r = await runCli(['run', ...short('2s'), '--out', out], {
      timeoutMs: 60_000,
      onStderr: (soFar) => {
        if (!swapped && soFar.includes('load started')) {
          swapped = true;
          void rename(out, join(parent, 'moved-away')).then(() => writeFile(out, 'a file where the directory was\n'));
        }
      },
    });
    assert.ok(swapped, `the load never started:\n${r.stderr}`);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`could not write the result to ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*EEXIST`));
    assert.doesNotMatch(r.stdout, /\bPASS\b/, `a result that was not written is never PASS:\n${r.stdout}`);
    assert.match(r.stdout, /^NOT WRITTEN: the run met its gates, but the result could not be written/m);
    assert.doesNotMatch(r.stdout, /^result: /m, 'no result path is shown');
    assert.deepEqual(await filesUnder(parent), ['out'], 'no result and no temporary file anywhere (the probe was removed before the run)');
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

describe('writeResult: atomic, and nothing left behind on failure', () => {
  const doc = {
    schemaVersion: 1,
    runId: 'abc123',
    startedAt: '2026-01-02T03:04:05.678Z',
    phases: [],
    filler: 'x'.repeat(100_000),
  } as unknown as ResultDocument;
  const real: ResultFs = { mkdir, writeFile, rename, rm };

  test('writes <name>.json with the whole document and no temporary file', async () => {
    const out = await tempDir('mqbench-write-ok-');
    try {
      const file = await writeResult(join(out, 'sub'), doc);
      assert.equal(file, join(out, 'sub', 'mqbench-2026-01-02T03-04-05Z-abc123.json'));
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), doc);
      assert.deepEqual(await filesUnder(out), ['sub/mqbench-2026-01-02T03-04-05Z-abc123.json']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('a disk that fills during the write (a real ENOSPC, from /dev/full): the error surfaces, no *.tmp is left', async (t) => {
    if (!existsSync('/dev/full')) {
      t.skip('no /dev/full on this system');
      return;
    }
    const out = await tempDir('mqbench-write-full-');
    try {
      // Half the document reaches the temporary file, then the kernel's ENOSPC for the rest.
      const full: ResultFs = {
        ...real,
        async writeFile(file, data, options) {
          await writeFile(file, data.slice(0, data.length / 2), options);
          await writeFile('/dev/full', data);
        },
      };
      await assert.rejects(writeResult(out, doc, full), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
      assert.deepEqual(await filesUnder(out), [], 'neither the result nor its temporary file');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('a failed rename: the error surfaces, the temporary file is removed', async () => {
    const out = await tempDir('mqbench-write-rename-');
    try {
      let renamed = 0;
      const failing: ResultFs = {
        ...real,
        async rename(from) {
          renamed++;
          assert.ok(existsSync(from), 'the temporary file was written before the rename');
          throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}'`), { code: 'EXDEV' });
        },
      };
      await assert.rejects(writeResult(out, doc, failing), /EXDEV/);
      assert.equal(renamed, 1);
      assert.deepEqual(await filesUnder(out), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('an existing file at the temporary name is not followed, overwritten or removed', async () => {
    const out = await tempDir('mqbench-write-exists-');
    try {
      const tmp = join(out, `mqbench-2026-01-02T03-04-05Z-abc123.json.${process.pid}.tmp`);
      await writeFile(tmp, 'someone else\n');
      await assert.rejects(writeResult(out, doc), (err: NodeJS.ErrnoException) => err.code === 'EEXIST');
      assert.equal(await readFile(tmp, 'utf8'), 'someone else\n');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('prepareOutDir', () => {
  test('creates missing levels and removes its probe file', async () => {
    const out = await tempDir('mqbench-prepare-');
    try {
      assert.equal(await prepareOutDir(join(out, 'a', 'b')), null);
      assert.deepEqual(await readdir(join(out, 'a', 'b')), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('/dev/shm is a real tmpfs and stays usable; the rest of /dev is refused', async (t) => {
    assert.match((await prepareOutDir('/dev/mqbench-x')) ?? '', /^--out \/dev\/mqbench-x: \/dev is the device filesystem/);
    if (!existsSync('/dev/shm')) {
      t.skip('no /dev/shm');
      return;
    }
    const shm = `/dev/shm/mqbench-test-${process.pid}`;
    try {
      assert.equal(await prepareOutDir(shm), null);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  test('the flag name is the caller\'s', async () => {
    assert.match((await prepareOutDir('/proc/x', '--report-dir')) ?? '', /^--report-dir \/proc\/x: /);
  });
});
