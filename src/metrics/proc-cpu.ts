/**
 * CPU time of another process (the bundled broker, or mosquitto in the benchmark), read from
 * /proc/<pid>/stat on Linux. Elsewhere, or when the process is gone, the answer is null and
 * reports say the target's CPU was not measured.
 */
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ); 100 on every mainstream Linux build. */
const USER_HZ = 100;

export function processCpuSeconds(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // The command name (field 2) may hold spaces; fields after its closing paren are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / USER_HZ;
}

/** CPU seconds of this process (every thread), from process.cpuUsage(). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
