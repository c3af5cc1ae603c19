/**
 * The phase clock: when the load starts (the start barrier) and when each stage of it begins
 * and ends (ramp, warm-up, steady window), on the shared clock (metrics/clock.ts), and the
 * sleeping through them with a call at every whole second of the load.
 */
import { nowMicros } from '../metrics/clock.js';
import type { Progress } from '../metrics/reports.js';
import type { PhaseSpec } from '../plan/plan.js';

/** The start barrier: publishing begins this long after every worker reported ready, microseconds. */
export const START_DELAY_US = 50_000;

export type Stage = Progress['stage'];

/** When the stages of a phase's load begin, shared clock, microseconds. */
export interface PhaseClock {
  startUs: number;
  warmupStartUs: number;
  steadyStartUs: number;
  /** The steady window's planned end. */
  endUs: number;
}

/** Pure: the stages of `spec`'s load, from the start barrier after `nowUs`. */
export function phaseClock(spec: PhaseSpec, nowUs: number): PhaseClock {
  const startUs = nowUs + START_DELAY_US;
  const warmupStartUs = startUs + spec.rampMs * 1000;
  const steadyStartUs = warmupStartUs + spec.warmupMs * 1000;
  return { startUs, warmupStartUs, steadyStartUs, endUs: steadyStartUs + spec.durationMs * 1000 };
}

/** A phase's planned seconds after its connect: ramp, warm-up, steady window and the longest drain. */
export function plannedSeconds(spec: PhaseSpec): number {
  return (spec.rampMs + spec.warmupMs + spec.durationMs + spec.drainMs) / 1000;
}

/**
 * Pure: the planned seconds a phase still has, `elapsed` seconds into `stage` (`length` long): the
 * rest of the stage, the stages after it and the drain. A drain usually ends early (when every
 * message arrived), so this is an upper bound once the load is over.
 */
export function phaseSecondsLeft(spec: PhaseSpec, stage: Stage, elapsed: number, length: number): number {
  const rest = Math.max(0, length - elapsed);
  const drain = spec.drainMs / 1000;
  switch (stage) {
    case 'ramp':
      return rest + (spec.warmupMs + spec.durationMs) / 1000 + drain;
    case 'warmup':
      return rest + spec.durationMs / 1000 + drain;
    case 'steady':
      return rest + drain;
    case 'drain':
      return rest;
  }
}

/**
 * Sleeps through ramp, warm-up and steady window in turn, until the steady window's end or an
 * abort, calling `onSecond` at every whole second of the load with the stage it falls in (the
 * stage's start and length in seconds) and `onSteady` as the steady window begins (not after
 * an abort). Resolves with the time the load stopped (shared clock, us).
 */
export async function runStages(
  clock: PhaseClock,
  spec: PhaseSpec,
  signal: AbortSignal,
  onSecond: (stage: Stage, stageStartUs: number, stageSeconds: number) => Promise<void>,
  onSteady: () => void,
): Promise<number> {
  const { startUs, warmupStartUs, steadyStartUs, endUs } = clock;
  await sleepUntil(warmupStartUs, startUs, signal, () => onSecond('ramp', startUs, spec.rampMs / 1000));
  await sleepUntil(steadyStartUs, startUs, signal, () => onSecond('warmup', warmupStartUs, spec.warmupMs / 1000));
  if (!signal.aborted) onSteady();
  await sleepUntil(endUs, startUs, signal, () => onSecond('steady', steadyStartUs, spec.durationMs / 1000));
  return nowMicros();
}

/**
 * Sleeps until `untilUs` (shared clock) or an abort, calling `onSecond` at every whole second
 * since `originUs` on the way.
 */
async function sleepUntil(untilUs: number, originUs: number, signal: AbortSignal, onSecond: () => Promise<void>): Promise<void> {
  for (;;) {
    if (signal.aborted) return;
    const now = nowMicros();
    if (now >= untilUs) return;
    const nextSecond = originUs + Math.max(1, Math.floor((now - originUs) / 1e6) + 1) * 1e6;
    const wakeAt = Math.min(untilUs, nextSecond);
    await abortableSleep((wakeAt - now) / 1000, signal);
    if (!signal.aborted && wakeAt === nextSecond) await onSecond();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
