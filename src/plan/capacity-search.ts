/**
 * The capacity search as a pure state machine: given the search settings and the outcomes of the
 * levels run so far, the next level to run or the conclusion. No I/O and no clock, so every path
 * (coarse steps, binary search, precision stop, --to reached, --from failed, generator limit,
 * a confirmation that contradicts the search) is pinned by table-driven tests.
 *
 * The search, as nfvbench's NDR/PDR search and wrk2-style stepping do it:
 *  1. coarse: --from, then one step (linear +N or xF) after each pass, up to --to;
 *  2. binary: between the highest level that held and the lowest that did not, until the
 *     bracket is narrower than --precision (relative to the lower end, or absolute);
 *  3. confirm: the best level run --confirm N more times. A confirmation that contradicts the
 *     search (the caller judges that with the baseline comparison's noise rule) turns that level
 *     into a failure, and the search steps down: the next lower level that held is confirmed
 *     (or the bracket below is searched again when it is still wide).
 * A level at which the load generator was saturated ends the search: what held below it is a
 * lower bound of the target's capacity, never the target's figure.
 */

export type Dimension = 'rate' | 'connections' | 'publishers' | 'subscribers';
export const DIMENSIONS: readonly Dimension[] = ['rate', 'connections', 'publishers', 'subscribers'];

export type Step = { kind: 'linear'; by: number } | { kind: 'factor'; by: number };
export type Precision = { kind: 'relative'; fraction: number } | { kind: 'absolute'; by: number };

export interface SearchSettings {
  /** First level; must be > 0. */
  from: number;
  /** Upper bound: no level above it is run. */
  to: number;
  step: Step;
  precision: Precision;
  /** Extra runs of the best level; 0: none. */
  confirm: number;
}

export type LevelKind = 'coarse' | 'binary' | 'confirm';
/** pass: every condition held; fail: one did not; saturated: the generator was the limit (no verdict on the target). */
export type LevelVerdict = 'pass' | 'fail' | 'saturated';

export interface LevelOutcome {
  level: number;
  kind: LevelKind;
  verdict: LevelVerdict;
  /** Confirmations only: the caller's judgement that this run contradicts the search's pass at this level. */
  contradicts?: boolean;
}

export type SearchEnd = 'found' | 'reached-to' | 'from-failed' | 'generator' | 'level-limit';

export interface SearchConclusion {
  end: SearchEnd;
  /** Highest level that held (and was confirmed); null when none did. */
  answer: number | null;
  /** Lowest level that did not hold (a contradicted confirmation counts); null when none failed. */
  firstFail: number | null;
  /** The answer is only a lower bound: the generator was the limit at `saturatedAt`. */
  lowerBound: boolean;
  saturatedAt: number | null;
  /** Highest pass and lowest fail around the knee (high null: nothing failed up to --to). */
  bracket: { low: number | null; high: number | null };
  /** Levels whose pass a confirmation contradicted, in the order they were stepped down from. */
  steppedDown: number[];
}

export type NextStep = { action: 'run'; level: number; kind: LevelKind } | { action: 'done'; conclusion: SearchConclusion };

/** Most levels one search runs; a guard against settings that would never converge. */
export const MAX_LEVELS = 64;

/** Levels are whole numbers (messages/s, clients): the rounding every level goes through. */
export function roundLevel(v: number): number {
  return Math.max(1, Math.round(v));
}

/** The next coarse level after `level`, capped at `to`. */
export function nextCoarse(level: number, s: SearchSettings): number {
  const raw = s.step.kind === 'linear' ? level + s.step.by : level * s.step.by;
  return Math.min(s.to, Math.max(level + 1, roundLevel(raw)));
}

/** Is the bracket [low, high] narrow enough to stop? Whole levels: adjacent levels always are. */
export function narrowEnough(low: number, high: number, p: Precision): boolean {
  if (high - low <= 1) return true;
  return p.kind === 'relative' ? (high - low) / low <= p.fraction : high - low <= p.by;
}

interface Standing {
  /** Levels that failed: searched and failed, or confirmations that contradicted the search. */
  fails: number[];
  passes: number[];
  saturatedAt: number | null;
  steppedDown: number[];
}

function standing(outcomes: readonly LevelOutcome[]): Standing {
  const fails: number[] = [];
  const passes: number[] = [];
  const steppedDown: number[] = [];
  let saturatedAt: number | null = null;
  for (const o of outcomes) {
    if (o.verdict === 'saturated') saturatedAt = saturatedAt === null ? o.level : Math.min(saturatedAt, o.level);
    else if (o.kind === 'confirm') {
      if (o.contradicts === true) {
        fails.push(o.level);
        if (!steppedDown.includes(o.level)) steppedDown.push(o.level);
      }
    } else if (o.verdict === 'pass') passes.push(o.level);
    else fails.push(o.level);
  }
  return { fails, passes, saturatedAt, steppedDown };
}

export function nextStep(s: SearchSettings, outcomes: readonly LevelOutcome[]): NextStep {
  const st = standing(outcomes);
  const lowestFail = st.fails.length === 0 ? null : Math.min(...st.fails);
  const below = st.passes.filter((l) => lowestFail === null || l < lowestFail);
  const highestPass = below.length === 0 ? null : Math.max(...below);
  const conclude = (end: SearchEnd, answer: number | null): NextStep => ({
    action: 'done',
    conclusion: {
      end,
      answer,
      firstFail: lowestFail,
      lowerBound: end === 'generator',
      saturatedAt: st.saturatedAt,
      bracket: { low: highestPass, high: end === 'generator' ? st.saturatedAt : lowestFail },
      steppedDown: st.steppedDown,
    },
  });
  if (st.saturatedAt !== null) {
    const held = st.passes.filter((l) => l < (st.saturatedAt as number) && (lowestFail === null || l < lowestFail));
    return conclude('generator', held.length === 0 ? null : Math.max(...held));
  }
  if (outcomes.length >= MAX_LEVELS) return conclude('level-limit', highestPass);
  if (outcomes.length === 0) return { action: 'run', level: roundLevel(s.from), kind: 'coarse' };
  if (highestPass === null) return conclude('from-failed', null);
  if (lowestFail === null && highestPass < s.to) return { action: 'run', level: nextCoarse(highestPass, s), kind: 'coarse' };
  if (lowestFail !== null && !narrowEnough(highestPass, lowestFail, s.precision)) {
    const mid = roundLevel((highestPass + lowestFail) / 2);
    if (mid > highestPass && mid < lowestFail) return { action: 'run', level: mid, kind: 'binary' };
  }
  const confirmed = outcomes.filter((o) => o.kind === 'confirm' && o.level === highestPass).length;
  if (confirmed < s.confirm) return { action: 'run', level: highestPass, kind: 'confirm' };
  return conclude(lowestFail === null ? 'reached-to' : 'found', highestPass);
}
