/**
 * What the target did wrong in a phase, in words, for every report (terminal, Markdown, HTML):
 * where lost messages stopped, and how long clients were without a connection. One place, so
 * the reports never tell it differently.
 */
import type { PhaseResult } from '../metrics/result.js';
import { formatMicros } from '../metrics/format.js';

/** Where the lost messages of a phase stopped; null when nothing was lost and nothing came late. */
export function deliverySentence(p: PhaseResult): string | null {
  const c = p.counters;
  const late = c.deliveredAfterDrain ?? 0;
  if (c.lost === 0 && late === 0) return null;
  const parts: string[] = [];
  if (c.lost > 0) {
    const notAcked = c.lostNotAcknowledged ?? 0;
    const acked = c.lostAcknowledged ?? 0;
    const split: string[] = [];
    if (notAcked > 0) split.push(`${notAcked} never acknowledged by the broker`);
    if (acked > 0) split.push(`${acked} acknowledged by the broker but never delivered (held or dropped by the broker)`);
    const rest = c.lost - notAcked - acked;
    if (rest > 0 && split.length > 0) split.push(`${rest} not placed (QoS 0 has no acknowledgement, or a receiver had too many gaps to track)`);
    parts.push(`${c.lost} of ${c.expected} expected deliveries lost${split.length > 0 ? `: ${split.join(', ')}` : ''}`);
  }
  if (late > 0) parts.push(`${late} arrived only after the drain`);
  return parts.join('; ');
}

/** How the target's drops showed; null when no client was dropped. */
export function outageSentence(p: PhaseResult): string | null {
  const c = p.counters;
  if (c.disconnects === 0 && (c.reconnectAttempts ?? 0) === 0) return null;
  const parts = [`${c.disconnects} connection(s) dropped by the target`, `${c.reconnectAttempts ?? 0} reconnect attempt(s), ${c.reconnects} reconnected, ${c.connectFailures} failed attempt(s)`];
  const o = p.outage;
  if (o !== undefined) {
    parts.push(`clients without a connection ${(o.share * 100).toFixed(1)}% of the steady window`);
    if (o.downAtEnd > 0) parts.push(`${o.downAtEnd} still without one at the end`);
    if (o.unsent > 0) parts.push(`${o.unsent} message(s) not sent while disconnected`);
  }
  const h = p.latency.outage;
  if (h !== undefined && h.count > 0) parts.push(`time without a connection p50 ${formatMicros(h.p50)}, max ${formatMicros(h.max)}`);
  return parts.join(', ');
}
