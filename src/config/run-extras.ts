/**
 * What `run` does besides the run itself, read from its flags: --repeat, --baseline with its
 * tolerances, --report, the shard flags (shard-flags.ts), --run-id, --hdr-log, --metrics-listen
 * and --timeline; defaults from the flag table.
 */
import type { AddIssue } from './endpoints.js';
import type { RunExtras } from './flag-overlay.js';
import { parseLatencyFloor, parseTolerance } from './gate-units.js';
import { parseListen, parseTimelineFile } from './live-outputs.js';
import { given, RUN_FLAGS, type RawRunFlags } from './run-flags.js';
import { readRunId, readShardFlags } from './shard-flags.js';
import { readers } from './value-rules.js';

const MAX_REPEAT = 100;

/** --repeat, --baseline with --max-regression and --latency-floor, --report, --metrics-listen, --timeline: defaults from the table. */
export function readRunExtras(raw: RawRunFlags, add: AddIssue): RunExtras {
  const { int, unit } = readers(add);
  const tolerance = (v: string | number) => parseTolerance(String(v));
  const floor = (v: string | number) => parseLatencyFloor(String(v));
  const extras: RunExtras = {
    repeat: int('--repeat', raw.repeat, RUN_FLAGS.repeat.default, 1, MAX_REPEAT),
    baseline: given(raw.baseline) ? String(raw.baseline) : null,
    maxRegression: unit('--max-regression', raw.maxRegression, RUN_FLAGS['max-regression'].default, tolerance, 0),
    latencyFloorUs: unit('--latency-floor', raw.latencyFloor, RUN_FLAGS['latency-floor'].default, floor, 0),
    reports: given(raw.report) ? String(raw.report) : null,
    shard: readShardFlags(raw, add),
    runId: readRunId(raw, add),
    hdrLog: given(raw.hdrLog) ? String(raw.hdrLog) : null,
    live: {
      metricsListen: given(raw.metricsListen) ? unit('--metrics-listen', raw.metricsListen, '', (v) => parseListen(String(v)), null) : null,
      timeline: given(raw.timeline) ? unit('--timeline', raw.timeline, '', (v) => parseTimelineFile(String(v)), null) : null,
    },
  };
  if (extras.baseline === null) {
    if (raw.maxRegression !== undefined) add('--max-regression', 'only applies with --baseline <result.json>');
    if (raw.latencyFloor !== undefined) add('--latency-floor', 'only applies with --baseline <result.json>');
  }
  return extras;
}

