/**
 * How a run and a phase ended, and the context a phase's figures are merged in: plain types
 * that the result document, the merge of workers (aggregate.ts) and the raw shard reports
 * (shard-result.ts) all use, in a module of their own so none of them imports another for them.
 */

import type { BrokerName } from '../config/model.js';

export type RunStatus = 'completed' | 'interrupted' | 'failed';
/** 'degraded': the phase ran to its end, but the target was away for too much of the steady window (see PhaseResult.outage). */
export type PhaseStatus = 'completed' | 'degraded' | 'interrupted' | 'failed' | 'skipped';

export interface TargetUsage {
  /** 'bundled' when mqbench started the broker (its CPU is then measured), else 'external'. */
  kind: 'bundled' | 'external';
  url: string;
  /** The broker mqbench started for the phase (`--broker`, `broker:`, matrix.broker); absent for a named target or a plain WebSocket phase (and in older results). */
  broker?: BrokerName;
  /** Broker process CPU in the steady window, seconds (bundled, or when a pid was given). */
  cpuSeconds: number | null;
  cpuMicrosPerMessage: number | null;
}

export interface PhaseContext {
  status: PhaseStatus;
  error?: string;
  steadySeconds: number;
  /** From sending the plans until every worker had connected (and subscribed) its clients. */
  connectSeconds: number;
  drainSeconds: number;
  /** Every acknowledgement and every expected delivery arrived before the grace period ended. */
  drainComplete: boolean;
  cpuSeconds: number;
  target: TargetUsage;
}
