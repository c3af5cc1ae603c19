/**
 * `mqbench capacity`: the search (plan/capacity-search.ts) run for real. One target (the bundled
 * broker started once, or the named one) and one pool of workers serve every level; each level
 * is a full phase (connect, warm-up, steady window, drain) run by the same coordinator as
 * `mqbench run`, judged (gates/capacity-conditions.ts), and fed back to the search. Always returns
 * a document, also when the search is interrupted or cannot complete.
 */
import { randomBytes } from 'node:crypto';
import { judgeConfirmation } from '../gates/confirm.js';
import { errorMessage } from '../drivers/errors.js';
import { judgeLevel, type CapacityConditions } from '../gates/capacity-conditions.js';
import { scenarioAtLevel, clientsAtLevel } from '../plan/capacity-level.js';
import { nextStep, type Dimension, type LevelKind, type LevelOutcome, type SearchConclusion, type SearchSettings } from '../plan/capacity-search.js';
import { planPhases, type PhaseSpec } from '../plan/plan.js';
import { capacityLevel, capacitySection } from '../metrics/capacity.js';
import { closeDocument, newDocument } from './document.js';
import { settleVerdict } from '../gates/verdict.js';
import type { GateResult, PhaseResult, ResultDocument } from '../metrics/result.js';
import type { CapacityLevel, CapacitySection } from '../metrics/capacity-result.js';
import type { Scenario } from '../config/model.js';
import { runPhase } from './coordinator.js';
import { endOf, stopAll, type RunHooks, type RunOutcome } from './run.js';
import { Endpoints, firstUnreachable, startServers } from './servers.js';
import { spawnWorkers, type WorkerHandle } from './worker-pool.js';

/** A validated capacity search: the base scenario, the dimension and search settings, the conditions. */
export interface CapacityPlan {
  /** The scenario every level starts from (its load shape is each level's warm-up, steady window and drain). */
  scenario: Scenario;
  dimension: Dimension;
  search: SearchSettings;
  conditions: CapacityConditions;
  /** As the result shows them. */
  settings: CapacitySection['settings'];
}


export interface CapacityHooks extends RunHooks {
  /** Each level once judged. */
  onLevel?: (level: CapacityLevel) => void;
}

/** Short names of the dimensions in phase names: mqtt-tcp-qos1-rate3000. */
const SHORT: Record<Dimension, string> = { rate: 'rate', connections: 'conn', publishers: 'pub', subscribers: 'sub' };

/** The phase of one level: the scenario at that level, planned, named after the level. */
export function levelSpec(plan: CapacityPlan, runId: string, index: number, level: number, kind: LevelKind, confirmation: number, rerun = false): { spec: PhaseSpec; scenario: Scenario } {
  const scenario = scenarioAtLevel(plan.scenario, plan.dimension, level);
  const planned = planPhases(scenario, runId)[0];
  if (planned === undefined) throw new Error('the capacity scenario plans no phase');
  const name = `${planned.name}-${SHORT[plan.dimension]}${level}${kind === 'confirm' ? `-confirm${confirmation}` : ''}${rerun ? '-again' : ''}`;
  return { spec: { ...planned, index, name, tag: `${runId}-${index}` }, scenario };
}

interface SearchState {
  phases: PhaseResult[];
  levels: CapacityLevel[];
  outcomes: LevelOutcome[];
}

export async function executeCapacity(plan: CapacityPlan, hooks: CapacityHooks): Promise<{ doc: ResultDocument; outcome: RunOutcome; capacity: CapacitySection }> {
  const runId = randomBytes(3).toString('hex');
  const started = Date.now();
  const doc = newDocument(runId, plan.scenario, hooks.command, new Date(started));
  const state: SearchState = { phases: [], levels: [], outcomes: [] };
  const servers: Array<{ stop(): Promise<Record<string, number>> }> = [];
  let workers: WorkerHandle[] = [];
  let outcome: RunOutcome = { kind: 'completed' };
  let conclusion: SearchConclusion | null = null;
  try {
    const first = levelSpec(plan, runId, 0, plan.search.from, 'coarse', 0).spec;
    const endpoints = new Endpoints(plan.scenario, await startServers(plan.scenario, [first], servers, hooks.onNote));
    const target = endpoints.forPhase(first, hooks.sources);
    const unreachable = await firstUnreachable(target.endpoints.map((e, i) => ({ e, url: target.urls[i] ?? target.url })));
    if (unreachable !== null) outcome = { kind: 'unreachable', message: unreachable };
    else {
      const most = clientsAtLevel(plan.scenario, plan.dimension, plan.search.to);
      workers = spawnWorkers(Math.max(1, Math.min(plan.scenario.workers, most)));
      const ran = await search(plan, runId, state, endpoints, workers, hooks);
      if (ran.kind === 'done') conclusion = ran.conclusion;
      else outcome = ran.outcome;
    }
  } catch (err) {
    outcome = hooks.signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', message: errorMessage(err) };
  } finally {
    await stopAll(workers, servers, hooks.signal.aborted, doc);
  }
  const { status, error } = endOf(outcome);
  const capacity = capacitySection({
    dimension: plan.dimension,
    settings: plan.settings,
    levels: state.levels,
    conclusion,
    cutShort: status === 'completed' ? null : status,
    durationSeconds: (Date.now() - started) / 1000,
  });
  // A search has no repeats or baseline: its verdict is settled here, once.
  const settled = settleVerdict(closeDocument(doc, status, error, state.phases, new Date()), plan.conditions.slo);
  return { doc: withCapacityVerdict(settled, capacity), outcome, capacity };
}

type SearchRun = { kind: 'done'; conclusion: SearchConclusion } | { kind: 'stopped'; outcome: RunOutcome };

/** Levels one after another until the search concludes, the run is interrupted or a level cannot run. */
async function search(plan: CapacityPlan, runId: string, state: SearchState, endpoints: Endpoints, workers: WorkerHandle[], hooks: CapacityHooks): Promise<SearchRun> {
  /** Indexes of levels whose saturated run was followed by a second run. */
  const retried = new Set<number>();
  for (let index = 0; ; index++) {
    const step = nextStep(plan.search, state.outcomes);
    if (step.action === 'done') return { kind: 'done', conclusion: step.conclusion };
    if (hooks.signal.aborted) return { kind: 'stopped', outcome: { kind: 'interrupted' } };
    const nth = state.outcomes.filter((o) => o.kind === 'confirm' && o.level === step.level).length + 1;
    if (retried.has(index - 1)) hooks.onNote?.(`level ${step.level}: the generator was late, running it once more`);
    const level = levelSpec(plan, runId, index, step.level, step.kind, nth, retried.has(index - 1));
    hooks.onNote?.(`level ${index + 1}: ${step.kind}${step.kind === 'confirm' ? ` ${nth}` : ''} at ${step.level} (${level.spec.name})`);
    const result = await runLevel(level, endpoints, workers, { ...hooks, runId });
    state.phases.push(result);
    hooks.onPhase?.(result);
    if (hooks.signal.aborted) return { kind: 'stopped', outcome: { kind: 'interrupted' } };
    const judged = judgeLevel(result, plan.conditions);
    // A generator that was late once (a GC pause, a burst of another process on the machine) gets
    // one more run of the level before the search ends on it; the first run stays in the result.
    if (judged.verdict === 'saturated' && !retried.has(index - 1)) {
      retried.add(index);
      const first = capacityLevel(plan.dimension, step.level, step.kind, result, { ...judged, why: `${judged.why}; the level runs once more` });
      state.levels.push(first);
      hooks.onLevel?.(first);
      continue;
    }
    const searched = step.kind === 'confirm' ? searchedPhase(state, step.level) : null;
    const confirm = searched === null ? undefined : judgeConfirmation(searched, result, judged.verdict === 'saturated' ? [] : judged.failures);
    state.outcomes.push({ level: step.level, kind: step.kind, verdict: judged.verdict, ...(confirm !== undefined ? { contradicts: confirm.contradicts } : {}) });
    const judgedLevel = capacityLevel(plan.dimension, step.level, step.kind, result, judged, confirm);
    state.levels.push(judgedLevel);
    hooks.onLevel?.(judgedLevel);
    // A level the workers could not run (clients refused at its first level, a crash) ends the search: nothing later would be measured.
    if (result.status === 'failed' && state.levels.length === 1) return { kind: 'stopped', outcome: { kind: 'failed', message: `${result.name}: ${result.error ?? 'failed'}` } };
  }
}

/** One level as a phase of the shared coordinator, on the shared workers and target. */
async function runLevel(level: { spec: PhaseSpec; scenario: Scenario }, endpoints: Endpoints, workers: WorkerHandle[], hooks: CapacityHooks & { runId: string }): Promise<PhaseResult> {
  const { spec, scenario } = level;
  return runPhase({
    spec,
    config: scenario,
    target: endpoints.forPhase(spec, hooks.sources),
    workers,
    signal: hooks.signal,
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
    ...(hooks.onSecond ? { onSecond: (s) => hooks.onSecond?.({ ...s, runId: hooks.runId }) } : {}),
  });
}

/** The search's own (non-confirmation) phase at a level, which a confirmation is held against. */
function searchedPhase(state: SearchState, level: number): PhaseResult | null {
  const i = state.levels.findIndex((l) => l.level === level && l.kind !== 'confirm' && l.verdict === 'pass');
  return i < 0 ? null : (state.phases[i] ?? null);
}

/**
 * The verdict of a capacity run is the search's: passed when a capacity was found (within --to);
 * levels that failed are the search working, not failures of the run. The gates kept (what JUnit
 * and the reports list) are the search's own and those of the level runs at the answer, the
 * evidence for it; every level's figures stay in `phases` and `capacity.levels`.
 */
export function withCapacityVerdict(doc: ResultDocument, capacity: CapacitySection): ResultDocument {
  const passed = doc.status === 'completed' && (capacity.end === 'found' || capacity.end === 'reached-to');
  const failures = passed ? [] : [doc.status === 'completed' ? capacity.summary : (doc.error ?? doc.status)];
  const atAnswer = new Set(capacity.levels.filter((l) => l.level === capacity.answer && l.verdict === 'pass').map((l) => l.phase));
  const search: GateResult = { kind: 'run', name: `capacity search (${capacity.dimension})`, phase: null, passed, message: capacity.summary };
  const gates = [search, ...(doc.gates ?? []).filter((g) => g.phase === null || atAnswer.has(g.phase))];
  return { ...doc, capacity, gates, verdict: { passed, failures } };
}
