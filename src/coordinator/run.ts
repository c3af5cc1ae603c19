/**
 * A whole run: target (named, or the bundled broker started here), reachability probe,
 * workers, phases one after another, result document. Always returns a document, also
 * when the run fails or is interrupted; the CLI writes it and picks the exit code.
 */
import { randomBytes } from 'node:crypto';
import type { RunConfig } from '../config/run-config.js';
import { errorMessage } from '../drivers/errors.js';
import { planPhases } from '../plan/plan.js';
import { finalize, newDocument } from '../result/document.js';
import type { PhaseResult, ResultDocument, RunStatus } from '../result/schema.js';
import { startBundledBroker } from '../servers/bundled.js';
import { startBundledEcho } from '../servers/bundled-echo.js';
import { runPhase, type Progress, type TargetInfo } from './coordinator.js';
import { probeTcp } from './probe.js';
import { spawnWorkers, type WorkerHandle } from './worker-pool.js';

/** Why a run could not complete; maps to exit code 3. */
export type RunOutcome =
  | { kind: 'completed' }
  | { kind: 'interrupted' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'failed'; message: string };

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

export async function executeRun(config: RunConfig, hooks: RunHooks): Promise<{ doc: ResultDocument; outcome: RunOutcome }> {
  const runId = randomBytes(3).toString('hex');
  const doc = newDocument(runId, config, hooks.command, new Date());
  const phases: PhaseResult[] = [];
  let outcome: RunOutcome = { kind: 'completed' };
  let bundled: { stop(): Promise<Record<string, number>> } | null = null;
  let workers: WorkerHandle[] = [];
  let brokerErrors: Record<string, number> = {};

  try {
    let target: TargetInfo;
    const transport = config.transport;
    const secure = transport === 'tls' || transport === 'wss';
    const mqtt = config.protocol === 'mqtt';
    const defaultPath = mqtt ? '/mqtt' : `/${config.wsRole}`;
    const subprotocol = mqtt ? 'mqtt' : null;
    if (config.target === null) {
      const server = mqtt
        ? await startBundledBroker({ transports: [transport] })
        : await startBundledEcho({ transports: [transport === 'wss' ? 'wss' : 'ws'] });
      bundled = server;
      const base = server.urls[transport];
      const port = server.ports[transport];
      if (base === undefined || port === undefined) throw new Error(`the bundled ${mqtt ? 'broker' : 'echo server'} did not open a ${transport} listener`);
      const url = mqtt ? base : `${base}${defaultPath}`;
      hooks.onNote?.(`bundled ${mqtt ? 'broker (aedes)' : 'WebSocket echo server'} listening on ${url}, pid ${server.pid}`);
      target = {
        endpoint: { transport, host: server.host, port, path: defaultPath, ca: config.caPem ?? (secure ? server.caPem : null), verify: !config.insecure, servername: server.host, subprotocol },
        url,
        pid: server.pid,
        bundled: true,
        sources: hooks.sources,
      };
    } else {
      const t = config.target;
      const path = t.path === '' ? defaultPath : t.path;
      target = {
        endpoint: { transport, host: t.host, port: t.port, path, ca: config.caPem, verify: !config.insecure, servername: t.host, subprotocol },
        url: t.url,
        pid: config.targetPid,
        bundled: false,
        sources: hooks.sources,
      };
    }
    const probe = await probeTcp(target.endpoint.host, target.endpoint.port, PROBE_TIMEOUT_MS);
    if (!probe.ok) {
      outcome = { kind: 'unreachable', message: `cannot reach ${target.url}: ${probe.kind} (${probe.message}). Check that the broker is running and --target is right.` };
    } else {
      workers = spawnWorkers(Math.max(1, Math.min(config.workers, config.publishers + config.subscribers)));
      for (const spec of planPhases(config, runId)) {
        if (hooks.signal.aborted) break;
        hooks.onNote?.(`phase ${spec.name}: connecting clients`);
        const result = await runPhase({
          spec,
          config,
          target,
          workers,
          signal: hooks.signal,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
        });
        phases.push(result);
        hooks.onPhase?.(result);
        if (result.status === 'failed') {
          outcome = { kind: 'failed', message: `${result.name}: ${result.error ?? 'failed'}` };
          break;
        }
      }
      if (outcome.kind === 'completed' && hooks.signal.aborted) outcome = { kind: 'interrupted' };
    }
  } catch (err) {
    outcome = hooks.signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', message: errorMessage(err) };
  } finally {
    await Promise.all(workers.map((w) => w.shutdown()));
    if (bundled !== null) brokerErrors = await bundled.stop();
  }
  if (Object.keys(brokerErrors).length > 0) doc.targetErrors = brokerErrors;
  const status: RunStatus = outcome.kind === 'completed' ? 'completed' : outcome.kind === 'interrupted' ? 'interrupted' : 'failed';
  const error = outcome.kind === 'unreachable' || outcome.kind === 'failed' ? outcome.message : outcome.kind === 'interrupted' ? 'interrupted by signal' : undefined;
  return { doc: finalize(doc, status, error, phases, new Date()), outcome };
}
