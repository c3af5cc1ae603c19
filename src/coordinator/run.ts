/**
 * A whole run: target (named, or the bundled broker started here), reachability probe,
 * workers, phases one after another, result document. Always returns a document, also
 * when the run fails or is interrupted; the CLI writes it and picks the exit code.
 */
import { randomBytes } from 'node:crypto';
import type { Target } from '../config/endpoints.js';
import { errorMessage } from '../drivers/errors.js';
import { planPhases, type PhaseSpec } from '../plan/plan.js';
import type { BrokerName, GroupSpec, Scenario } from '../config/model.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { closeDocument, newDocument } from './document.js';
import { liveBreach, phaseBreach } from '../gates/verdict.js';
import type { PhaseResult, ResultDocument, RunStatus } from '../metrics/result.js';
import type { BundledBroker } from '../servers/bundled.js';
import { startBundledEcho, type BundledEcho } from '../servers/bundled-echo.js';
import type { EchoTransport } from '../servers/echo.js';
import type { Progress } from '../metrics/reports.js';
import { brokerTransports, startManagedBroker } from './brokers.js';
import { runPhase, type TargetInfo } from './coordinator.js';
import { probeTcp } from './probe.js';
import { spawnWorkers, type WorkerHandle } from './worker-pool.js';

/** Why a run could not complete; maps to exit code 3. */
export type RunOutcome =
  | { kind: 'completed' }
  | { kind: 'interrupted' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'failed'; message: string }
  /** --abort-on-fail: a gate could no longer pass, the rest of the run was skipped (exit 1, not 3). */
  | { kind: 'gate'; message: string };

export interface RunHooks {
  /** Source addresses from preflight(); empty: the OS picks. */
  sources: string[];
  signal: AbortSignal;
  command: string[];
  onProgress?: (p: Progress) => void;
  onPhase?: (p: PhaseResult) => void;
  /** Human-readable notes (target started, phase failed); never on stdout with --json. */
  onNote?: (line: string) => void;
}

const PROBE_TIMEOUT_MS = 3000;
/** After an interrupt, how long a worker may take to exit before it is terminated, milliseconds. */
const INTERRUPTED_SHUTDOWN_MS = 500;

/** The phases of one run, planned once under the run's id; the CLI checks them before any load and passes them to executeRun. */
export interface RunPlan {
  runId: string;
  phases: PhaseSpec[];
}

/** A new run id (in topics and client ids, so runs against one broker never mix) and the phases under it. */
export function planRun(config: Scenario): RunPlan {
  const runId = randomBytes(3).toString('hex');
  return { runId, phases: planPhases(config, runId) };
}

/**
 * Runs the planned phases of `config`. The document returned has its status, phases and error;
 * its verdict is settled by the caller (gates/verdict.ts), once, after repeats and a baseline.
 */
export async function executeRun(config: Scenario, plan: RunPlan, hooks: RunHooks): Promise<{ doc: ResultDocument; outcome: RunOutcome }> {
  const { runId } = plan;
  const doc = newDocument(runId, config, hooks.command, new Date());
  const phases: PhaseResult[] = [];
  let outcome: RunOutcome = { kind: 'completed' };
  const servers: Array<{ stop(): Promise<Record<string, number>> }> = [];
  let workers: WorkerHandle[] = [];

  try {
    const specs = plan.phases;
    const endpoints = new Endpoints(config, await startServers(config, specs, servers, hooks.onNote));
    const targets = specs.map((spec) => endpoints.forPhase(spec, hooks.sources));
    const unreachable = await firstUnreachable(targets.flatMap((t) => t.endpoints.map((e, i) => ({ e, url: t.urls[i] ?? t.url }))));
    if (unreachable !== null) {
      outcome = { kind: 'unreachable', message: unreachable };
    } else {
      const mostClients = Math.max(...specs.map((s) => s.groups.reduce((a, g) => a + g.clients, 0)));
      workers = spawnWorkers(Math.max(1, Math.min(config.workers, mostClients)));
      for (const [i, spec] of specs.entries()) {
        const target = targets[i];
        if (hooks.signal.aborted || target === undefined) break;
        hooks.onNote?.(`phase ${spec.name}: connecting clients`);
        const result = await runPhase({
          spec,
          config,
          target,
          workers,
          signal: hooks.signal,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
          ...(config.abortOnFail ? { liveGate: (max: Parameters<typeof liveBreach>[2]) => liveBreach(config.thresholds, spec, max) } : {}),
        });
        phases.push(result);
        hooks.onPhase?.(result);
        if (result.status === 'failed') {
          outcome = { kind: 'failed', message: `${result.name}: ${result.error ?? 'failed'}` };
          break;
        }
        const stop = config.abortOnFail && !hooks.signal.aborted ? gateStop(config, result) : null;
        if (stop !== null) {
          const left = specs.length - i - 1;
          outcome = { kind: 'gate', message: `${stop}${left > 0 ? `; ${left} later phase(s) not run` : ''}` };
          hooks.onNote?.(`mqbench: ${outcome.message}`);
          break;
        }
      }
      if (outcome.kind === 'completed' && hooks.signal.aborted) outcome = { kind: 'interrupted' };
    }
  } catch (err) {
    outcome = hooks.signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', message: errorMessage(err) };
  } finally {
    await stopAll(workers, servers, hooks.signal.aborted, doc);
  }
  const { status, error } = endOf(outcome);
  return { doc: closeDocument(doc, status, error, phases, new Date()), outcome };
}

/**
 * The end of a run or a search: the workers shut down and the bundled servers stopped; the
 * client errors the servers saw, by message, go on `doc` (targetErrors). After an interrupt the
 * phase's figures are in; a worker still holding connection attempts the interrupt abandoned (a
 * target that never answers CONNACK) is terminated soon instead of at 3 s.
 */
export async function stopAll(workers: readonly WorkerHandle[], servers: ReadonlyArray<{ stop(): Promise<Record<string, number>> }>, interrupted: boolean, doc: ResultDocument): Promise<void> {
  await Promise.all(workers.map((w) => (interrupted ? w.shutdown(INTERRUPTED_SHUTDOWN_MS) : w.shutdown())));
  const errors: Record<string, number> = {};
  for (const s of servers) Object.assign(errors, await s.stop());
  if (Object.keys(errors).length > 0) doc.targetErrors = errors;
}

/** The document's status and error for how a run or a search ended. */
export function endOf(outcome: RunOutcome): { status: RunStatus; error: string | undefined } {
  if (outcome.kind === 'completed') return { status: 'completed', error: undefined };
  if (outcome.kind === 'interrupted') return { status: 'interrupted', error: 'interrupted by signal' };
  return { status: 'failed', error: outcome.message };
}

/** The servers mqbench started for a run: a broker per kind the phases name (matrix.broker: both), the echo server. */
export interface StartedServers {
  brokers: Partial<Record<BrokerName, BundledBroker>>;
  echo: BundledEcho | null;
}

/**
 * Starts the brokers and echo server the phases need (those without a named target), each
 * once for the run and pushed to `servers` as soon as it runs so the caller stops it whatever
 * happens next.
 */
export async function startServers(
  config: Scenario,
  specs: readonly PhaseSpec[],
  servers: Array<{ stop(): Promise<Record<string, number>> }>,
  onNote?: (line: string) => void,
): Promise<StartedServers> {
  const all = specs.flatMap((s) => s.groups);
  const wsTransports = [...new Set(all.filter((g) => g.protocol === 'ws').map((g) => g.transport))];
  const brokers: StartedServers['brokers'] = {};
  let echo: BundledEcho | null = null;
  for (const [kind, transports] of config.targets.length === 0 ? brokerTransports(specs) : []) {
    const broker = await startManagedBroker(kind, transports);
    servers.push(broker);
    brokers[kind] = broker;
    onNote?.(`bundled broker (${kind}) listening on ${Object.values(broker.urls).join(', ')}, pid ${broker.pid}`);
  }
  if (wsTransports.length > 0 && config.wsTargets.length === 0) {
    echo = await startBundledEcho({ transports: wsTransports.filter((t): t is EchoTransport => t === 'ws' || t === 'wss') });
    servers.push(echo);
    onNote?.(`bundled WebSocket echo server listening on ${Object.values(echo.urls).join(', ')} (/echo, /broadcast), pid ${echo.pid}`);
  }
  return { brokers, echo };
}

/**
 * --abort-on-fail after a phase: why the run stops, or null. A phase interrupted without Ctrl-C
 * was stopped by the live gate, and its error says so; else its first failed gate.
 */
function gateStop(config: Scenario, result: PhaseResult): string | null {
  if (result.status === 'interrupted') return result.error ?? 'stopped by --abort-on-fail';
  const breach = phaseBreach(config.thresholds, result);
  return breach === null ? null : `stopped by --abort-on-fail: ${breach}`;
}

/** Probes every distinct endpoint once; the first that cannot be reached, as a message. */
export async function firstUnreachable(list: ReadonlyArray<{ e: TargetEndpoint; url: string }>): Promise<string | null> {
  const seen = new Set<string>();
  for (const { e, url } of list) {
    const key = `${e.host}:${e.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const probe = await probeTcp(e.host, e.port, PROBE_TIMEOUT_MS);
    if (!probe.ok) return `cannot reach ${url}: ${probe.kind} (${probe.message}). Check that the server is running and --target is right.`;
  }
  return null;
}

/** Where each group connects: the bundled servers (the phase's broker), or the named targets (one per transport). */
export class Endpoints {
  private readonly echo: BundledEcho | null;

  constructor(
    private readonly config: Scenario,
    private readonly started: StartedServers,
  ) {
    this.echo = started.echo;
  }

  /** The broker mqbench started for the phase; null when the phase has a named target. */
  private brokerFor(spec: PhaseSpec): BundledBroker | null {
    if (spec.broker === null) return null;
    const broker = this.started.brokers[spec.broker];
    if (broker === undefined) throw new Error(`phase ${spec.name}: the bundled broker (${spec.broker}) was not started`);
    return broker;
  }

  forPhase(spec: PhaseSpec, sources: string[]): TargetInfo & { urls: string[] } {
    const broker = this.brokerFor(spec);
    const resolved = spec.groups.map((g) => this.forGroup(g, broker));
    const urls = resolved.map((r) => r.url);
    const mqtt = spec.params.protocol === 'mqtt';
    const server = mqtt ? broker : this.echo;
    return {
      endpoints: resolved.map((r) => r.endpoint),
      urls,
      url: [...new Set(urls)].join(', '),
      pid: server !== null ? server.pid : this.config.targetPid,
      bundled: server !== null,
      sources,
    };
  }

  private forGroup(g: GroupSpec, broker: BundledBroker | null): { endpoint: TargetEndpoint; url: string } {
    const c = this.config;
    const secure = g.transport === 'tls' || g.transport === 'wss';
    const verify = !c.insecure;
    if (g.protocol === 'mqtt') {
      if (broker !== null) return this.bundled(broker, g, '/mqtt', 'mqtt', secure);
      const t = pickTarget(c.targets, g, '--target');
      return { endpoint: { transport: t.transport, host: t.host, port: t.port, path: t.path === '' ? '/mqtt' : t.path, ca: c.caPem, verify, servername: t.host, subprotocol: 'mqtt' }, url: t.url };
    }
    const path = g.role === 'echo' ? '/echo' : '/broadcast';
    if (this.echo !== null) return this.bundled(this.echo, g, path, null, secure);
    const t = pickTarget(c.wsTargets, g, '--ws-target');
    return { endpoint: { transport: t.transport, host: t.host, port: t.port, path: t.path === '' ? path : t.path, ca: c.caPem, verify, servername: t.host, subprotocol: null }, url: t.url };
  }

  private bundled(server: BundledBroker | BundledEcho, g: GroupSpec, path: string, subprotocol: string | null, secure: boolean): { endpoint: TargetEndpoint; url: string } {
    const port = (server.ports as Partial<Record<string, number>>)[g.transport];
    const base = (server.urls as Partial<Record<string, string>>)[g.transport];
    if (port === undefined || base === undefined) throw new Error(`the bundled ${subprotocol === null ? 'echo server' : 'broker'} did not open a ${g.transport} listener`);
    const c = this.config;
    return {
      endpoint: { transport: g.transport, host: server.host, port, path, ca: c.caPem ?? (secure ? server.caPem : null), verify: !c.insecure, servername: server.host, subprotocol },
      url: subprotocol === null ? `${base}${path}` : base,
    };
  }
}

/** The named target for a group's transport (preflight has checked there is one). */
function pickTarget(targets: readonly Target[], g: GroupSpec, flag: string): Target {
  const t = targets.find((x) => x.transport === g.transport);
  if (t === undefined) throw new Error(`group ${g.name} connects over ${g.transport} but no ${flag} has a ${g.transport} URL`);
  return t;
}
