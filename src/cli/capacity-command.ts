/**
 * `mqbench capacity [scenario]`: validate the workload (the run command's flags and scenario
 * files) and the search flags, run the search level by level, write the result, print the levels
 * and the answer, pick the exit code: 0 a capacity was found within --to, 1 even --from failed,
 * 2 bad input, 3 the search could not complete (target unreachable, a crash, or the generator was
 * the limit: the answer is then a lower bound), 130 interrupted.
 */
import type { Argv, CommandModule } from 'yargs';
import { resolveCapacity, CAPACITY_DEFAULTS, DEFAULT_CONFIRM, DEFAULT_PRECISION, DEFAULT_STEP_DURATION, type RawCapacityFlags } from './capacity-flags.js';
import type { ConfigIssue, RawRunFlags } from '../config/run-config.js';
import { executeCapacity } from '../coordinator/capacity.js';
import { preflight } from '../coordinator/preflight.js';
import { scenarioAtLevel } from '../plan/capacity-level.js';
import { parseReportFormats } from '../reporters/write.js';
import { capacityLevelLine } from '../reporters/capacity-terminal.js';
import { ProgressLine } from '../reporters/progress.js';
import { renderSummary } from '../reporters/terminal.js';
import { renderFilesBlock } from '../reporters/files.js';
import { DIMENSION_UNIT } from '../metrics/capacity.js';
import type { CapacitySection } from '../metrics/capacity-result.js';
import { ExitCode } from './exit-codes.js';
import { stopOnSignals } from './interrupt.js';
import { wantsColour, type Io } from './io.js';
import { prepareOutDir } from './out-dir.js';
import { openLiveOutputs } from './live-outputs.js';
import { writeOutputs } from './write-outputs.js';
import { camelName, runFlagsOf } from '../config/run-flags.js';
import { envWhere, layerEnv, RUN_ENV_FLAGS, type EnvFlag } from '../config/env-flags.js';
import { ENV_HELP, runOptions } from './run-command.js';

/** capacity's own flags (beside the run flags), read into RawCapacityFlags by their camel-case names. */
const CAPACITY_FLAGS: readonly EnvFlag[] = ['dimension', 'from', 'to', 'step', 'precision', 'slo', 'min-delivery', 'step-duration', 'confirm'].map((name) => ({ name, type: 'string' }));

export function capacityOptions<T>(y: Argv<T>) {
  const d = CAPACITY_DEFAULTS;
  return runOptions(y)
    .option('dimension', { type: 'string', describe: 'What the search steps: rate (open-model messages/s over all publishers), connections (idle clients), publishers or subscribers (clients of that group) [default: "rate"]' })
    .option('from', { type: 'string', describe: `First level (rate: 1000, 5k/s; others: a whole number) [default: rate ${d.rate.from}, connections ${d.connections.from}, publishers/subscribers ${d.publishers.from}]` })
    .option('to', { type: 'string', describe: `Upper bound: no level above it runs; when it holds, the answer is --to [default: rate ${d.rate.to}, connections ${d.connections.to}, publishers/subscribers ${d.publishers.to}]` })
    .option('step', { type: 'string', describe: 'Coarse steps until the first failure: x2 (each level doubles) or an amount to add (+500, 500/s) [default: "x2"]' })
    .option('precision', { type: 'string', describe: `Binary search stops when the bracket between the last pass and the first fail is narrower: a percentage of the level (5%) or an amount [default: "${DEFAULT_PRECISION}"]` })
    .option('slo', { type: 'string', describe: "An SLO condition every level must meet, repeatable, threshold grammar: 'mqtt.e2e.p99 < 20ms' (added to the file's slo:). Always joined by: received rate >= --min-delivery of expected, nothing lost at QoS 1/2" })
    .option('min-delivery', { type: 'string', describe: 'Least share of the expected deliveries per second a level must receive (95% or 0.95) [default: "95%"]' })
    .option('step-duration', { type: 'string', describe: `Steady window of each level (its warm-up is --warmup) [default: "${DEFAULT_STEP_DURATION}"]` })
    .option('confirm', { type: 'string', describe: `Extra runs of the best level; one that fails beyond run-to-run noise steps the answer down [default: ${DEFAULT_CONFIRM}]` });
}

type CapacityArgs<T> = ReturnType<typeof capacityOptions<T>> extends Argv<infer U> ? U : never;

/** The whole yargs command, so main.ts holds one line for it. `args`: the command line, kept in the result. */
export function capacityCommandModule<T>(io: Io, args: string[], setCode: (code: number) => void): CommandModule<T, CapacityArgs<T>> {
  return {
    command: 'capacity [scenario]',
    describe: 'Step the load (rate, connections, publishers or subscribers) until the SLO breaks, binary-search the knee, confirm it; report the highest level that held',
    builder: (y: Argv<T>) =>
      capacityOptions(y)
        .example('$0 capacity scenarios/capacity.yaml', 'the highest QoS 1 rate the bundled broker holds within the SLO of the file')
        .example("$0 capacity -t mqtt://127.0.0.1:1883 -q 0 -p 10 -s 10 --from 5k/s --to 500k/s --slo 'mqtt.e2e.p99 < 10ms'", 'your broker: a rate search from 5k/s, doubling, up to 500k/s')
        .example('$0 capacity --dimension connections --from 1000 --to 50000', 'the most idle connections the bundled broker holds')
        .epilogue(ENV_HELP),
    handler: async (argv) => {
      const named = argv as unknown as Record<string, unknown>;
      const cap: RawCapacityFlags = Object.fromEntries(CAPACITY_FLAGS.map((f) => [camelName(f.name), named[f.name]]));
      setCode(await capacityCommand(argv.scenario, runFlagsOf(named), cap, args, io));
    },
  };
}

function printIssues(io: Io, head: string, issues: readonly ConfigIssue[]): void {
  io.stderr.write(`mqbench capacity: ${issues.length} problem(s) ${head}, nothing was run:\n`);
  for (const i of issues) io.stderr.write(`  ${i.where}: ${i.message}\n`);
}

/** The exit code of a search that ran to its end. */
export function capacityExitCode(c: CapacitySection): number {
  switch (c.end) {
    case 'found':
    case 'reached-to':
      return ExitCode.Pass;
    case 'from-failed':
      return ExitCode.Failed;
    case 'interrupted':
      return ExitCode.Interrupted;
    case 'generator':
    case 'level-limit':
    case 'failed':
      return ExitCode.CouldNotComplete;
  }
}

export async function capacityCommand(scenario: string | undefined, cliRun: RawRunFlags, cliCap: RawCapacityFlags, argv: string[], io: Io): Promise<number> {
  const interactive = io.stderr.isTTY === true;
  // flags > environment > file > defaults, as for run: MQBENCH_ variables join the flags below them.
  const runEnv = layerEnv(cliRun, RUN_ENV_FLAGS, io.env);
  const capEnv = layerEnv(cliCap, CAPACITY_FLAGS, io.env);
  const run = runEnv.flags;
  const resolved = resolveCapacity(scenario, run, capEnv.flags, interactive);
  const reports = run.report === undefined ? [] : parseReportFormats(String(run.report));
  const issues = [
    ...runEnv.issues,
    ...capEnv.issues,
    ...('issues' in resolved ? resolved.issues : []),
    ...('error' in reports ? [{ where: '--report', message: reports.error }] : []),
  ];
  if ('issues' in resolved || issues.length > 0) {
    printIssues(io, scenario === undefined ? 'with the flags' : `with ${scenario} and the flags`, envWhere(issues, new Map([...runEnv.fromEnv, ...capEnv.fromEnv])));
    return ExitCode.BadInput;
  }
  const plan = resolved.plan;
  const config = plan.scenario;
  for (const n of resolved.notes) io.stderr.write(`mqbench capacity: note: ${n}\n`);
  // The open-files check covers the largest level the search may run.
  const checked = preflight(scenarioAtLevel(config, plan.dimension, plan.search.to));
  if (checked.issues.length > 0) {
    printIssues(io, 'on this machine', checked.issues);
    return ExitCode.BadInput;
  }
  const outProblem = await prepareOutDir(config.outDir);
  if (outProblem !== null) {
    io.stderr.write(`mqbench capacity: ${outProblem}. Nothing was run.\n`);
    return ExitCode.BadInput;
  }
  const live = await openLiveOutputs(resolved.live, io);
  if (typeof live === 'string') {
    io.stderr.write(`mqbench capacity: ${live}. Nothing was run.\n`);
    return ExitCode.BadInput;
  }
  const human = config.json ? io.stderr : io.stdout;
  const colour = wantsColour(human, io.env);
  const progress = interactive ? new ProgressLine(io.stderr as NodeJS.WriteStream) : null;
  const { signal, unsubscribe } = stopOnSignals(io, () => progress?.clear(), 'the capacity result');
  try {
    const note = (line: string): void => {
      progress?.clear();
      if (!config.json) io.stderr.write(`${line}\n`);
    };
    const { doc, outcome, capacity } = await executeCapacity(plan, {
      signal,
      sources: checked.sources,
      command: argv,
      ...live.hooks,
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
      onNote: note,
      onLevel: (l) => note(capacityLevelLine(l, DIMENSION_UNIT[plan.dimension])),
    });
    progress?.clear();
    const written = await writeOutputs(doc, config.outDir, 'error' in reports ? [] : reports, io);
    if (config.json) io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    human.write(renderSummary(doc, written.file, colour, written.unwritten));
    if (written.file !== null && written.unwritten.length === 0 && (outcome.kind === 'unreachable' || outcome.kind === 'failed')) io.stderr.write(`mqbench: ${outcome.message}\n`);
    io.stderr.write(renderFilesBlock(written.written, written.unwritten));
    return written.file === null || written.unwritten.length > 0 ? ExitCode.CouldNotComplete : capacityExitCode(capacity);
  } finally {
    await live.close();
    unsubscribe();
  }
}
