/**
 * What `run` adds for a run split over processes (--shard) and for --hdr-log: the checks made
 * before any load, and the HdrHistogram interval log written beside the result.
 */
import { basename, join } from 'node:path';
import type { ConfigIssue } from '../config/issue.js';
import type { Scenario } from '../config/model.js';
import type { RunPlan } from '../coordinator/run.js';
import { errorMessage } from '../drivers/errors.js';
import { writeHdrLog } from '../metrics/hdr-log.js';
import type { ResultDocument } from '../metrics/result.js';
import { hdrIntervals } from '../metrics/shard-merge.js';
import type { ShardPhase } from '../metrics/shard-result.js';
import { shardProblems } from '../plan/shard.js';
import type { WrittenFile } from '../reporters/files.js';
import type { Io } from './io.js';

/** A sharded run's problems: every shard must load one named target, once, with phases that can be split. */
export function shardRunIssues(config: Scenario, plan: RunPlan, repeat: number): ConfigIssue[] {
  if (plan.shard === null) return [];
  const issues: ConfigIssue[] = [];
  const groups = plan.phases.flatMap((p) => p.groups);
  if (groups.some((g) => g.protocol === 'mqtt') && config.targets.length === 0) {
    issues.push({ where: '--shard', message: "every shard must load the same broker, and each would start a bundled one of its own: give --target (e.g. a broker started with 'mqbench broker' or mosquitto)" });
  }
  if (groups.some((g) => g.protocol === 'ws') && config.wsTargets.length === 0) {
    issues.push({ where: '--shard', message: 'every shard must load the same WebSocket server: give --ws-target (e.g. one started with mqbench echo)' });
  }
  if (repeat > 1) issues.push({ where: '--repeat', message: 'a sharded run is repeated by starting its shards again (each repeat needs its own --run-id or --start-at); drop --repeat' });
  for (const p of plan.phases) for (const m of shardProblems(p, plan.shard.spec.count)) issues.push({ where: '--shard', message: m });
  return issues;
}

/** --hdr-log: the run's interval log, named after its result file, added to the files written (or to those that could not be). */
export async function writeRunHdrLog(
  dir: string,
  doc: ResultDocument,
  resultFile: string,
  raw: readonly ShardPhase[],
  io: Io,
  files: { written: WrittenFile[]; unwritten: string[] },
): Promise<void> {
  const file = join(dir, `${basename(resultFile, '.json')}.hlog`);
  try {
    await writeHdrLog(file, { runId: doc.runId, startEpochMs: Date.parse(doc.startedAt), intervals: hdrIntervals(doc.shard?.phases ?? raw) });
    files.written.push({ what: 'hdr log', path: file });
  } catch (err) {
    io.stderr.write(`mqbench: could not write the HdrHistogram log ${file}: ${errorMessage(err)}\n`);
    files.unwritten.push('the HdrHistogram log');
  }
}
