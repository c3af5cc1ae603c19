/**
 * `mqbench compare <base.json> <head.json>`: side-by-side diff of two results, telling a
 * regression from run-to-run noise (src/gates/baseline.ts has the rule). Exit 0 when no
 * metric regressed, 1 when one did, 2 on bad input (flags, unreadable files, no phase in common).
 */
import type { Argv, CommandModule } from 'yargs';
import { compareDocuments, DEFAULT_LATENCY_FLOOR_US } from '../gates/baseline.js';
import { shortRunNotes } from '../gates/sensitivity.js';
import { renderComparison, renderComparisonMarkdown } from '../reporters/compare.js';
import { parseLatencyFloor, parseTolerance } from '../config/gate-units.js';
import { COMPARED_METRICS, metricDef, similarMetrics } from '../metrics/names.js';
import { readResultFile } from '../metrics/result-file.js';
import type { PhaseResult, ResultDocument } from '../metrics/result.js';
import { ExitCode } from './exit-codes.js';
import { wantsColour, type Io } from './io.js';

export const DEFAULT_MAX_REGRESSION = 0.1;

export function compareOptions<T>(y: Argv<T>) {
  return y
    .positional('base', { type: 'string', demandOption: true, describe: 'Result file of the reference run (e.g. main)' })
    .positional('head', { type: 'string', demandOption: true, describe: 'Result file of the run to judge (e.g. the pull request)' })
    .option('max-regression', { type: 'string', describe: 'Tolerance: how much worse than base a metric may be before it can count as a regression; a percentage (10%) or a fraction (0.1) [default: "10%"]' })
    .option('metric', { type: 'string', array: true, describe: `Metric to compare, repeatable or comma-separated (e2e.p99, received.rate, lost, errors.timeout, ...) [default: ${COMPARED_METRICS.join(', ')}]` })
    .option('latency-floor', { type: 'string', describe: `Latency differences smaller than this are noise whatever the percentage (timer and scheduler jitter); 0 turns it off [default: "${DEFAULT_LATENCY_FLOOR_US}us"]` })
    .option('json', { type: 'boolean', describe: 'Print the comparison as JSON on stdout [default: false]' })
    .option('md', { type: 'boolean', describe: 'Print the comparison as Markdown (PR comments, CI job summaries) [default: false]' })
    .conflicts('json', 'md');
}

/**
 * The whole command as a yargs module, so main.ts wires it with one `.command(...)`.
 * setCode receives the exit code (main.ts is the only place that exits).
 */
export function compareCommandModule<T>(io: Io, setCode: (code: number) => void): CommandModule<T, CompareArgs<T>> {
  return {
    command: 'compare <base> <head>',
    describe: 'Side-by-side diff of two results; exit 1 when a metric regressed beyond --max-regression and run-to-run noise, 2 on bad input',
    builder: (y: Argv<T>) =>
      compareOptions(y)
        .example('$0 compare results/base/main.json results/head/pr.json', 'what changed from main to the pull request, noise told apart')
        .example('$0 compare main.json pr.json --max-regression 5% --metric e2e.p99,received.rate', 'a tighter tolerance on two metrics')
        .example('$0 compare main.json pr.json --md >> "$GITHUB_STEP_SUMMARY"', 'the comparison as Markdown for a CI job summary'),
    handler: async (argv) => {
      setCode(
        await compareCommand(
          { base: argv.base, head: argv.head, maxRegression: argv['max-regression'], metric: argv.metric, latencyFloor: argv['latency-floor'], json: argv.json, md: argv.md },
          io,
        ),
      );
    },
  };
}

type CompareArgs<T> = ReturnType<typeof compareOptions<T>> extends Argv<infer U> ? U : never;

export interface CompareFlags {
  base: string;
  head: string;
  maxRegression?: string | undefined;
  metric?: string[] | undefined;
  latencyFloor?: string | undefined;
  json?: boolean | undefined;
  md?: boolean | undefined;
}

export async function compareCommand(flags: CompareFlags, io: Io): Promise<number> {
  const problems: string[] = [];
  const tolerance = parseTolerance(flags.maxRegression ?? '10%');
  if (!tolerance.ok) problems.push(`--max-regression: ${tolerance.error}`);
  const floor = parseLatencyFloor(flags.latencyFloor ?? `${DEFAULT_LATENCY_FLOOR_US}us`);
  if (!floor.ok) problems.push(`--latency-floor: ${floor.error}`);
  const metrics = parseMetrics(flags.metric);
  problems.push(...metrics.problems);

  const [base, head] = await Promise.all([readResultFile(flags.base), readResultFile(flags.head)]);
  if (!base.ok) problems.push(base.error);
  if (!head.ok) problems.push(head.error);
  if (base.ok && head.ok) {
    const common = base.doc.phases.filter((p) => head.doc.phases.some((q) => q.name === p.name));
    if (common.length === 0) {
      problems.push(`no phase in common: base has ${names(base.doc.phases)}, head has ${names(head.doc.phases)}; compare results of the same scenario (phases are matched by name)`);
    }
  }
  if (problems.length > 0 || !base.ok || !head.ok || !tolerance.ok || !floor.ok) {
    io.stderr.write(`mqbench compare: ${problems.length} problem(s), nothing compared:\n`);
    for (const p of problems) io.stderr.write(`  ${p}\n`);
    return ExitCode.BadInput;
  }

  for (const w of warnings(base.doc, head.doc)) io.stderr.write(`mqbench compare: note: ${w}\n`);
  for (const w of shortRunNotes(base.doc, head.doc, tolerance.value, metrics.names.length > 0 ? metrics.names : undefined)) io.stderr.write(`mqbench compare: note: ${w}\n`);
  const comparison = compareDocuments(base.doc, head.doc, {
    maxRegression: tolerance.value,
    latencyFloorUs: floor.value,
    ...(metrics.names.length > 0 ? { metrics: metrics.names } : {}),
    baseFile: flags.base,
    headFile: flags.head,
  });
  if (flags.json === true) io.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
  else if (flags.md === true) io.stdout.write(renderComparisonMarkdown(comparison));
  else io.stdout.write(renderComparison(comparison, wantsColour(io.stdout, io.env)));
  return comparison.regressions > 0 ? ExitCode.Failed : ExitCode.Pass;
}

export function parseMetrics(given: readonly string[] | undefined): { names: string[]; problems: string[] } {
  const names: string[] = [];
  const problems: string[] = [];
  for (const name of (given ?? []).flatMap((m) => String(m).split(',')).map((m) => m.trim())) {
    if (name === '') continue;
    if (metricDef(name) === null) {
      const close = similarMetrics(name);
      problems.push(`--metric: unknown metric '${name}'${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''} (the metrics are listed in the README)`);
    } else names.push(name);
  }
  return { names, problems };
}

function names(phases: readonly PhaseResult[]): string {
  return phases.length === 0 ? 'no phases' : phases.map((p) => p.name).join(', ');
}

/** What makes a comparison suspect without making it wrong: said on stderr, the verdict stands. */
function warnings(base: ResultDocument, head: ResultDocument): string[] {
  const out: string[] = [];
  for (const [label, doc] of [
    ['base', base],
    ['head', head],
  ] as const) {
    if (doc.status !== 'completed') out.push(`the ${label} run is ${doc.status}${doc.error !== undefined ? ` (${doc.error})` : ''}: its figures cover only part of the run`);
  }
  const keys = ['protocol', 'transport', 'qos', 'payloadBytes', 'publishers', 'subscribers', 'rate', 'inflight', 'model'] as const;
  for (const b of base.phases) {
    const h = head.phases.find((p) => p.name === b.name);
    if (h === undefined) continue;
    const bp = b.params as unknown as Record<string, unknown>;
    const hp = h.params as unknown as Record<string, unknown>;
    const differ = keys.filter((k) => k in bp && k in hp && JSON.stringify(bp[k]) !== JSON.stringify(hp[k])).map((k) => `${k} ${JSON.stringify(bp[k])} -> ${JSON.stringify(hp[k])}`);
    if (differ.length > 0) out.push(`phase ${b.name} ran a different workload (${differ.join(', ')}): the comparison shows the workload change too`);
    if (Math.abs(b.durationSeconds - h.durationSeconds) > 0.5 * Math.max(b.durationSeconds, h.durationSeconds)) {
      out.push(`phase ${b.name}: steady windows of ${b.durationSeconds}s and ${h.durationSeconds}s`);
    }
    for (const [label, p] of [
      ['base', b],
      ['head', h],
    ] as const) {
      if (p.generator.saturated) out.push(`phase ${b.name}: the load generator was the limit in the ${label} run (${p.generator.reasons.join('; ')}): its figures are mqbench's, not the target's`);
    }
  }
  return out;
}
