/**
 * Why a phase stopped, as a value: the phase's status and error message follow from it alone.
 */
import type { PhaseStatus } from '../metrics/result.js';

export type StopReason =
  /** The load ran its course (the result may still say 'degraded' or fail a gate). */
  | { kind: 'completed' }
  /** Ctrl-C (or another signal) during the connect stage; the clients connected so far are closed. */
  | { kind: 'interrupted-connecting'; connectSeconds: number }
  /** Clients could not connect; `message` says how many, why, and what may fix it. */
  | { kind: 'connect-failed'; message: string }
  /** --shard with --start-at: this shard was ready too long after the common start. */
  | { kind: 'late-start'; message: string }
  /** A signal between the connect stage and the load start. */
  | { kind: 'interrupted-before-start' }
  /** A signal during the load, after `publishingSeconds` of it. */
  | { kind: 'interrupted'; publishingSeconds: number }
  /** --abort-on-fail: a live gate that could no longer pass stopped the load. */
  | { kind: 'gate'; publishingSeconds: number; reason: string };

/** Pure: the status and error a phase stopped for `r` is reported with. */
export function stopOutcome(r: StopReason): { status: PhaseStatus; error?: string } {
  switch (r.kind) {
    case 'completed':
      return { status: 'completed' };
    case 'interrupted-connecting':
      return { status: 'interrupted', error: `interrupted while connecting clients, after ${r.connectSeconds.toFixed(1)}s` };
    case 'connect-failed':
    case 'late-start':
      return { status: 'failed', error: r.message };
    case 'interrupted-before-start':
      return { status: 'interrupted', error: 'interrupted before publishing started' };
    case 'interrupted':
      return { status: 'interrupted', error: `interrupted after ${r.publishingSeconds.toFixed(1)}s of publishing` };
    case 'gate':
      return { status: 'interrupted', error: `stopped by --abort-on-fail after ${r.publishingSeconds.toFixed(1)}s of publishing: ${r.reason}` };
  }
}
