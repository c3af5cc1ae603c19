/**
 * What follows a run while it runs, opened before any load and closed with the run:
 * --metrics-listen (reporters/prometheus.ts served by metrics-server.ts) and --timeline (each
 * second's row written to the file the moment it is collected, so a run killed with SIGKILL
 * leaves every row it had). A flag that cannot be served (port in use, file not writable) is a
 * problem string: the command exits 2 with nothing run.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LiveOutputFlags, ListenAddress, TimelineFile } from '../config/live-outputs.js';
import { errorMessage } from '../drivers/errors.js';
import type { LiveSecond } from '../metrics/live.js';
import type { PhaseResult } from '../metrics/result.js';
import { LiveMetrics } from '../reporters/prometheus.js';
import { timelineHeader, timelineRow } from '../reporters/timeline.js';
import type { Io } from './io.js';
import { listenMetrics, type MetricsServer } from './metrics-server.js';
import { prepareOutDir } from './out-dir.js';

export interface LiveOutputs {
  /** To spread into the run's hooks (coordinator/run.ts RunHooks). */
  hooks: { onSecond?: (s: LiveSecond) => void; onPhase?: (p: PhaseResult) => void };
  /** Closes the listener and the file; safe to call more than once. */
  close(): Promise<void>;
}

const NONE: LiveOutputs = { hooks: {}, close: async () => undefined };

export async function openLiveOutputs(flags: LiveOutputFlags, io: Io): Promise<LiveOutputs | string> {
  if (flags.metricsListen === null && flags.timeline === null) return NONE;
  // The port first: a refused listener leaves no emptied file behind.
  const metrics = flags.metricsListen === null ? null : new LiveMetrics();
  let server: MetricsServer | null = null;
  if (flags.metricsListen !== null && metrics !== null) {
    const listened = await listenMetrics(flags.metricsListen, metrics);
    if ('error' in listened) return listened.error;
    server = listened;
  }
  const timeline = flags.timeline === null ? null : await openTimeline(flags.timeline);
  if (typeof timeline === 'string') {
    await server?.close();
    return timeline;
  }
  if (server !== null && flags.metricsListen !== null) io.stderr.write(`mqbench: Prometheus metrics at ${server.url} while the run runs${exposure(flags.metricsListen)}\n`);
  // A live output that fails mid-run is said once and stops; the run and its result go on.
  const guard = <T>(what: string, f: (x: T) => void): ((x: T) => void) => {
    let failed = false;
    return (x) => {
      if (failed) return;
      try {
        f(x);
      } catch (err) {
        failed = true;
        io.stderr.write(`mqbench: ${what} stopped: ${errorMessage(err)}; the run and its result go on\n`);
      }
    };
  };
  const toTimeline = timeline === null ? null : guard<LiveSecond>(`--timeline ${timeline.file}`, (s) => timeline.write(s));
  const toMetrics = metrics === null ? null : guard<LiveSecond>('--metrics-listen', (s) => metrics.second(s));
  const phaseEnded = metrics === null ? null : guard<PhaseResult>('--metrics-listen', (p) => metrics.phaseEnded(p));
  return {
    hooks: {
      onSecond: (s) => {
        toTimeline?.(s);
        toMetrics?.(s);
      },
      ...(phaseEnded === null ? {} : { onPhase: phaseEnded }),
    },
    close: async () => {
      timeline?.close();
      await server?.close();
    },
  };
}

/** The note for an address beyond loopback: the user named it, and is told what it means. */
function exposure(addr: ListenAddress): string {
  if (addr.loopback) return '';
  const where = addr.host === '0.0.0.0' || addr.host === '::' ? 'on every interface of this machine' : `on ${addr.host}`;
  return `; note: --metrics-listen ${addr.written} exposes them ${where}, to anyone who can reach it`;
}

interface OpenTimeline {
  file: string;
  write(s: LiveSecond): void;
  close(): void;
}

/** The --timeline file checked like --out's directory, created (emptied when it exists), its header written. */
async function openTimeline(t: TimelineFile): Promise<OpenTimeline | string> {
  const dir = path.dirname(path.resolve(t.path));
  const problem = await prepareOutDir(dir, `--timeline ${t.path}: its directory`);
  if (problem !== null) return problem;
  let fd: number;
  try {
    fd = openSync(t.path, 'w');
    writeSync(fd, timelineHeader(t.format));
  } catch (err) {
    return `--timeline ${t.path}: cannot be written: ${errorMessage(err)}; give a file path ending in .csv or .ndjson in a writable directory`;
  }
  let open = true;
  return {
    file: t.path,
    // One write per row, straight to the file: in the kernel's hands before the next second, whatever happens to this process.
    write: (s) => {
      if (open) writeSync(fd, timelineRow(t.format, s));
    },
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
