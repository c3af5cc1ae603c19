/** `mqbench run [scenario]`: validate the scenario and every flag, run, write the result, print, pick the exit code. */
import type { Argv } from 'yargs';
import { fileURLToPath } from 'node:url';
import { RUN_DEFAULTS, type ConfigIssue, type RawRunFlags } from '../config/run-config.js';
import { resolveRun } from '../config/scenario-run.js';
import { preflight } from '../coordinator/preflight.js';
import { executeRun, type RunOutcome } from '../coordinator/run.js';
import { compareDocuments, DEFAULT_LATENCY_FLOOR_US } from '../gates/baseline.js';
import { renderComparison } from '../reporters/compare.js';
import { readers } from '../config/value-rules.js';
import { DEFAULT_MAX_REGRESSION, parseLatencyFloor, parseTolerance } from './compare-command.js';
import { unmatchedThresholds } from '../gates/threshold.js';
import { settleVerdict } from '../gates/verdict.js';
import { planPhases } from '../plan/plan.js';
import { readResultFile } from '../metrics/result-file.js';
import { mergeRepeats } from '../metrics/repeats.js';
import type { ResultDocument } from '../metrics/result.js';
import { parseReportFormats, writeReports, type ReportFormat } from '../reporters/write.js';
import { errorMessage } from '../drivers/errors.js';
import { writeResult } from '../coordinator/document.js';
import { ProgressLine } from '../reporters/progress.js';
import { renderSummary } from '../reporters/terminal.js';
import { ExitCode } from './exit-codes.js';
import { stopOnSignals } from './interrupt.js';
import { prepareOutDir } from './out-dir.js';
import { wantsColour, type Io } from './io.js';

/** The scenario `mqbench run` runs with no workload flags: scenarios/quickstart.yaml of the package (this file is dist/src/cli/). */
export const QUICKSTART_SCENARIO = fileURLToPath(new URL('../../../scenarios/quickstart.yaml', import.meta.url));

// No yargs `default:` on run options: a flag not given stays undefined, so a scenario file's value
// is not overridden by a default; the defaults are applied in config/ and shown here as text.
/** A default as yargs shows one: [default: "10s"], [default: 1]. */
const shown = (v: string | number | boolean): string => `[default: ${typeof v === 'string' ? `"${v}"` : String(v)}]`;

export function runOptions<T>(y: Argv<T>) {
  return y
    .positional('scenario', { type: 'string', describe: 'Scenario file (.yaml, .yml or .json; see scenarios/README.md). Without one: flags alone describe the run, or with no workload flags at all the quickstart scenario runs' })
    .option('target', { type: 'string', describe: 'MQTT broker to load, repeatable (one per transport): mqtt://host:port (TCP), mqtts:// (TLS), ws://host:port/mqtt or wss:// (WebSocket); with --protocol ws the WebSocket server. Default: start the bundled broker on a free loopback port' })
    .option('ws-target', { type: 'string', describe: 'Plain WebSocket echo/broadcast server, repeatable (ws:// and/or wss://). Default: start the bundled echo server' })
    .option('protocol', { type: 'string', describe: 'mqtt, or ws: plain WebSocket against an echo/broadcast server (the bundled one when no --target); --qos does not apply to ws [default: "mqtt"]' })
    .option('role', { type: 'string', describe: 'With --protocol ws: echo (each publisher measures the round trip of its own messages) or broadcast (publishers send, subscribers receive) [default: "echo"]' })
    .option('transport', { type: 'string', describe: 'tcp, tls, ws or wss (with --target, its scheme decides); with a scenario: replaces matrix.transport, else every group\'s [default: "tcp"]' })
    .option('ca', { type: 'string', describe: 'PEM file of the CA that signed the broker certificate (tls, wss). The bundled broker\'s CA is trusted automatically' })
    .option('insecure', { type: 'boolean', describe: 'Do not verify the broker certificate (tls, wss). Never the default [default: false]' })
    .option('username', { type: 'string', describe: 'User name in the MQTT CONNECT (default: the --target URL\'s user info, mqtt://user:password@host:port, else none)' })
    .option('password', { type: 'string', describe: 'Password in the MQTT CONNECT (default: the --target URL\'s user info); shown as *** in every output. --password-file keeps it out of the shell history' })
    .option('password-file', { type: 'string', describe: 'File whose first line is the MQTT password (instead of --password)' })
    .option('connections', { type: 'string', describe: 'Idle connect-only clients held through each phase (keepalive pings only), beside publishers and subscribers [default: 0]' })
    .option('local-address', { type: 'string', describe: 'Source IP addresses to spread connections over, comma-separated. Default: the OS picks; against 127.x targets, 127.0.0.x are added past 25,000 connections' })
    .option('publishers', { type: 'string', describe: `Publishing clients per phase ${shown(RUN_DEFAULTS.publishers)}` })
    .option('subscribers', { type: 'string', describe: `Subscribing clients per phase; each receives every publisher ${shown(RUN_DEFAULTS.subscribers)}` })
    .option('qos', { type: 'string', describe: `QoS levels, comma-separated: one phase per level, run in order, reported side by side; with a scenario: replaces matrix.qos ${shown(RUN_DEFAULTS.qos)}` })
    .option('rate', { type: 'string', describe: 'Open model: total publish rate over all publishers, messages/s (e.g. 5000 or 5k/s). Latency is measured from the intended send time' })
    .option('inflight', { type: 'string', describe: `Closed model (the default): messages in flight per publisher, until acknowledged and delivered ${shown(RUN_DEFAULTS.inflight)}` })
    .option('payload', { type: 'string', describe: `Payload size in bytes including the 16-byte measurement header (16B, 512B, 1KiB, 1MiB); with a scenario: replaces matrix.payload, else the publishing groups' ${shown(RUN_DEFAULTS.payload)}` })
    .option('duration', { type: 'string', describe: `Measured steady time per phase, at least 1s (1s, 10s, 2m) ${shown(RUN_DEFAULTS.duration)}` })
    .option('warmup', { type: 'string', describe: `Warm-up before the steady window per phase: load runs, figures are excluded ${shown(RUN_DEFAULTS.warmup)}` })
    .option('drain', { type: 'string', describe: `Grace period after publishing stops, for in-flight messages and acknowledgements ${shown(RUN_DEFAULTS.drain)}` })
    .option('topic', { type: 'string', describe: `Publish topic template: {client} client id, {n} publisher number, {worker} worker, {run} run and phase id. Subscribers use it with + for templated levels ${shown(RUN_DEFAULTS.topic)}` })
    .option('workers', { type: 'string', describe: 'Load worker threads [default: available cores]' })
    .option('connect-rate', { type: 'string', describe: `New connections per second over all workers; with a scenario: every group's ${shown(RUN_DEFAULTS.connectRate)}` })
    .option('connect-timeout', { type: 'string', describe: `Time allowed for TCP connect + CONNACK per client ${shown(RUN_DEFAULTS.connectTimeout)}` })
    .option('keepalive', { type: 'string', describe: `MQTT keepalive, seconds; with a scenario: every group's ${shown(RUN_DEFAULTS.keepalive)}` })
    .option('driver', { type: 'string', describe: "MQTT client: lean (mqbench's own engine) or mqttjs (MQTT.js, the reference client the tests hold it against); recorded in the result [default: \"lean\"]" })
    .option('nodelay', { type: 'boolean', describe: 'TCP_NODELAY (Nagle off) on every client socket; --no-nodelay turns Nagle on [default: true]' })
    .option('out', { type: 'string', describe: `Directory for the JSON result file ${shown(RUN_DEFAULTS.out)}` })
    .option('target-pid', { type: 'string', describe: 'Process id of the --target broker when it runs on this machine: its CPU per message is reported beside the generator\'s' })
    .option('json', { type: 'boolean', describe: 'Print the result document on stdout and nothing else there (summary goes to stderr) [default: false]' })
    .option('threshold', { type: 'string', describe: "A gate on the result, repeatable, added to the scenario's thresholds: 'mqtt.e2e.qos1.p99 < 20ms', 'mqtt.lost.qos1 == 0', 'mqtt.received.rate > 10k/s' (README: Thresholds). A failed gate exits 1" })
    .option('abort-on-fail', { type: 'boolean', describe: 'Stop the run as soon as a gate can no longer pass: after a phase that failed one, or mid-phase when a latency maximum is already over its bound [default: false]' })
    .option('baseline', { type: 'string', describe: 'A result file to compare this run with (e.g. from the main branch); a regression beyond --max-regression and beyond run-to-run noise fails the run' })
    .option('max-regression', { type: 'string', describe: 'With --baseline: tolerated change in the worse direction [default: "10%"]' })
    .option('latency-floor', { type: 'string', describe: 'With --baseline: latency changes smaller than this are not regressions (timer and scheduling noise) [default: "250us"]' })
    .option('repeat', { type: 'string', describe: 'Run the scenario N times; the result merges the repeats exactly and keeps each repeat\'s figures, so comparisons can tell a change from noise [default: 1]' })
    .option('report', { type: 'string', describe: 'Also write reports next to the result file: html, md, junit (comma-separated)' });
}

/** The run flags as yargs parsed them (options declared by runOptions), as the config layer reads them. */
export function runFlagsFrom(argv: Record<string, unknown>): RawRunFlags {
  return {
    target: argv.target as string | string[] | undefined,
    wsTarget: argv['ws-target'] as string | string[] | undefined,
    publishers: argv.publishers,
    subscribers: argv.subscribers,
    qos: argv.qos,
    rate: argv.rate,
    inflight: argv.inflight,
    payload: argv.payload,
    duration: argv.duration,
    warmup: argv.warmup,
    drain: argv.drain,
    topic: argv.topic,
    workers: argv.workers,
    connectRate: argv['connect-rate'],
    connectTimeout: argv['connect-timeout'],
    keepalive: argv.keepalive,
    nodelay: argv.nodelay,
    driver: argv.driver,
    out: argv.out,
    json: argv.json,
    targetPid: argv['target-pid'],
    transport: argv.transport,
    protocol: argv.protocol,
    role: argv.role,
    ca: argv.ca,
    insecure: argv.insecure,
    localAddress: argv['local-address'],
    connections: argv.connections,
    threshold: argv.threshold,
    abortOnFail: argv['abort-on-fail'],
    baseline: argv.baseline,
    maxRegression: argv['max-regression'],
    latencyFloor: argv['latency-floor'],
    repeat: argv.repeat,
    report: argv.report,
    username: argv.username,
    password: argv.password,
    passwordFile: argv['password-file'],
  };
}

/** What `run` does besides the run itself: repeats, a baseline to compare with, reports to write. */
interface RunExtras {
  repeat: number;
  baseline: { file: string; doc: ResultDocument } | null;
  maxRegression: number;
  latencyFloorUs: number;
  reports: ReportFormat[];
}

const MAX_REPEAT = 100;

/** Validates the flags that are not part of the scenario; every problem as an issue. */
async function readExtras(flags: RawRunFlags): Promise<{ extras: RunExtras; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const add = (where: string, message: string): void => {
    issues.push({ where, message });
  };
  const extras: RunExtras = { repeat: 1, baseline: null, maxRegression: DEFAULT_MAX_REGRESSION, latencyFloorUs: DEFAULT_LATENCY_FLOOR_US, reports: [] };
  const { int, unit } = readers(add);
  if (flags.repeat !== undefined) extras.repeat = int('--repeat', flags.repeat, 1, 1, MAX_REPEAT);
  if (flags.maxRegression !== undefined) extras.maxRegression = unit('--max-regression', flags.maxRegression, '', (v) => parseTolerance(String(v)), DEFAULT_MAX_REGRESSION);
  if (flags.latencyFloor !== undefined) extras.latencyFloorUs = unit('--latency-floor', flags.latencyFloor, '', (v) => parseLatencyFloor(String(v)), DEFAULT_LATENCY_FLOOR_US);
  if (flags.baseline !== undefined) {
    const file = String(flags.baseline);
    const read = await readResultFile(file);
    if (read.ok) extras.baseline = { file, doc: read.doc };
    else add('--baseline', read.error);
  } else {
    if (flags.maxRegression !== undefined) add('--max-regression', 'only applies with --baseline <result.json>');
    if (flags.latencyFloor !== undefined) add('--latency-floor', 'only applies with --baseline <result.json>');
  }
  if (flags.report !== undefined) {
    const formats = parseReportFormats(String(flags.report));
    if ('error' in formats) add('--report', formats.error);
    else extras.reports = formats;
  }
  return { extras, issues };
}

/**
 * A baseline must share a phase (by name) with this run, or the comparison gates nothing: a CI
 * regression gate that silently passes. Checked against the planned phases, before any load.
 */
function baselineIssues(baseline: { file: string; doc: ResultDocument }, planned: readonly string[]): ConfigIssue[] {
  const theirs = baseline.doc.phases.map((p) => p.name);
  if (theirs.some((n) => planned.includes(n))) return [];
  const list = (names: readonly string[]): string => (names.length === 0 ? 'no phases' : names.join(', '));
  return [
    {
      where: '--baseline',
      message: `no phase in common with ${baseline.file}: it has ${list(theirs)}, this run plans ${list(planned)}; give a baseline from the same scenario, QoS levels and transports (phases are matched by name)`,
    },
  ];
}

/**
 * scenario: the file given, or undefined. quickstart: the scenario run when neither a file nor a
 * workload flag is given (tests pass their own).
 */
export async function runCommand(scenario: string | undefined, flags: RawRunFlags, argv: string[], io: Io, quickstart = QUICKSTART_SCENARIO): Promise<number> {
  const interactive = io.stderr.isTTY === true;
  const built = resolveRun(scenario, flags, interactive, quickstart);
  const { extras, issues: extraIssues } = await readExtras(flags);
  const issues = [...('issues' in built ? built.issues : []), ...extraIssues];
  if (!('issues' in built)) {
    // Each threshold must select a phase of this run: a gate that checks nothing is a typo.
    const planned = planPhases(built.config, 'check');
    const file = built.config.file;
    issues.push(...unmatchedThresholds(built.config.thresholds, planned).map((u) => (u.where.startsWith('--') || file === null ? u : { ...u, where: `${file}: ${u.where}` })));
    if (extras.baseline !== null) issues.push(...baselineIssues(extras.baseline, planned.map((p) => p.name)));
  }
  if ('issues' in built || issues.length > 0) {
    const flagged = issues.some((i) => i.where.startsWith('--'));
    const what = built.source === 'flags' ? 'with the flags' : `with ${built.source === 'file' ? (scenario ?? '') : quickstart}${flagged ? ' and the flags' : ''}`;
    io.stderr.write(`mqbench run: ${issues.length} problem(s) ${what}, nothing was run:\n`);
    for (const i of issues) io.stderr.write(`  ${i.where}: ${i.message}\n`);
    return ExitCode.BadInput;
  }
  const config = built.config;
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
  const outProblem = await prepareOutDir(config.outDir);
  if (outProblem !== null) {
    io.stderr.write(`mqbench run: ${outProblem}. Nothing was run.\n`);
    return ExitCode.BadInput;
  }
  const human = config.json ? io.stderr : io.stdout;
  const colour = wantsColour(human, io.env);
  const progress = interactive ? new ProgressLine(io.stderr as NodeJS.WriteStream) : null;
  const { signal, unsubscribe } = stopOnSignals(io, () => progress?.clear());
  try {
    const docs: ResultDocument[] = [];
    let outcome: RunOutcome = { kind: 'completed' };
    for (let r = 1; r <= extras.repeat; r++) {
      if (extras.repeat > 1 && !config.json) io.stderr.write(`mqbench: repeat ${r} of ${extras.repeat}\n`);
      const one = await executeRun(config, {
        signal,
        sources: checked.sources,
        command: argv,
        ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
        onNote: (line) => {
          progress?.clear();
          if (!config.json) io.stderr.write(`${line}\n`);
        },
      });
      docs.push(one.doc);
      outcome = one.outcome;
      // A repeat that did not complete ends the series: later ones would measure the same fault.
      if (outcome.kind !== 'completed') break;
    }
    progress?.clear();
    const merged = extras.repeat > 1 ? mergeRepeats(docs) : (docs[0] as ResultDocument);
    const comparison =
      extras.baseline === null
        ? undefined
        : compareDocuments(extras.baseline.doc, merged, { maxRegression: extras.maxRegression, latencyFloorUs: extras.latencyFloorUs, baseFile: extras.baseline.file, headFile: '(this run)' });
    const doc = settleVerdict(merged, config.thresholds, comparison);
    // A write that fails after the run (disk full, directory removed) is exit 3, and the summary
    // then says what was not written instead of PASS.
    let file: string | null = null;
    const unwritten: string[] = [];
    try {
      file = await writeResult(config.outDir, doc);
    } catch (err) {
      io.stderr.write(`mqbench: could not write the result to ${config.outDir}: ${errorMessage(err)}\n`);
    }
    if (file !== null && extras.reports.length > 0) {
      try {
        const written = await writeReports(doc, file, extras.reports);
        if (!config.json) for (const w of written) io.stderr.write(`report: ${w}\n`);
      } catch (err) {
        io.stderr.write(`mqbench: could not write the reports next to ${file}: ${errorMessage(err)}\n`);
        unwritten.push(`the ${extras.reports.join(', ')} report(s)`);
      }
    }
    if (config.json) io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    if (comparison !== undefined) human.write(renderComparison(comparison, colour));
    human.write(renderSummary(doc, file, colour, unwritten));
    if (file === null || unwritten.length > 0) return ExitCode.CouldNotComplete;
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
  } finally {
    unsubscribe();
  }
}
