/**
 * The counter shapes, declared once: connection events, messages published, messages delivered
 * and traffic. The worker reports (reports.ts) and the result (result.ts) are built from them,
 * and every merge (workers into a phase, repeats into one result) adds them with sumCounters.
 * Each key list is in the order the result document lists the fields.
 */

/** Connection events of a set of clients (a group, a worker, a phase). */
export const CONNECTION_COUNTS = ['connects', 'connectFailures', 'disconnects', 'reconnects'] as const;
/** The same plus reconnect attempts, in the order a phase's counters list them. */
export const PHASE_CONNECTION_COUNTS = ['connects', 'connectFailures', 'reconnectAttempts', 'reconnects', 'disconnects'] as const;
/** Messages published, and the acknowledgements they got (QoS 1/2). */
export const PUBLISH_COUNTS = ['sent', 'acked'] as const;
/** Deliveries settled from sequence numbers (delivery.ts). */
export const DELIVERY_COUNTS = ['expected', 'received', 'lost', 'duplicated', 'outOfOrder'] as const;
/** Messages and bytes of an interval or a whole phase (by send time for sends, by arrival for receipts). */
export const TRAFFIC_COUNTS = ['sent', 'acked', 'received', 'bytesSent', 'bytesReceived'] as const;
/** Of a phase's lost messages: never acknowledged / acknowledged but never delivered; and first deliveries after the drain. */
export const LOSS_COUNTS = ['lostNotAcknowledged', 'lostAcknowledged', 'deliveredAfterDrain'] as const;

type Counts<K extends readonly string[]> = { [P in K[number]]: number };

export type ConnectionCounts = Counts<typeof CONNECTION_COUNTS>;
export type PublishCounts = Counts<typeof PUBLISH_COUNTS>;
export type DeliveryCounts = Counts<typeof DELIVERY_COUNTS>;
export type TrafficCounts = Counts<typeof TRAFFIC_COUNTS>;

/** Every summed field of a phase's counters, in the result document's order. */
export const PHASE_COUNTS = [...PUBLISH_COUNTS, ...DELIVERY_COUNTS, ...PHASE_CONNECTION_COUNTS, ...LOSS_COUNTS] as const;
/** Every summed field of a group's figures, in the result document's order. */
export const GROUP_COUNTS = [...CONNECTION_COUNTS, ...PUBLISH_COUNTS, ...DELIVERY_COUNTS] as const;

/**
 * Pure: the fields `keys` of `parts` added field by field, in the order of `keys` (a field a part
 * lacks, as in results written before it was counted, adds 0).
 */
export function sumCounters<K extends string>(parts: ReadonlyArray<{ readonly [P in K]?: number }>, keys: readonly K[]): { [P in K]: number } {
  const out = {} as { [P in K]: number };
  for (const k of keys) {
    let n = 0;
    for (const p of parts) n += p[k] ?? 0;
    out[k] = n;
  }
  return out;
}

/** Counts by kind added (errors); undefined when no input had any. */
export function sumRecords(records: ReadonlyArray<Record<string, number> | undefined>): Record<string, number> | undefined {
  if (records.every((r) => r === undefined)) return undefined;
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}
