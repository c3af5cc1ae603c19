/**
 * The conditions a capacity level must meet: the SLO (thresholds in the usual grammar) joined
 * by two built-in ones, always on: the received rate is at least --min-delivery (95%) of what
 * the level should have delivered, and nothing is lost at QoS 1/2 (nor duplicated at QoS 2).
 * A level at which the load generator saturated is not judged at all: it says nothing about
 * the target. Pure: a phase result in, a judgement out.
 */
import type { PhaseResult } from '../metrics/result.js';
import type { CapacityConditionFailure, LevelJudgement } from '../metrics/capacity-result.js';
import type { Threshold } from '../config/model.js';
import { checkThresholds } from './threshold.js';
import { formatMetric } from '../metrics/format.js';

export interface CapacityConditions {
  slo: readonly Threshold[];
  /** Least share (0-1) of the expected delivery rate that must arrive. */
  minDelivery: number;
}

export const DEFAULT_MIN_DELIVERY = 0.95;


/** Deliveries/s a phase should have had: the rate asked (or sent, closed model) times the deliveries each message owes. */
export function expectedRate(p: PhaseResult): number | null {
  if (p.params.publishers === 0) return null;
  const asked = p.params.rate ?? p.rates.sentPerSecond;
  const c = p.counters;
  // Deliveries each message owes: expected over sent across the phase (fan-out, shared subscriptions, filters).
  const perMessage = c.sent > 0 ? c.expected / c.sent : p.params.role === 'echo' ? 1 : p.params.subscribers;
  return asked * perMessage;
}

export function judgeLevel(p: PhaseResult, c: CapacityConditions): LevelJudgement {
  const expected = expectedRate(p);
  if (p.generator.saturated) {
    return { verdict: 'saturated', failures: [], why: `the load generator was the limit: ${p.generator.reasons.join('; ')}`, expectedRate: expected };
  }
  const failures = [...phaseFailures(p), ...deliveryRateFailures(p, expected, c.minDelivery), ...lossFailures(p), ...sloFailures(p, c.slo)];
  const first = failures[0];
  if (first !== undefined) {
    const also = failures.slice(1).map((f) => (f.condition === 'received-rate' ? 'received rate' : f.condition === 'no-loss' ? 'loss' : f.condition));
    return { verdict: 'fail', failures, why: first.message + (also.length > 0 ? `; also failed: ${also.join(', ')}` : ''), expectedRate: expected };
  }
  const held = [`received ${formatMetric('/s', p.rates.receivedPerSecond)}${expected === null ? '' : ` of ${formatMetric('/s', expected)} expected`}`, ...c.slo.map((t) => t.expression)];
  return { verdict: 'pass', failures: [], why: `held: ${held.join(', ')}`, expectedRate: expected };
}

function phaseFailures(p: PhaseResult): CapacityConditionFailure[] {
  if (p.status === 'completed') return [];
  const what = p.status === 'degraded' ? 'the target dropped clients for too much of the steady window' : `the phase ${p.status}`;
  return [{ condition: 'phase', metric: null, message: `${what}${p.error === undefined ? '' : `: ${p.error}`}` }];
}

function deliveryRateFailures(p: PhaseResult, expected: number | null, minDelivery: number): CapacityConditionFailure[] {
  if (expected === null || expected <= 0) return [];
  const got = p.rates.receivedPerSecond;
  if (got >= expected * minDelivery) return [];
  const pct = `${Math.round(minDelivery * 1000) / 10}%`;
  return [
    {
      condition: 'received-rate',
      metric: 'received.rate',
      message: `received ${formatMetric('/s', got)}, below ${pct} of the ${formatMetric('/s', expected)} expected (${((got / expected) * 100).toFixed(1)}%)`,
    },
  ];
}

function lossFailures(p: PhaseResult): CapacityConditionFailure[] {
  return p.deliveryFailures.map((f) => ({ condition: 'no-loss', metric: /duplicat|more than once/.test(f) ? 'duplicated' : 'lost', message: f }));
}

function sloFailures(p: PhaseResult, slo: readonly Threshold[]): CapacityConditionFailure[] {
  return checkThresholds(slo, [p])
    .filter((r) => !r.passed)
    .map((r) => ({ condition: r.threshold.expression, metric: r.threshold.metric, message: `SLO ${r.message}` }));
}
