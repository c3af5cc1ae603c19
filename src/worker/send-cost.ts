/**
 * A test knob, honest by construction: MQBENCH_TEST_SEND_COST_US=N makes every publish cost N
 * microseconds of real CPU on the worker's thread (a busy wait), so a test can put the
 * generator's limit at a known rate (1e6 / N messages/s per worker) and check that the
 * generator's own health signals catch it (a busy event loop, late sends, fewer sent than asked)
 * and that `mqbench capacity` reports a lower bound instead of a broker figure. Unset, empty or
 * not a positive number: 0, and the hot path pays one comparison. Not a user option.
 */
import { nowMicros } from '../metrics/clock.js';

export const SEND_COST_ENV = 'MQBENCH_TEST_SEND_COST_US';

export function parseSendCost(raw: string | undefined): number {
  const n = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(n) && n > 0 ? Math.min(n, 1_000_000) : 0;
}

/** Read once when the worker loads the module. */
export const SEND_COST_US = parseSendCost(process.env[SEND_COST_ENV]);

/** Spends `us` microseconds of CPU on this thread. */
export function burnCpu(us: number): void {
  const end = nowMicros() + us;
  while (nowMicros() < end);
}
