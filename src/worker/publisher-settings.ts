/**
 * What a publisher (publisher.ts) is given: the part of its client's plan it reads, and the
 * settings of its group (payload, message cap, ramp, window) with the shared delivery counters.
 */
import type { ClientPlan } from '../plan/workers.js';

/** What a publisher needs of its client's plan. */
export type PublisherPlan = Pick<ClientPlan, 'publisherId' | 'group' | 'ratePerSecond' | 'startOffsetUs' | 'matching' | 'matchingByGroup' | 'windowMatching'>;

export interface PublisherSettings {
  /** Bytes after the header: fixed, or rendered per message from a template. */
  filler: Buffer | ((seq: number) => Buffer);
  /** Most messages to send; null: no limit. */
  maxMessages: number | null;
  /**
   * Open model with rate stages: the level (1 = 100%) at a time in ms after the load start, and
   * when the stages end (ms). Sends follow the integral of rate x level until then.
   */
  ramp: { level: (ms: number) => number; endMs: number } | null;
  /** Closed model window, or null for the open model. */
  inflight: number | null;
  /** Deliveries per publisher id, added to by every subscriber in the process. */
  delivered: Uint32Array;
  /** Messages sent per publisher id, read by late joiners when they subscribe. */
  sentCounts: Uint32Array;
}
