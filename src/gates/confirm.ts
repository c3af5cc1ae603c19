/**
 * Does a confirmation run contradict the capacity search? The search saw the level hold; a
 * confirmation that also holds agrees. One that fails a condition contradicts the search only
 * when the failing figure moved beyond run-to-run noise by the baseline comparison's rule
 * (compare.ts: the tolerance, the latency floor, Mann–Whitney on the steady seconds, exact
 * counts for loss): a level sitting on the SLO line that tips over by noise is not evidence
 * that the search was wrong. A failure with no figure (the phase itself failed) always contradicts.
 */
import type { PhaseResult } from '../metrics/result.js';
import type { CapacityConditionFailure } from '../metrics/capacity-result.js';
import { comparePhases, DEFAULT_LATENCY_FLOOR_US } from './baseline.js';

export interface ConfirmJudgement {
  contradicts: boolean;
  note: string;
}

/** The noise rule's tolerance for confirmations: the compare default, 10%. */
export const CONFIRM_TOLERANCE = 0.1;

export function judgeConfirmation(searched: PhaseResult, confirmation: PhaseResult, failures: readonly CapacityConditionFailure[]): ConfirmJudgement {
  if (failures.length === 0) return { contradicts: false, note: 'confirmed: held again' };
  const exact = failures.find((f) => f.metric === null);
  if (exact !== undefined) return { contradicts: true, note: `contradicts the search: ${exact.message}` };
  const metrics = failures.map((f) => f.metric as string);
  const rows = comparePhases(searched, confirmation, metrics, { maxRegression: CONFIRM_TOLERANCE, latencyFloorUs: DEFAULT_LATENCY_FLOOR_US });
  const beyond = rows.find((r) => r.verdict === 'regression');
  if (beyond !== undefined) return { contradicts: true, note: `contradicts the search: ${beyond.metric} worse beyond run-to-run noise (${beyond.note})` };
  return { contradicts: false, note: `failed within run-to-run noise of the search's run (${rows.map((r) => `${r.metric}: ${r.verdict}`).join(', ') || 'no comparable figure'}): the level is at the edge` };
}
