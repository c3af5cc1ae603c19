/** The `capacity` section of a result document (`mqbench capacity`): the search, its levels and its answer. */
import type { UslFit } from './usl.js';

/** How a capacity search ended (plan/capacity-search.ts), or that it was cut short. */
export type CapacityEnd = 'found' | 'reached-to' | 'from-failed' | 'generator' | 'level-limit' | 'interrupted' | 'failed';

/** One condition a level did not meet: a built-in one (delivery rate, loss, the phase itself) or an SLO threshold. */
export interface CapacityConditionFailure {
  /** 'received-rate', 'no-loss', 'phase', or the SLO expression as written. */
  condition: string;
  /** The metric it reads (gates/metrics.ts), for the noise rule of confirmations; null for the phase itself. */
  metric: string | null;
  message: string;
}

/** One level of the search: a phase of the result, and how it was judged. */
export interface CapacityLevel {
  /** The phase in `phases` that measured this level. */
  phase: string;
  kind: 'coarse' | 'binary' | 'confirm';
  /** The level in the dimension's unit (messages/s, connections, publishers, subscribers). */
  level: number;
  /** Messages/s asked of the publishers (open model); null in the closed model. */
  offeredRate: number | null;
  sentRate: number;
  receivedRate: number;
  /** Deliveries per second the level should have had (offered rate x subscribers per message); null without publishing. */
  expectedRate: number | null;
  /** What the level achieved in the dimension's terms: delivered messages/s per offered message (rate), messages/s (publishers, subscribers), connections held (connections without publishing). */
  achieved: number;
  /** End-to-end latency of the steady window, microseconds; null when nothing was delivered. */
  p50: number | null;
  p99: number | null;
  lost: number;
  verdict: 'pass' | 'fail' | 'saturated';
  failures: CapacityConditionFailure[];
  /** One line: why it passed or failed. */
  why: string;
  /** Confirmations: whether this run contradicts the search's pass at this level (the baseline comparison's noise rule). */
  contradicts?: boolean;
}

/** The fitted Universal Scalability Law (usl.ts), with a note that says it is a model. */
export interface CapacityUsl extends UslFit {
  /** Always says it: a fitted model, not a measurement. */
  note: string;
}

export interface CapacitySection {
  dimension: 'rate' | 'connections' | 'publishers' | 'subscribers';
  /** Unit of the levels: 'msg/s', 'connections', 'publishers', 'subscribers'. */
  unit: string;
  settings: {
    from: number;
    to: number;
    /** As given: '+500' or 'x2'. */
    step: string;
    /** As given: '5%' or an absolute number. */
    precision: string;
    confirm: number;
    /** The received rate must be at least this share (0-1) of the expected rate. */
    minDelivery: number;
    warmupSeconds: number;
    stepSeconds: number;
    slo: string[];
  };
  end: CapacityEnd;
  /** Highest level that held (confirmed when --confirm > 0); null when none did. */
  answer: number | null;
  /** The answer is only a lower bound: the generator was the limit. */
  lowerBound: boolean;
  /** Lowest level that did not hold, and the first condition it failed. */
  firstFail: { level: number; phase: string; condition: string; message: string } | null;
  /** Level at which the generator saturated, if it did. */
  saturatedAt: number | null;
  /** Highest level that held and lowest that did not (high null: none failed). */
  bracket: { low: number | null; high: number | null };
  /** Levels a confirmation contradicted, stepped down from. */
  steppedDown: number[];
  levels: CapacityLevel[];
  /** Wall time of the whole search, seconds. */
  durationSeconds: number;
  /** One sentence for people: the answer and why. */
  summary: string;
  /** Universal Scalability Law fitted to the levels that held (achieved against level); null with fewer than 3. */
  usl: CapacityUsl | null;
}

/** How one level of a capacity search was judged (gates/capacity-conditions.ts). */
export interface LevelJudgement {
  verdict: 'pass' | 'fail' | 'saturated';
  failures: CapacityConditionFailure[];
  why: string;
  /** Deliveries per second the level should have had; null without publishing. */
  expectedRate: number | null;
}
