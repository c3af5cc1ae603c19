/**
 * `--repeat N`: the N result documents of one scenario merged into one, exactly. Counters and
 * durations are added, rates are the summed steady counts over the summed steady time, latency
 * histograms are decoded and added (percentiles over every sample of every repeat), and each
 * phase keeps each repeat's headline figures in `repeats` for the noise estimate of `compare`.
 * Pure: gates and the baseline comparison are not merged; the caller settles them again.
 */
import { COMPARED_METRICS, metricDef } from './names.js';
import { mergeEncoded, summarize, type LatencySummary } from './histogram.js';
import { GROUP_COUNTS, PHASE_COUNTS, sumCounters, sumRecords } from './counters.js';
import type { GroupResult, PhaseResult, PhaseStatus, RepeatFigures, ResultDocument, RunStatus } from './result.js';

/** A phase as run in one repeat; `repeat` is 1-based, the document's position in the series. */
interface Run<T> {
  repeat: number;
  value: T;
}

const RUN_RANK: Record<RunStatus, number> = { completed: 0, interrupted: 1, failed: 2 };
const PHASE_RANK: Record<PhaseStatus, number> = { completed: 0, skipped: 1, degraded: 2, interrupted: 3, failed: 4 };

/** docs in run order, one scenario. A later repeat may hold fewer phases (interrupted, failed). */
export function mergeRepeats(docs: readonly ResultDocument[]): ResultDocument {
  const first = docs[0];
  const last = docs[docs.length - 1];
  if (first === undefined || last === undefined) throw new Error('mergeRepeats: no result documents to merge');
  const runIds = docs.map((d) => d.runId);
  if (docs.length === 1) {
    return { ...first, repeat: { count: 1, runIds }, phases: first.phases.map((p) => ({ ...p, repeats: [figuresOf(p)] })) };
  }
  // "repeat k: " tells which repeat a failure, reason or error came from.
  const tag = (k: number, s: string): string => `repeat ${k}: ${s}`;

  const worst = docs.reduce<Run<ResultDocument>>((w, d, i) => (RUN_RANK[d.status] > RUN_RANK[w.value.status] ? { repeat: i + 1, value: d } : w), { repeat: 1, value: first });
  const out: ResultDocument = {
    schemaVersion: first.schemaVersion,
    tool: first.tool,
    env: first.env,
    runId: first.runId,
    status: worst.value.status,
    startedAt: first.startedAt,
    endedAt: last.endedAt,
    command: first.command,
    scenario: first.scenario,
    sockets: first.sockets,
    phases: phaseNames(docs).map((name) => mergeRepeatedPhase(docs.flatMap((d, i) => d.phases.filter((p) => p.name === name).map((p) => ({ repeat: i + 1, value: p }))), tag)),
    repeat: { count: docs.length, runIds },
    verdict: {
      passed: docs.every((d) => d.verdict.passed),
      failures: docs.flatMap((d, i) => d.verdict.failures.map((f) => tag(i + 1, f))),
    },
  };
  if (worst.value.status !== 'completed' && worst.value.error !== undefined) out.error = tag(worst.repeat, worst.value.error);
  const targetErrors = sumRecords(docs.map((d) => d.targetErrors));
  if (targetErrors !== undefined) out.targetErrors = targetErrors;
  return out;
}

/** The headline figures of one phase of one repeat (metrics/names.ts names). */
export function figuresOf(p: PhaseResult): RepeatFigures {
  return Object.fromEntries(COMPARED_METRICS.map((m) => [m, metricDef(m)?.get(p) ?? null]));
}

/** Phase names in the first document's order; a name first seen in a later repeat goes after. */
function phaseNames(docs: readonly ResultDocument[]): string[] {
  return [...new Set(docs.flatMap((d) => d.phases.map((p) => p.name)))];
}

/** One phase over the repeats that ran it (a different function from aggregate.ts' mergePhase, which merges workers). */
function mergeRepeatedPhase(runs: ReadonlyArray<Run<PhaseResult>>, tag: (k: number, s: string) => string): PhaseResult {
  const head = runs[0]?.value;
  if (head === undefined) throw new Error('mergeRepeats: a phase with no runs');
  const phases = runs.map((r) => r.value);
  const sum = (f: (p: PhaseResult) => number): number => phases.reduce((a, p) => a + f(p), 0);
  const seconds = sum((p) => p.durationSeconds);
  // A repeat's steady count back from its rate: rate x its steady seconds.
  const steady = (p: PhaseResult, rate: keyof PhaseResult['rates']): number => p.rates[rate] * p.durationSeconds;
  const rate = (k: keyof PhaseResult['rates']): number => (seconds > 0 ? round1(sum((p) => steady(p, k)) / seconds) : 0);
  const received = (p: PhaseResult): number => steady(p, 'receivedPerSecond');
  const worst = runs.reduce((w, r) => (PHASE_RANK[r.value.status] > PHASE_RANK[w.value.status] ? r : w));

  const errors = runs.filter((r) => r.value.error !== undefined).map((r) => tag(r.repeat, r.value.error ?? ''));
  const latency = Object.fromEntries(
    (Object.keys(head.latency) as Array<keyof PhaseResult['latency']>).map((k) => [k, mergeSummaries(phases.map((p) => p.latency[k]))]),
  ) as PhaseResult['latency'];
  const targetCpu = phases.filter((p) => p.target.cpuSeconds !== null);

  const out: PhaseResult = {
    name: head.name,
    status: worst.value.status,
    cell: head.cell,
    params: head.params,
    durationSeconds: round3(seconds),
    connectSeconds: Math.max(...phases.map((p) => p.connectSeconds)),
    drain: { seconds: Math.max(...phases.map((p) => p.drain.seconds)), complete: phases.every((p) => p.drain.complete) },
    counters: { ...sumCounters(phases.map((p) => p.counters), PHASE_COUNTS), errors: sumRecords(phases.map((p) => p.counters.errors)) ?? {} },
    rates: {
      sentPerSecond: rate('sentPerSecond'),
      receivedPerSecond: rate('receivedPerSecond'),
      bytesSentPerSecond: rate('bytesSentPerSecond'),
      bytesReceivedPerSecond: rate('bytesReceivedPerSecond'),
    },
    latency,
    timeline: runs.flatMap((r) => r.value.timeline.map((t) => ({ ...t, repeat: r.repeat }))),
    generator: {
      saturated: phases.some((p) => p.generator.saturated),
      reasons: runs.flatMap((r) => r.value.generator.reasons.map((s) => tag(r.repeat, s))),
      cpuSeconds: round3(sum((p) => p.generator.cpuSeconds)),
      cpuMicrosPerMessage: perMessage(
        phases.map((p) => ({ cpuSeconds: p.generator.cpuSeconds, received: received(p), perMessage: p.generator.cpuMicrosPerMessage })),
      ),
      workers: phases.flatMap((p) => p.generator.workers),
    },
    target: {
      ...head.target,
      cpuSeconds: targetCpu.length === 0 ? null : round3(targetCpu.reduce((a, p) => a + (p.target.cpuSeconds ?? 0), 0)),
      cpuMicrosPerMessage: perMessage(
        targetCpu.map((p) => ({ cpuSeconds: p.target.cpuSeconds ?? 0, received: received(p), perMessage: p.target.cpuMicrosPerMessage })),
      ),
    },
    groups: mergeRepeatedGroups(phases),
    deliveryFailures: runs.flatMap((r) => r.value.deliveryFailures.map((f) => tag(r.repeat, f))),
    repeats: phases.map(figuresOf),
  };
  if (errors.length > 0) out.error = errors.join('; ');
  const outage = mergeOutages(phases);
  if (outage !== undefined) out.outage = outage;
  const wire = mergeWires(phases, received);
  if (wire !== undefined) out.wire = wire;
  return out;
}

/** The outage share over all repeats' steady seconds, as one long phase would have it; undefined when no repeat had one. */
function mergeOutages(phases: readonly PhaseResult[]): PhaseResult['outage'] {
  const outages = phases.flatMap((p) => (p.outage === undefined ? [] : [{ o: p.outage, seconds: p.durationSeconds }]));
  const first = outages[0];
  if (first === undefined) return undefined;
  const weight = outages.reduce((a, x) => a + x.seconds, 0);
  const share = weight > 0 ? outages.reduce((a, x) => a + x.o.share * x.seconds, 0) / weight : 0;
  return { share: Math.round(share * 10_000) / 10_000, limit: first.o.limit, downAtEnd: outages.reduce((a, x) => a + x.o.downAtEnd, 0), unsent: outages.reduce((a, x) => a + x.o.unsent, 0) };
}

/** Bytes on the wire added over the repeats that measured them, per steady delivery; undefined when none did. */
function mergeWires(phases: readonly PhaseResult[], received: (p: PhaseResult) => number): PhaseResult['wire'] {
  const wired = phases.filter((p) => p.wire !== undefined);
  if (wired.length === 0) return undefined;
  const bytesSent = wired.reduce((a, p) => a + (p.wire?.bytesSent ?? 0), 0);
  const bytesReceived = wired.reduce((a, p) => a + (p.wire?.bytesReceived ?? 0), 0);
  const messages = wired.reduce((a, p) => a + received(p), 0);
  return { bytesSent, bytesReceived, bytesPerMessage: messages >= 0.5 ? round2((bytesSent + bytesReceived) / messages) : null };
}

/**
 * CPU per delivered message over all repeats: total CPU / total steady deliveries. When no
 * repeat delivered in its steady window, the mean of the repeats' own figures (null if none).
 */
function perMessage(parts: ReadonlyArray<{ cpuSeconds: number; received: number; perMessage: number | null }>): number | null {
  if (parts.length === 0) return null;
  const received = parts.reduce((a, p) => a + p.received, 0);
  // Steady counts come back from rates rounded to 0.1/s: under half a message is none.
  if (received >= 0.5) return round2((parts.reduce((a, p) => a + p.cpuSeconds, 0) * 1e6) / received);
  const known = parts.map((p) => p.perMessage).filter((v): v is number => v !== null);
  return known.length === 0 ? null : round2(known.reduce((a, b) => a + b, 0) / known.length);
}

/** Groups by index (the scenario's order): counts added, latency histograms added. */
function mergeRepeatedGroups(phases: readonly PhaseResult[]): GroupResult[] {
  const count = Math.max(0, ...phases.map((p) => p.groups.length));
  const out: GroupResult[] = [];
  for (let i = 0; i < count; i++) {
    const gs = phases.map((p) => p.groups[i]).filter((g): g is GroupResult => g !== undefined);
    const g = gs[0];
    if (g === undefined) continue;
    const n = sumCounters(gs, ['retained', 'sessionsResumed']);
    out.push({
      name: g.name,
      role: g.role,
      protocol: g.protocol,
      transport: g.transport,
      mqttVersion: g.mqttVersion,
      qos: g.qos,
      clients: g.clients,
      ...sumCounters(gs, GROUP_COUNTS),
      receivedPerClient: { min: Math.min(...gs.map((x) => x.receivedPerClient.min)), max: Math.max(...gs.map((x) => x.receivedPerClient.max)) },
      retained: n.retained,
      wills: sumCounters(gs.map((x) => x.wills), ['expected', 'received']),
      sessionsResumed: n.sessionsResumed,
      backlog: { messages: sumCounters(gs.map((x) => x.backlog), ['messages']).messages, drainMs: Math.max(...gs.map((x) => x.backlog.drainMs)) },
      latency: {
        e2e: mergeSummaries(gs.map((x) => x.latency.e2e)),
        connect: mergeSummaries(gs.map((x) => x.latency.connect)),
        will: mergeSummaries(gs.map((x) => x.latency.will)),
      },
    });
  }
  return out;
}

/** Exact: the histograms decoded and added, then summarized ('' holds no samples). */
function mergeSummaries(summaries: readonly LatencySummary[]): LatencySummary {
  const h = mergeEncoded(summaries.map((s) => s.histogram));
  const out = summarize(h);
  h.destroy();
  return out;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
