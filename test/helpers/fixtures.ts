/**
 * Small builders for the pure planning and merging tests: a GroupSpec, a Scenario and a
 * planned phase with every field at its default unless the test says otherwise.
 */
import { planPhases, type PhaseSpec } from '../../src/plan/plan.js';
import { planWorkers, type ClientPlan, type WorkerPlan } from '../../src/plan/workers.js';
import { defaultGroup } from '../../src/config/defaults.js';
import type { GroupRole, GroupSpec, LoadShape, MatrixCell, Scenario } from '../../src/config/model.js';

/** A group at the scenario defaults (src/config/defaults.ts), with the given fields on top. */
export function group(name: string, role: GroupRole, fields: Partial<GroupSpec> = {}): GroupSpec {
  return { ...defaultGroup(name, role, fields.protocol ?? 'mqtt'), ...fields };
}

/** An open-model group: `rate` messages per second over the whole group. */
export function openGroup(name: string, role: GroupRole, rate: number, fields: Partial<GroupSpec> = {}): GroupSpec {
  return group(name, role, { rate, inflight: null, ...fields });
}

export const LOAD: LoadShape = { stages: [], warmupMs: 1000, durationMs: 2000, drainMs: 500 };

/** A scenario of `groups` with the given fields; one cell ({}) and the load above unless given. */
export function scenario(groups: GroupSpec[], fields: Partial<Scenario> = {}): Scenario {
  return {
    name: 'test',
    description: null,
    file: null,
    targets: [],
    broker: 'aedes',
    wsTargets: [],
    caPem: null,
    caPath: null,
    insecure: false,
    localAddresses: [],
    workers: 2,
    connectRate: 500,
    connectTimeoutMs: 5000,
    noDelay: true,
    load: LOAD,
    groups,
    matrix: null,
    cells: [{}],
    outDir: 'results',
    json: false,
    targetPid: null,
    interactive: false,
    thresholds: [],
    abortOnFail: false,
    ...fields,
  };
}

/** The first (or only) phase of a scenario of `groups`, planned with run id `run` (tag `${run}-0`). */
export function phase(groups: GroupSpec[], fields: Partial<Scenario> & { cell?: MatrixCell; run?: string } = {}): PhaseSpec {
  const { cell, run, ...rest } = fields;
  const s = scenario(groups, cell === undefined ? rest : { ...rest, cells: [cell] });
  const [p] = planPhases(s, run ?? 'r');
  if (p === undefined) throw new Error('no phase planned');
  return p;
}

/** Every planned client of a phase over `workers`, with the worker it landed on. */
export function clientsOf(plans: readonly WorkerPlan[]): Array<ClientPlan & { worker: number }> {
  return plans.flatMap((w) => w.clients.map((c) => ({ ...c, worker: w.workerIndex })));
}

/** The clients of one group (by name) of a planned phase, in {n} order. */
export function groupClients(p: PhaseSpec, plans: readonly WorkerPlan[], name: string): Array<ClientPlan & { worker: number }> {
  const index = p.groups.findIndex((g) => g.name === name);
  if (index < 0) throw new Error(`no group ${name}`);
  return clientsOf(plans)
    .filter((c) => c.group === index)
    .sort((a, b) => a.n - b.n);
}

/** Plans a phase of `groups` over `workers` and returns both. */
export function planned(groups: GroupSpec[], workers = 2, fields: Parameters<typeof phase>[1] = {}): { phase: PhaseSpec; plans: WorkerPlan[] } {
  const p = phase(groups, fields);
  return { phase: p, plans: planWorkers(p, workers) };
}
