/**
 * The `capacity` section of a result: each level as the search saw it, the conclusion in words,
 * and the Universal Scalability Law fitted to the levels that held. Pure: phases, judgements
 * and the search's conclusion in, plain data out.
 */
import { fitUsl } from './usl.js';
import type { Dimension, LevelKind, SearchConclusion } from '../plan/capacity-search.js';
import type { PhaseResult } from './result.js';
import type { CapacityEnd, CapacityLevel, CapacitySection, CapacityUsl, LevelJudgement } from './capacity-result.js';

export const DIMENSION_UNIT: Record<Dimension, string> = { rate: 'msg/s', connections: 'connections', publishers: 'publishers', subscribers: 'subscribers' };

/** A level in its unit for people: '3,000 msg/s', '200 connections'. */
export function formatLevel(unit: string, v: number | null): string {
  if (v === null) return 'n/a';
  return `${Math.round(v).toLocaleString('en-US')} ${unit}`;
}

/** What a level achieved in the dimension's terms (CapacityLevel.achieved). */
export function achievedOf(dim: Dimension, p: PhaseResult): number {
  const c = p.counters;
  if (dim === 'connections' || p.params.publishers === 0) return connectionsHeld(p);
  if (dim !== 'rate') return p.rates.receivedPerSecond;
  const perMessage = c.sent > 0 && c.expected > 0 ? c.expected / c.sent : 1;
  return p.rates.receivedPerSecond / perMessage;
}

/** Idle connections held through the steady window: the fewest connected in a steady second, less the publishers and subscribers. */
function connectionsHeld(p: PhaseResult): number {
  const steady = p.timeline.filter((t) => t.stage === 'steady').map((t) => t.connections);
  const fewest = steady.length === 0 ? p.counters.connects : Math.min(...steady);
  return Math.max(0, fewest - p.params.publishers - p.params.subscribers);
}

export function capacityLevel(dim: Dimension, level: number, kind: LevelKind, p: PhaseResult, j: LevelJudgement, confirm?: { contradicts: boolean; note: string }): CapacityLevel {
  const hasLatency = p.latency.e2e.count > 0;
  const out: CapacityLevel = {
    phase: p.name,
    kind,
    level,
    offeredRate: p.params.rate,
    sentRate: p.rates.sentPerSecond,
    receivedRate: p.rates.receivedPerSecond,
    expectedRate: j.expectedRate,
    achieved: Math.round(achievedOf(dim, p) * 10) / 10,
    p50: hasLatency ? p.latency.e2e.p50 : null,
    p99: hasLatency ? p.latency.e2e.p99 : null,
    lost: p.counters.lost,
    verdict: j.verdict,
    failures: j.failures,
    why: confirm === undefined ? j.why : `${j.why}; ${confirm.note}`,
  };
  if (confirm !== undefined) out.contradicts = confirm.contradicts;
  return out;
}

/** The USL through the levels that held (one point per level: the best achieved there). */
export function fitLevels(levels: readonly CapacityLevel[]): CapacityUsl | null {
  const best = new Map<number, number>();
  for (const l of levels) if (l.verdict === 'pass' && l.contradicts !== true) best.set(l.level, Math.max(best.get(l.level) ?? 0, l.achieved));
  const fit = fitUsl([...best].map(([n, x]) => ({ n, x })));
  if (fit === null) return null;
  return { ...fit, note: 'a model fitted to the levels that held (Universal Scalability Law, least squares), not a measurement' };
}

export interface SectionInput {
  dimension: Dimension;
  settings: CapacitySection['settings'];
  levels: CapacityLevel[];
  /** The search's conclusion; null when it was cut short (then `end` says how). */
  conclusion: SearchConclusion | null;
  cutShort: 'interrupted' | 'failed' | null;
  durationSeconds: number;
}

export function capacitySection(input: SectionInput): CapacitySection {
  const unit = DIMENSION_UNIT[input.dimension];
  const c = input.conclusion ?? partialConclusion(input.levels);
  const end: CapacityEnd = input.cutShort ?? c.end;
  const failLevel = c.firstFail === null ? null : input.levels.find((l) => l.level === c.firstFail && (l.verdict === 'fail' || l.contradicts === true));
  const firstFailure = failLevel?.failures[0];
  const firstFail =
    failLevel === undefined || failLevel === null
      ? null
      : { level: failLevel.level, phase: failLevel.phase, condition: firstFailure?.condition ?? 'confirmation', message: firstFailure?.message ?? failLevel.why };
  const section: CapacitySection = {
    dimension: input.dimension,
    unit,
    settings: input.settings,
    end,
    answer: c.answer,
    lowerBound: c.lowerBound,
    firstFail,
    saturatedAt: c.saturatedAt,
    bracket: c.bracket,
    steppedDown: c.steppedDown,
    levels: input.levels,
    durationSeconds: Math.round(input.durationSeconds * 10) / 10,
    summary: '',
    usl: fitLevels(input.levels),
  };
  section.summary = summarize(section);
  return section;
}

/** Where a search that was cut short stood: the highest level that held below the lowest that failed. */
function partialConclusion(levels: readonly CapacityLevel[]): SearchConclusion {
  const fails = levels.filter((l) => l.verdict === 'fail' && (l.kind !== 'confirm' || l.contradicts === true)).map((l) => l.level);
  const low = fails.length === 0 ? null : Math.min(...fails);
  const passes = levels.filter((l) => l.verdict === 'pass' && l.kind !== 'confirm' && (low === null || l.level < low)).map((l) => l.level);
  const sat = levels.filter((l) => l.verdict === 'saturated').map((l) => l.level);
  const answer = passes.length === 0 ? null : Math.max(...passes);
  return { end: 'found', answer, firstFail: low, lowerBound: sat.length > 0, saturatedAt: sat.length === 0 ? null : Math.min(...sat), bracket: { low: answer, high: low }, steppedDown: [] };
}

function summarize(s: CapacitySection): string {
  const f = (v: number | null): string => formatLevel(s.unit, v);
  const failed = s.firstFail === null ? '' : `; ${f(s.firstFail.level)} failed: ${s.firstFail.message}`;
  const stepped = s.steppedDown.length > 0 ? `; a confirmation contradicted the search at ${s.steppedDown.map(f).join(', ')}, stepped down` : '';
  switch (s.end) {
    case 'found':
      return `capacity ${f(s.answer)}: the highest level that held${failed}${stepped}`;
    case 'reached-to':
      return `capacity at least ${f(s.answer)}: every level up to --to held (raise --to to search further)${stepped}`;
    case 'from-failed':
      return `no capacity found: even --from ${f(s.settings.from)} failed${failed.replace(/^; [^:]*failed/, '')}${stepped}`;
    case 'generator': {
      // The last run at that level: the one that ended the search (an earlier one was run again).
      const sat = [...s.levels].reverse().find((l) => l.level === s.saturatedAt && l.verdict === 'saturated');
      const why = sat === undefined ? '' : ` (${sat.why.replace(/^the load generator was the limit: /, '').replace(/; the level runs once more$/, '')})`;
      return s.answer === null
        ? `no capacity measured: the generator was the limit already at ${f(s.saturatedAt)}${why}; add workers or shards`
        : `at least ${f(s.answer)}: the generator was the limit at ${f(s.saturatedAt)}${why}, not the target; add workers or shards`;
    }
    case 'level-limit':
      return `search stopped after its level limit; the highest level that held: ${f(s.answer)} (use a larger --step or --precision)`;
    case 'interrupted':
    case 'failed':
      return `search ${s.end === 'interrupted' ? 'interrupted' : 'could not complete'} after ${s.levels.length} level(s); the highest level that held so far: ${f(s.answer)} (not confirmed)`;
  }
}

/** For the level's "why" column in reports: pass/fail/saturated and the reason, one line. */
export function levelMark(l: CapacityLevel): string {
  if (l.verdict === 'saturated') return 'generator';
  if (l.kind === 'confirm' && l.verdict === 'fail' && l.contradicts !== true) return 'fail (noise)';
  return l.verdict;
}
