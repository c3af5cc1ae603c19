/**
 * `mqbench merge <shard.json>...`: the results of the shards of one run (--shard i/N) into one
 * result, exactly what one machine running every shard would have reported
 * (metrics/shard-merge.ts), then judged as `run` judges: the scenario's thresholds and any
 * --threshold, an optional --baseline, --report files. HdrHistogram logs (.hlog, from --hdr-log)
 * are merged into one log instead. Exit 0 pass, 1 a gate failed, 2 bad input (not the shards of
 * one run: missing, duplicated or foreign shards named), 3 a shard could not complete.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { flagThresholds } from '../config/read-flags.js';
import type { ConfigIssue } from '../config/issue.js';
import { readRunExtras } from '../config/run-extras.js';
import { baselineIssues, readExtras, type Extras } from './gate-inputs.js';
import type { Threshold } from '../config/model.js';
import { errorMessage } from '../drivers/errors.js';
import { compareDocuments } from '../gates/baseline.js';
import { parseThreshold, unmatchedThresholds } from '../gates/threshold.js';
import { settleVerdict } from '../gates/verdict.js';
import { mergeHdrLogs, writeHdrLog } from '../metrics/hdr-log.js';
import { renderFilesBlock } from '../reporters/files.js';
import { writeRunHdrLog } from './run-shard.js';
import { readResultFile } from '../metrics/result-file.js';
import type { ResultDocument } from '../metrics/result.js';
import { mergeShards, shardProblems, type ShardInput } from '../metrics/shard-merge.js';
import { renderComparison } from '../reporters/compare.js';
import { renderSummary } from '../reporters/terminal.js';
import { ExitCode } from './exit-codes.js';
import { wantsColour, type Io } from './io.js';
import { prepareOutDir } from './out-dir.js';
import { writeOutputs } from './write-outputs.js';

export function mergeOptions<T>(y: Argv<T>) {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: "Result files of every shard of one run (each once), or the shards' HdrHistogram logs (.hlog)" })
    .option('out', { type: 'string', describe: 'Directory for the merged result (and --report files) [default: "results"]' })
    .option('threshold', { type: 'string', array: true, describe: "A gate on the merged result, repeatable, added to the scenario's thresholds (README: Thresholds)" })
    .option('baseline', { type: 'string', describe: 'A result file to compare the merged result with, as run --baseline does' })
    .option('max-regression', { type: 'string', describe: 'With --baseline: tolerated change in the worse direction [default: "10%"]' })
    .option('latency-floor', { type: 'string', describe: 'With --baseline: latency changes smaller than this are not regressions [default: "250us"]' })
    .option('report', { type: 'string', describe: 'Also write reports next to the merged result: html, md, junit, csv (comma-separated)' })
    .option('hdr-log', { type: 'string', describe: 'Also write the merged HdrHistogram interval log into this directory' })
    .option('json', { type: 'boolean', describe: 'Print the merged result on stdout and nothing else there [default: false]' })
    .example('$0 merge results/shard-*/mqbench-*.json --out results/merged', 'the shards of one run into one result')
    .example('$0 merge logs/*.hlog --out logs/merged', "the shards' HdrHistogram logs into one");
}

type MergeArgs<T> = ReturnType<typeof mergeOptions<T>> extends Argv<infer U> ? U : never;

export interface MergeFlags {
  files: string[];
  out?: string | undefined;
  threshold?: string[] | undefined;
  baseline?: string | undefined;
  maxRegression?: string | undefined;
  latencyFloor?: string | undefined;
  report?: string | undefined;
  hdrLog?: string | undefined;
  json?: boolean | undefined;
}

export function mergeCommandModule<T>(io: Io, args: string[], setCode: (code: number) => void): CommandModule<T, MergeArgs<T>> {
  return {
    command: 'merge <files..>',
    describe: "Merge the results of a run's shards (--shard i/N) into the result of the whole run, exactly; or their HdrHistogram logs",
    builder: (y: Argv<T>) => mergeOptions(y),
    handler: async (argv) => {
      const flags: MergeFlags = {
        files: (argv.files ?? []).map(String),
        out: argv.out,
        threshold: argv.threshold,
        baseline: argv.baseline,
        maxRegression: argv['max-regression'],
        latencyFloor: argv['latency-floor'],
        report: argv.report,
        hdrLog: argv['hdr-log'],
        json: argv.json,
      };
      setCode(await mergeCommand(flags, io, args));
    },
  };
}

const isLog = (f: string): boolean => f.endsWith('.hlog');

export async function mergeCommand(flags: MergeFlags, io: Io, args: string[]): Promise<number> {
  const outDir = flags.out ?? 'results';
  const logs = flags.files.filter(isLog);
  if (logs.length > 0 && logs.length < flags.files.length) return bad(io, [`give result files (.json) or HdrHistogram logs (.hlog), not both: ${logs.join(', ')} with ${flags.files.filter((f) => !isLog(f)).join(', ')}`]);
  if (logs.length > 0) return mergeLogs(logs, outDir, io);

  const problems: string[] = [];
  const inputs: ShardInput[] = [];
  for (const file of flags.files) {
    const read = await readResultFile(file);
    if (read.ok) inputs.push({ file, doc: read.doc });
    else problems.push(read.error);
  }
  if (problems.length === 0) problems.push(...shardProblems(inputs));
  const gates = await readGates(flags, problems);
  if (problems.length > 0 || gates === null) return bad(io, problems);
  const merged = mergeShards(inputs, ['merge', ...args.slice(1)]);
  const thresholds = [...fileThresholds(merged, problems), ...gates.thresholds];
  problems.push(...unmatchedThresholds(thresholds, merged.phases).map((u) => `${u.where}: ${u.message}`));
  const { extras } = gates;
  if (extras.baseline !== null) problems.push(...baselineIssues(extras.baseline, merged.phases.map((p) => p.name)).map((i) => `${i.where}: ${i.message}`));
  const outProblem = await prepareOutDir(outDir);
  if (outProblem !== null) problems.push(outProblem);
  if (problems.length > 0) return bad(io, problems);

  const comparison =
    extras.baseline === null
      ? undefined
      : compareDocuments(extras.baseline.doc, merged, { maxRegression: extras.maxRegression, latencyFloorUs: extras.latencyFloorUs, baseFile: extras.baseline.file, headFile: '(merged)' });
  const doc = settleVerdict(merged, thresholds, comparison);
  const { file, unwritten, written } = await writeOutputs(doc, outDir, extras.reports, io);
  if (file !== null && flags.hdrLog !== undefined) await writeRunHdrLog(flags.hdrLog, doc, file, [], io, { written, unwritten });
  const human = flags.json === true ? io.stderr : io.stdout;
  if (flags.json === true) io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  const colour = wantsColour(human, io.env);
  human.write(`merged ${inputs.length} result(s): shards ${doc.shard?.indexes.join(', ')} of ${doc.shard?.count} of run ${doc.runId}\n`);
  if (comparison !== undefined) human.write(renderComparison(comparison, colour));
  human.write(renderSummary(doc, file, colour, unwritten));
  io.stderr.write(renderFilesBlock(written, unwritten));
  if (file === null || unwritten.length > 0 || doc.status !== 'completed') return ExitCode.CouldNotComplete;
  return doc.verdict.passed ? ExitCode.Pass : ExitCode.Failed;
}

/**
 * --threshold, --baseline with its tolerances and --report, read by the flag layer and checked
 * as `run` checks them (cli/gate-inputs.ts), every problem pushed; null when one is wrong.
 */
async function readGates(flags: MergeFlags, problems: string[]): Promise<{ thresholds: Threshold[]; extras: Extras } | null> {
  const issues: ConfigIssue[] = [];
  const add = (where: string, message: string): void => void issues.push({ where, message });
  const thresholds = flagThresholds(flags.threshold, add);
  const run = readRunExtras({ baseline: flags.baseline, maxRegression: flags.maxRegression, latencyFloor: flags.latencyFloor, report: flags.report }, add);
  const read = await readExtras(run);
  issues.push(...read.issues);
  problems.push(...issues.map((i) => `${i.where}: ${i.message}`));
  return issues.length > 0 ? null : { thresholds, extras: read.extras };
}

/** The thresholds the shards ran with (the scenario's and their --threshold flags), as their result records them. */
function fileThresholds(doc: ResultDocument, problems: string[]): Threshold[] {
  const listed = (doc.scenario.thresholds ?? []) as Array<{ expression: string; source: Threshold['source'] }>;
  const out: Threshold[] = [];
  for (const [i, t] of listed.entries()) {
    const r = parseThreshold(t.expression, t.source, i);
    if (r.ok) out.push(r.threshold);
    else problems.push(`the shards' threshold '${t.expression}': ${r.error}`);
  }
  return out;
}

/** HdrHistogram logs of the shards into one log in `outDir`: intervals of the same tag and wall-clock second added. */
async function mergeLogs(files: readonly string[], outDir: string, io: Io): Promise<number> {
  const texts: string[] = [];
  const problems: string[] = [];
  for (const f of files) {
    try {
      texts.push(await readFile(f, 'utf8'));
    } catch (err) {
      problems.push(`cannot read ${f}: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0) return bad(io, problems);
  let merged: ReturnType<typeof mergeHdrLogs>;
  try {
    merged = mergeHdrLogs(texts);
  } catch (err) {
    return bad(io, [`${errorMessage(err)} (inputs: ${files.join(', ')})`]);
  }
  const out = join(outDir, `merged-${merged.runId.replace(/[^A-Za-z0-9_+-]/g, '_') || 'log'}.hlog`);
  try {
    await writeHdrLog(out, merged);
  } catch (err) {
    io.stderr.write(`mqbench: could not write ${out}: ${errorMessage(err)}\n`);
    return ExitCode.CouldNotComplete;
  }
  io.stdout.write(`merged ${files.length} HdrHistogram log(s), ${merged.intervals.length} interval(s): ${out}\n`);
  return ExitCode.Pass;
}

function bad(io: Io, problems: readonly string[]): number {
  io.stderr.write(`mqbench merge: ${problems.length} problem(s), nothing was merged:\n`);
  for (const p of problems) io.stderr.write(`  ${p}\n`);
  return ExitCode.BadInput;
}
