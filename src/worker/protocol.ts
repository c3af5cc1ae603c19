/**
 * Every message between the coordinator (main thread) and a load worker. Only plain,
 * structured-clone-able data crosses; both sides switch on `type`.
 */
import type { PhaseSpec } from '../plan/plan.js';
import type { WorkerPlan } from '../plan/workers.js';
import type { ClientOptions } from '../drivers/client-options.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import type { ConnectFailure, WorkerInterval, WorkerPhaseReport } from '../metrics/reports.js';


export type ToWorker =
  /**
   * Connect this worker's clients. `endpoints`: where each group connects, by group index.
   * `window`: deliveries per publisher id (Uint32). `drops`: when each will's client dropped (Float64, by will id).
   */
  | { type: 'phase'; phase: PhaseSpec; plan: WorkerPlan; endpoints: TargetEndpoint[]; client: ClientOptions; window: SharedArrayBuffer; drops: SharedArrayBuffer }
  /** Start the load (ramp, warm-up, steady). Times are microseconds on the shared clock (metrics/clock.ts). */
  | { type: 'start'; startUs: number; steadyStartUs: number }
  /** Report the counters of the last interval (the coordinator ticks once per second). */
  | { type: 'tick'; t: number }
  /** Stop publishing; deliveries and acknowledgements are still taken. */
  | { type: 'stop' }
  /** Report progress of the drain. */
  | { type: 'status' }
  /** Close every client and send the final report of the phase; `lateWindowMs`: first listen this long for deliveries after an incomplete drain. */
  | { type: 'finish'; lateWindowMs: number }
  | { type: 'shutdown' };


export type FromWorker =
  | { type: 'ready'; workerIndex: number; connected: number; failures: ConnectFailure[] }
  | { type: 'snapshot'; snapshot: WorkerInterval }
  | { type: 'status'; workerIndex: number; outstandingAcks: number; expected: number; unique: number; remoteUnique: number }
  | { type: 'final'; report: WorkerPhaseReport }
  /** A fatal error inside the worker; the phase cannot complete. */
  | { type: 'fatal'; workerIndex: number; message: string };
