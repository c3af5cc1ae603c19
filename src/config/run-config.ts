/**
 * The base of a run described by flags alone: the defaults (defaults.ts) with the client groups
 * the flags describe (publishers, subscribers, idle connections, or plain WebSocket echo or
 * broadcast), as a draft the flags' overlay goes on top of (flag-overlay.ts), like a file's.
 * The choice between a file, the quickstart scenario and flags alone: scenario-run.ts.
 */
import { Problems } from './context.js';
import { resolveCredentials, FLAG_PLACES } from './credentials.js';
import { baseScenario, defaultGroup, DEFAULT_KEEPALIVE_SECONDS, DEFAULT_PAYLOAD_BYTES } from './defaults.js';
import { applyOverlay, type FlagOverlay, type RunExtras, type Workload } from './flag-overlay.js';
import { readFlags } from './read-flags.js';
import type { ConfigIssue } from './issue.js';
import type { SourceFile } from './load.js';
import type { GroupSpec, MatrixCell, Scenario } from './model.js';
import type { RawRunFlags } from './run-flags.js';
import type { Draft } from './validate.js';

export type { ConfigIssue } from './issue.js';
export type { RawRunFlags } from './run-flags.js';
export type { Target } from './endpoints.js';

/** A flags-only run has no file: every problem is at a flag. */
const FLAGS_SOURCE: SourceFile = { label: 'flags', dir: '.', stem: 'flags', value: null, lineOf: () => 0 };

/** A run from flags alone: the defaults and the clients the flags describe, the overlay on top; the scenario or every problem. */
export function buildRunConfig(flags: RawRunFlags, interactive: boolean): ({ config: Scenario } | { issues: ConfigIssue[] }) & { run: RunExtras } {
  const problems = new Problems(FLAGS_SOURCE);
  const { overlay, workload } = readFlags(flags, null, (where, m) => problems.addAt(where, m));
  if (workload === null) throw new Error('readFlags: a flags-only run has a workload');
  const draft = flagsDraft(workload, overlay, interactive, problems);
  applyOverlay(draft, overlay);
  return { ...finishFlagsDraft(draft, workload), run: overlay.run };
}

/**
 * The defaults and the workload's groups. Every group carries the run's transport, topic,
 * payload and keepalive (the overlay sets the publishing groups' payload again, to the same value).
 */
function flagsDraft(w: Workload, o: FlagOverlay, interactive: boolean, problems: Problems): Draft {
  const group = (name: string, role: GroupSpec['role'], clients: number): GroupSpec => ({
    ...defaultGroup(name, role, w.protocol),
    transport: w.transport,
    clients,
    topic: w.topic,
    payload: { bytes: o.payload?.bytes ?? DEFAULT_PAYLOAD_BYTES, template: null },
    keepaliveSeconds: o.keepaliveSeconds ?? DEFAULT_KEEPALIVE_SECONDS,
    ...(role === 'publish' || role === 'echo' ? { rate: w.rate, inflight: w.rate === null ? w.inflight : null } : {}),
  });
  const groups: GroupSpec[] =
    w.protocol === 'ws'
      ? w.wsRole === 'echo'
        ? [group('echo', 'echo', w.publishers)]
        : [group('publishers', 'publish', w.publishers), group('subscribers', 'subscribe', w.subscribers)]
      : [group('publishers', 'publish', w.publishers), group('subscribers', 'subscribe', w.subscribers), group('connections', 'connect-only', w.connections)];
  const kept = groups.filter((g) => g.clients > 0);
  const scenario = baseScenario('flags', null, interactive);
  scenario.groups = kept;
  return {
    scenario,
    groups: kept.map((spec) => ({ spec, origin: new Map(), self: { flag: '--publishers' } })),
    matrix: null,
    origin: new Map(),
    problems,
    auth: { explicit: {}, targets: [], places: { ...FLAG_PLACES } },
  };
}

/**
 * The flags-only scenario, the overlay applied: one phase per QoS level (MQTT; with nobody
 * publishing the QoS makes no difference, so one phase), one phase for plain WebSocket, whose
 * --target is the WebSocket server. Every problem was reported by readFlags.
 */
function finishFlagsDraft(d: Draft, w: Workload): { config: Scenario } | { issues: ConfigIssue[] } {
  const s = d.scenario;
  const p = d.problems;
  const qos = d.matrix?.values.qos ?? [0];
  s.groups = d.groups.map((g) => ({ ...g.spec, qos: w.protocol === 'ws' ? 0 : (qos[0] ?? 0) }));
  const cells: MatrixCell[] = w.protocol === 'ws' ? [{}] : (w.publishers === 0 ? qos.slice(0, 1) : qos).map((q) => ({ qos: q }));
  s.cells = cells;
  s.matrix = null;
  if (w.protocol === 'ws') {
    s.wsTargets = [...s.targets, ...s.wsTargets];
    s.targets = [];
  }
  s.credentials = w.protocol === 'ws' ? {} : resolveCredentials(d.auth.explicit, d.auth.targets, d.auth.places, (where, m) => p.addAt(where, m));
  return p.count > 0 ? { issues: p.issues() } : { config: s };
}
