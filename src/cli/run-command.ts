/** `mqbench run [scenario]`: validate the scenario and every flag, run, write the result, print, pick the exit code. */
import type { Argv, CommandModule } from 'yargs';
import { fileURLToPath } from 'node:url';
import { envWhere, layerEnv, RUN_ENV_FLAGS, type EnvLayer } from '../config/env-flags.js';
import type { Scenario } from '../config/model.js';
import { helpText, runFlag, runFlagsOf, RUN_FLAG_NAMES, SHORT_ALIASES, SHOWN_NEGATED, type RawRunFlags, type RunFlagName } from '../config/run-flags.js';
import { resolveRun } from '../config/scenario-run.js';
import { preflight } from '../coordinator/preflight.js';
import { executeRun, planRun, type RunOutcome, type RunPlan } from '../coordinator/run.js';
import { plannedSeconds } from '../coordinator/phase-clock.js';
import { compareDocuments } from '../gates/baseline.js';
import { shortRunNotes } from '../gates/sensitivity.js';
import { renderComparison } from '../reporters/compare.js';
import { unmatchedThresholds } from '../gates/threshold.js';
import { settleVerdict } from '../gates/verdict.js';
import { mergeRepeats } from '../metrics/repeats.js';
import type { ResultDocument } from '../metrics/result.js';
import { ProgressLine } from '../reporters/progress.js';
import { renderSummary } from '../reporters/terminal.js';
import { renderFilesBlock } from '../reporters/files.js';
import { ExitCode } from './exit-codes.js';
import { stopOnSignals } from './interrupt.js';
import { prepareOutDir } from './out-dir.js';
import { openLiveOutputs, type LiveOutputs } from './live-outputs.js';
import { writeOutputs } from './write-outputs.js';
import { baselineIssues, readExtras, type Extras } from './gate-inputs.js';
import { shardRunIssues, writeRunHdrLog } from './run-shard.js';
import { withShardEnvironment } from '../config/shard-flags.js';
import type { ShardPhase } from '../metrics/shard-result.js';
import { wantsColour, type Io } from './io.js';

/** The scenario `mqbench run` runs with no workload flags: scenarios/quickstart.yaml of the package (this file is dist/src/cli/). */
export const QUICKSTART_SCENARIO = fileURLToPath(new URL('../../../scenarios/quickstart.yaml', import.meta.url));

/**
 * The run options, declared from the flag table (config/run-flags.ts): its names, types, short
 * aliases and help texts with their defaults. No yargs `default:`: a flag not given stays
 * undefined, so a scenario file's value is not overridden by a default; config/ applies the
 * defaults. A flag on by default is shown as its --no- form (--no-nodelay), the plain one hidden.
 */
export function runOptions<T>(y: Argv<T>): Argv<T & { scenario?: string } & Record<RunFlagName, unknown>> {
  let out = y.positional('scenario', { type: 'string', describe: 'Scenario file (.yaml, .yml or .json; see scenarios/README.md). Without one: flags alone describe the run, or with no workload flags at all the quickstart scenario runs' });
  for (const name of RUN_FLAG_NAMES) {
    const flag = runFlag(name);
    const alias = SHORT_ALIASES[name];
    const negated = SHOWN_NEGATED[name];
    out = out.option(name, { type: flag.type, describe: helpText(flag), ...(alias !== undefined ? { alias } : {}), ...(negated !== undefined ? { hidden: true } : {}) });
    if (negated !== undefined) out = out.option(`no-${name}`, { type: 'boolean', describe: `${negated.describe} [default: ${negated.defaultText}]` });
  }
  return out as Argv<T & { scenario?: string } & Record<RunFlagName, unknown>>;
}

/** The help's last lines for run and capacity: where else their options come from. */
export const ENV_HELP = 'Every flag can be set as MQBENCH_<FLAG> (e.g. MQBENCH_TARGET, MQBENCH_CONNECT_RATE for --connect-rate); flags win over the environment, the environment over the scenario file, the file over the defaults.';

/** The whole yargs command, so main.ts holds one line for it. `args`: the command line, kept in the result. */
export function runCommandModule<T>(io: Io, args: string[], setCode: (code: number) => void): CommandModule<T, RunArgs<T>> {
  return {
    command: 'run [scenario]',
    describe: 'Run a scenario file, or a workload from flags (one phase per QoS), against --target or the bundled servers; with neither, the quickstart scenario',
    builder: (y: Argv<T>) =>
      runOptions(y)
        .example('$0 run', 'the quickstart scenario against the bundled broker and echo server')
        .example('$0 run scenarios/fan-out.yaml -d 30s', 'a scenario file, its steady window set to 30 s per phase')
        .example('$0 run -t mqtt://127.0.0.1:1883 -q 1 -p 10 -s 10 -r 5k/s', 'your broker: QoS 1, 10 -> 10 clients, 5000 messages/s in total (open model)')
        .example("$0 run -q 1 --threshold 'mqtt.e2e.qos1.p99 < 20ms' --baseline main.json", 'a CI gate: a latency bound and no regression against main')
        .example('MQBENCH_TARGET=mqtt://127.0.0.1:1883 MQBENCH_DURATION=30s $0 run scenarios/ci-gate.yaml', "the broker and the steady window from the environment (30 s over the file's 10 s)")
        .epilogue(ENV_HELP),
    // The run flags by the table's names (config/run-flags.ts): nothing mapped by hand here.
    handler: async (argv) => setCode(await runCommand(argv.scenario, runFlagsOf(argv as unknown as Record<string, unknown>), args, io)),
  };
}

type RunArgs<T> = ReturnType<typeof runOptions<T>> extends Argv<infer U> ? U : never;

/**
 * scenario: the file given, or undefined. quickstart: the scenario run when neither a file nor a
 * workload flag is given (tests pass their own).
 */
export async function runCommand(scenario: string | undefined, flags: RawRunFlags, argv: string[], io: Io, quickstart = QUICKSTART_SCENARIO): Promise<number> {
  const interactive = io.stderr.isTTY === true;
  const ready = await checkRun(scenario, flags, io, interactive, quickstart);
  if (typeof ready === 'number') return ready;
  const { config, extras } = ready;
  const human = config.json ? io.stderr : io.stdout;
  const colour = wantsColour(human, io.env);
  const progress = interactive ? new ProgressLine(io.stderr as NodeJS.WriteStream) : null;
  const { signal, unsubscribe } = stopOnSignals(io, () => progress?.clear());
  try {
    const raw: ShardPhase[] = [];
    const { docs, outcome } = await runRepeats(ready, argv, io, signal, progress, extras.hdrLog === null ? undefined : (r) => raw.push(r));
    progress?.clear();
    const merged = extras.repeat > 1 ? mergeRepeats(docs) : (docs[0] as ResultDocument);
    const comparison =
      extras.baseline === null
        ? undefined
        : compareDocuments(extras.baseline.doc, merged, { maxRegression: extras.maxRegression, latencyFloorUs: extras.latencyFloorUs, baseFile: extras.baseline.file, headFile: '(this run)' });
    // The verdict, settled once: over the merged repeats, the thresholds and the baseline comparison.
    const doc = settleVerdict(merged, config.thresholds, comparison);
    const { file, unwritten, written } = await writeOutputs(doc, config.outDir, extras.reports, io);
    if (file !== null && extras.hdrLog !== null) await writeRunHdrLog(extras.hdrLog, doc, file, raw, io, { written, unwritten });
    if (config.json) io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    if (comparison !== undefined) human.write(renderComparison(comparison, colour));
    if (extras.baseline !== null) for (const n of shortRunNotes(extras.baseline.doc, merged, extras.maxRegression)) io.stderr.write(`mqbench: note: ${n}\n`);
    human.write(renderSummary(doc, file, colour, unwritten));
    const code = file === null || unwritten.length > 0 ? ExitCode.CouldNotComplete : exitCodeOf(outcome, doc, io);
    // Last, on stderr: every file the run wrote (the summary above names the result on stdout).
    io.stderr.write(renderFilesBlock(written, unwritten));
    return code;
  } finally {
    await ready.live.close();
    unsubscribe();
  }
}

/** A run that passed every check before the first connection: its scenario, plan, checked sources and extras. */
interface ReadyRun {
  config: Scenario;
  plan: RunPlan;
  sources: ReturnType<typeof preflight>['sources'];
  extras: Extras;
  /** --metrics-listen and --timeline, open. */
  live: LiveOutputs;
}

/** Every check before any load (flags, environment, file, thresholds, baseline, this machine, the output directory); an exit code when one fails. */
async function checkRun(scenario: string | undefined, flags: RawRunFlags, io: Io, interactive: boolean, quickstart: string): Promise<ReadyRun | number> {
  // flags > environment > file > defaults: MQBENCH_ variables join the command line's flags below them;
  // a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with --shards reads as --shard.
  const layered: EnvLayer<RawRunFlags> = layerEnv(flags, RUN_ENV_FLAGS, io.env);
  const sharded = withShardEnvironment(layered.flags, io.env);
  const env = { flags: sharded.flags, fromEnv: layered.fromEnv, issues: [...layered.issues, ...sharded.issues] };
  const built = resolveRun(scenario, env.flags, interactive, quickstart);
  const { extras, issues: extraIssues } = await readExtras(built.run);
  const issues = [...env.issues, ...('issues' in built ? built.issues : []), ...extraIssues];
  // The plan of the (first) run, made once: checked here, then run as it is.
  const planned = 'config' in built ? { config: built.config, plan: planRun(built.config, { runId: built.run.runId, shard: built.run.shard }) } : null;
  if (planned !== null) {
    issues.push(...shardRunIssues(planned.config, planned.plan, extras.repeat));
    // Each threshold must select a phase of this run: a gate that checks nothing is a typo.
    const { config, plan } = planned;
    issues.push(...unmatchedThresholds(config.thresholds, plan.phases).map((u) => (u.where.startsWith('--') || config.file === null ? u : { ...u, where: `${config.file}: ${u.where}` })));
    if (extras.baseline !== null) issues.push(...baselineIssues(extras.baseline, plan.phases.map((p) => p.name)));
  }
  if (planned === null || issues.length > 0) {
    // A problem at a flag the environment set names its variable.
    const named = envWhere(issues, env.fromEnv);
    const flagged = named.some((i) => i.where.startsWith('--') || i.where.startsWith('MQBENCH_'));
    const what = built.source === 'flags' ? 'with the flags' : `with ${built.source === 'file' ? (scenario ?? '') : quickstart}${flagged ? ' and the flags' : ''}`;
    io.stderr.write(`mqbench run: ${named.length} problem(s) ${what}, nothing was run:\n`);
    for (const i of named) io.stderr.write(`  ${i.where}: ${i.message}\n`);
    return ExitCode.BadInput;
  }
  const { config, plan } = planned;
  if (built.source === 'quickstart' && !config.json) {
    io.stderr.write(`mqbench: no workload flags given, running the quickstart scenario (${quickstart}); give a scenario file or flags such as --publishers to describe your own\n`);
  }
  const checked = preflight(config);
  if (checked.issues.length > 0) {
    io.stderr.write(`mqbench run: ${checked.issues.length} problem(s) on this machine, nothing was run:\n`);
    for (const i of checked.issues) io.stderr.write(`  ${i.where}: ${i.message}\n`);
    return ExitCode.BadInput;
  }
  // The result (and --report files beside it) must have somewhere to go before the first connection.
  const outProblem = (await prepareOutDir(config.outDir)) ?? (extras.hdrLog === null ? null : await prepareOutDir(extras.hdrLog));
  if (outProblem !== null) {
    io.stderr.write(`mqbench run: ${outProblem}. Nothing was run.\n`);
    return ExitCode.BadInput;
  }
  const live = await openLiveOutputs(built.run.live, io);
  if (typeof live === 'string') {
    io.stderr.write(`mqbench run: ${live}. Nothing was run.\n`);
    return ExitCode.BadInput;
  }
  return { config, plan, sources: checked.sources, extras, live };
}

/** The run, --repeat times; a repeat that does not complete ends the series. */
async function runRepeats(
  ready: ReadyRun,
  argv: string[],
  io: Io,
  signal: AbortSignal,
  progress: ProgressLine | null,
  onRaw?: (raw: ShardPhase) => void,
): Promise<{ docs: ResultDocument[]; outcome: RunOutcome }> {
  const { config, plan, extras } = ready;
  const docs: ResultDocument[] = [];
  let outcome: RunOutcome = { kind: 'completed' };
  for (let r = 1; r <= extras.repeat; r++) {
    if (extras.repeat > 1 && !config.json) io.stderr.write(`mqbench: repeat ${r} of ${extras.repeat}\n`);
    // Each repeat is a run of its own (its own run id in topics and client ids); the first is the plan checked above.
    const one = await executeRun(config, r === 1 ? plan : planRun(config), {
      signal,
      sources: ready.sources,
      command: argv,
      ...ready.live.hooks,
      ...(progress ? { onProgress: (p) => progress.update(p), laterSeconds: (extras.repeat - r) * plan.phases.reduce((a, s) => a + plannedSeconds(s), 0) } : {}),
      ...(onRaw ? { onRaw } : {}),
      onNote: (line) => {
        progress?.clear();
        if (!config.json) io.stderr.write(`${line}\n`);
      },
    });
    docs.push(one.doc);
    outcome = one.outcome;
    // Later repeats would measure the same fault.
    if (outcome.kind !== 'completed') break;
  }
  return { docs, outcome };
}

/** The exit code of a run whose files were written. */
function exitCodeOf(outcome: RunOutcome, doc: ResultDocument, io: Io): number {
  switch (outcome.kind) {
    case 'interrupted':
      return ExitCode.Interrupted;
    case 'unreachable':
    case 'failed':
      io.stderr.write(`mqbench: ${outcome.message}\n`);
      return ExitCode.CouldNotComplete;
    case 'gate':
      return ExitCode.Failed;
    case 'completed':
      return doc.verdict.passed ? ExitCode.Pass : ExitCode.Failed;
  }
}
