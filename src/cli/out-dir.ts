/**
 * Checks before anything runs that a directory can take the files of a run (result, reports):
 * kernel pseudo-filesystems are refused without touching them, the directory is created, and a
 * probe file is created and removed in it. A run that would lose its result is stopped at the
 * start with exit 2 instead of after the whole load.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Pseudo-filesystems of the kernel: not places for files, and `mkdir -p` under /proc never
 * returns (Node's recursive mkdir loops there at 100% CPU), so they are refused before any call
 * that writes. /dev/shm is a real tmpfs and stays usable.
 */
const PSEUDO_ROOTS: ReadonlyArray<{ root: string; what: string }> = [
  { root: '/proc', what: 'the kernel process filesystem (procfs)' },
  { root: '/sys', what: 'the kernel sysfs' },
  { root: '/dev', what: 'the device filesystem' },
];
const PSEUDO_EXCEPTIONS: readonly string[] = ['/dev/shm'];

/** The reason for an errno code, as a person would say it. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'not a directory',
  EEXIST: 'a file of that name already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

const within = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

/** `permission denied (EACCES)`; an error without a code keeps its message. */
function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${REASONS[code] ?? message} (${code})` : message;
}

function kindOf(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  return 'not a directory';
}

/**
 * The deepest existing path of `abs` (itself or an ancestor), with what it is; read-only calls
 * only (stat is safe on every filesystem, unlike mkdir on procfs).
 */
async function deepestExisting(abs: string): Promise<{ at: string; stats: Stats } | { at: string; error: unknown }> {
  let at = abs;
  for (;;) {
    try {
      return { at, stats: await stat(at) };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const up = path.dirname(at);
      // ENOENT: this part does not exist yet; ENOTDIR: an ancestor is not a directory. Look further up.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || up === at) return { at, error: err };
      at = up;
    }
  }
}

/**
 * Makes `dir` ready for the run's files or says why it cannot be: null when it is ready, else one
 * line naming `flag` and the path, the reason and the fix, e.g.
 * "--out /dev/null/x: not a directory (ENOTDIR): /dev/null is a character device; give a writable directory".
 */
export async function prepareOutDir(dir: string, flag = '--out'): Promise<string | null> {
  const fix = 'give a writable directory';
  const abs = path.resolve(dir);
  const found = await deepestExisting(abs);
  if ('error' in found) return `${flag} ${dir}: cannot be checked: ${reason(found.error)} at ${found.at}; ${fix}`;
  if (!found.stats.isDirectory()) {
    const what = found.at === abs ? `it is ${kindOf(found.stats)}` : `${found.at} is ${kindOf(found.stats)}`;
    return `${flag} ${dir}: not a directory (ENOTDIR): ${what}; ${fix}`;
  }
  // Symbolic links resolved, so a link into /proc is refused like /proc itself.
  const real = path.join(await realpath(found.at), path.relative(found.at, abs));
  for (const p of new Set([abs, real])) {
    const pseudo = PSEUDO_ROOTS.find((r) => within(p, r.root));
    if (pseudo !== undefined && !PSEUDO_EXCEPTIONS.some((e) => within(p, e))) {
      return `${flag} ${dir}: ${pseudo.root} is ${pseudo.what}, not a place for files${p === abs ? '' : ` (${dir} leads to ${p})`}; ${fix}`;
    }
  }
  try {
    await mkdir(abs, { recursive: true });
  } catch (err) {
    return `${flag} ${dir}: cannot create the directory: ${reason(err)}; ${fix}`;
  }
  // The probe writes a few bytes, so a full disk shows too (an empty file may need no block).
  const probe = path.join(abs, `.mqbench-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, 'mqbench write probe\n', { flag: 'wx' });
  } catch (err) {
    // A failed create leaves nothing; a write that failed after the create (ENOSPC) leaves the
    // probe, removed here. The write's error is the one to report, so a failing removal adds nothing.
    await rm(probe, { force: true }).catch(() => undefined);
    return `${flag} ${dir}: cannot write there: ${reason(err)}; ${fix}`;
  }
  try {
    await rm(probe);
  } catch (err) {
    return `${flag} ${dir}: a file written there cannot be removed (${probe}): ${reason(err)}; ${fix}`;
  }
  return null;
}
