/**
 * The worker's send scheduler: one loop drives every publisher of the worker. It wakes for the
 * earliest due open-model message instead of on a fixed tick: a timer to within about a
 * millisecond of the due time (timers have 1 ms resolution and fire up to a few hundred us
 * late), then setImmediate turns until the due time (each turn polls the sockets, so this never
 * starves them the way a synchronous spin would), then a pass pumps the publishers whose time
 * has come.
 *
 * Publishers that cannot be waited for precisely are polled every POLL_MS instead (a timer,
 * never a spin): closed-model ones (their window reopens on deliveries, which they learn of only
 * by reading a shared counter, and on the 1 s stall write-off), and open-model ones the last pass
 * could not serve (no connection, in-flight or burst cap, rate stages that accrue continuously).
 * Those with nothing due (stopped, cap reached) are looked at every IDLE_MS.
 *
 * With a precise waker (the phase runner's wake thread, precise-wake.ts) a due message is not
 * waited for by timers: step() says PRECISE and the host sleeps until preciseAtUs,
 * PRECISE_EARLY_US before the due time (about what the wake-up takes to arrive), and turns
 * cover those last microseconds, so the turns' budget goes a hundred times further than with
 * timers. Past the budget the wake-up is asked for the due time itself. Polls keep their timers.
 */
import { nowMicros } from '../metrics/clock.js';
import { IndexHeap } from './index-heap.js';

/**
 * Lead (us) kept between a timer's nominal end and the due time, for timers that fire late
 * (p99 about 200-300 us late on an idle machine): the timer is set so it ends 0.5-1.5 ms before
 * the due time and setImmediate turns cover the rest.
 */
export const SPIN_LEAD_US = 500;
/**
 * Poll period, ms, for closed-model publishers and open-model ones the last pass could not serve.
 * Closed model: QoS 0 has no acknowledgements and QoS 1/2 acknowledgements come before the
 * deliveries that free the window, so the window reopens on this poll: a longer period would cap
 * a closed-model publisher at `inflight` messages per period. 1 ms, as the fixed tick was.
 */
export const POLL_MS = 1;
/**
 * Longest sleep, ms, whatever is due or polled: a client that joins
 * late or comes back after a drop is seen at the next pass (publishers have no way to wake the
 * loop), so its first messages leave at most this much late, well under the 10 ms send-lag p99
 * that flags a saturated generator.
 */
export const IDLE_MS = 5;
/**
 * The most of a worker's wall time spent waiting in setImmediate turns, over SPIN_WINDOW_US.
 * Turns burn CPU (they count as busy, and on a shared machine they take CPU from the broker being
 * measured), so they are rationed: at low rates (up to about 100 msg/s per worker) every message
 * is met to a few microseconds; past the budget the rest wait on timers alone and leave up to a
 * timer's lateness late (0.1-1 ms), as they did with the fixed 1 ms tick. With a precise waker
 * the turns cover only the last PRECISE_EARLY_US before each due time, and past the budget the
 * waker alone wakes the loop, tens of microseconds late.
 */
export const SPIN_BUDGET = 0.1;
export const SPIN_WINDOW_US = 200_000;

/** What the scheduler needs of a publisher. */
export interface Schedulable {
  /** Open model: when the next message is due (shared clock, us), possibly past; Infinity when none is. */
  readonly nextDueUs: number;
  /** ratePerSecond null: closed model, polled. */
  readonly plan: { readonly ratePerSecond: number | null };
  pump(nowUs: number): void;
}

/**
 * What to do next, from the earliest due time and the next poll time (both shared clock, us):
 * PUMP (a pass now), IMMEDIATE (a setImmediate turn, then decide again), or a positive number:
 * a timer for that many ms. A plain number so the decision allocates nothing.
 */
export type Wake = number;
export const PUMP: Wake = -1;
export const IMMEDIATE: Wake = 0;
/** With a precise waker: sleep until preciseAtUs (instead of setImmediate turns). */
export const PRECISE: Wake = -2;
/**
 * Shortest time between two precise wake-ups, us: at most 10,000 a second per worker, each a
 * pass that sends everything due by then (a message due sooner leaves up to this much late).
 */
export const PRECISE_GAP_US = 100;
/**
 * A precise wake-up is asked for this long before the due time, us: about what the wake-up
 * takes to reach the event loop (a message from the wake thread); setImmediate turns, within
 * their budget, cover the rest.
 */
export const PRECISE_EARLY_US = 50;

/**
 * Pure. A due message is waited for with a timer while it is more than SPIN_LEAD_US + 1 ms away,
 * then with setImmediate turns; a poll time only ever with a timer (at least 1 ms: what a timer
 * can do), so polling never spins. No sleep is longer than IDLE_MS.
 */
export function nextWake(nowUs: number, dueUs: number, pollUs: number): Wake {
  if (dueUs <= nowUs || pollUs <= nowUs) return PUMP;
  const dueMs = Math.floor((dueUs - nowUs - SPIN_LEAD_US) / 1000);
  if (dueMs < 1) return IMMEDIATE;
  // A poll time: ms rounded down (a timer fires up to ~1 ms early or a few hundred us late), at least 1.
  const pollMs = Math.max(1, Math.floor((pollUs - nowUs) / 1000));
  return Math.min(dueMs, pollMs, IDLE_MS);
}

/** When a publisher wants its next pass (shared clock, us), and whether that is a due message to meet precisely. */
export interface NextPass {
  atUs: number;
  /** True: an open-model message due then (waited for precisely); false: a poll (a timer, never a spin). */
  exact: boolean;
}

/**
 * Pure apart from reading the publisher's getters: after a pass at `passUs` served it, when the
 * publisher wants the next one. Fills `into` (reused, so a pass allocates nothing).
 */
export function nextPassOf(p: Schedulable, passUs: number, into: NextPass): NextPass {
  const due = p.plan.ratePerSecond === null ? Number.NaN : p.nextDueUs;
  if (due > passUs && due !== Number.POSITIVE_INFINITY) {
    into.atUs = due;
    into.exact = true;
  } else {
    // Closed model (NaN), or still due after the pass: it could not send (see the file comment),
    // and waiting for it precisely would spin. Nothing due (Infinity: stopped, cap reached): checked now and then.
    into.atUs = passUs + (due === Number.POSITIVE_INFINITY ? IDLE_MS : POLL_MS) * 1000;
    into.exact = false;
  }
  return into;
}

/**
 * The loop's state: `step()` is one wake-up (a pass when one is due) and says when to wake next.
 * `start()`/`stop()` drive it with their own timer; a host that keeps its own timer handle (the
 * phase runner, whose stop() clears it) calls `step()` and arms the timer or turn itself.
 *
 * A pass pumps only the publishers whose time has come, taken from two heaps (due messages, and
 * polls), so its cost grows with the messages due, not with the publishers of the worker: 10,000
 * clients at 1 msg/s cost what one client at 10,000 msg/s does.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  /** Open-model publishers by their next due time. */
  private readonly exact = new IndexHeap();
  /** The others by when to pump them again (closed model, not served by the last pass, nothing due). */
  private readonly polled = new IndexHeap();
  /** Publishers [0, known) are in one of the heaps; later ones are taken in at the next pass. */
  private known = 0;
  /** Before the first step: a pass at once. */
  private lastPassUs = Number.NEGATIVE_INFINITY;
  private readonly slot: NextPass = { atUs: 0, exact: false };
  /** The time of the last PRECISE (see preciseAtUs). */
  private wakeUs = 0;
  /** Passes made. */
  passes = 0;
  /** Spin accounting: when the current run of setImmediate turns began (NaN: none), and the turns' time in this window. */
  private spinSinceUs = Number.NaN;
  private spinWindowStartUs = Number.NEGATIVE_INFINITY;
  private spunUs = 0;

  /**
   * `publishers` is read at every pass and may grow (publishers joining late are driven from the
   * next pass, at most IDLE_MS later); it must not shrink or reorder.
   */
  constructor(
    private readonly publishers: readonly Schedulable[],
    private readonly now: () => number = nowMicros,
    /** True: the host has a precise waker, and step() may say PRECISE. */
    private readonly precise = false,
  ) {}

  /**
   * After step() said PRECISE: when to wake (shared clock, us): PRECISE_EARLY_US before the next
   * due message (at it when the turns' budget is spent), no sooner than PRECISE_GAP_US after the
   * last pass.
   */
  get preciseAtUs(): number {
    return this.wakeUs;
  }

  /** The next due message and the next poll, as nextWake takes them; a pass at least every IDLE_MS, for newcomers. */
  private wakeAt(nowUs: number): Wake {
    return nextWake(nowUs, this.exact.peekKey(), Math.min(this.polled.peekKey(), this.lastPassUs + IDLE_MS * 1000));
  }

  /**
   * One wake-up: a pass when one is due, then the next wake: IMMEDIATE, PRECISE (with a precise
   * waker, for a due message that comes before the next poll) or a timer's ms (never PUMP: when a long
   * pass leaves something due already, one turn first, so the sockets are served between passes).
   */
  step(): Wake {
    let now = this.now();
    if (!Number.isNaN(this.spinSinceUs)) {
      this.spunUs += now - this.spinSinceUs;
      this.spinSinceUs = Number.NaN;
    }
    let w = this.wakeAt(now);
    if (w === PUMP) {
      this.pass(now);
      now = this.now();
      w = this.wakeAt(now);
    }
    // With a precise waker, a due message is waited for by it, however far (timers fire late):
    // woken PRECISE_EARLY_US before the due time (what the wake-up takes to arrive), then turns.
    const due = this.exact.peekKey();
    if (this.precise && w !== PUMP && due <= Math.min(this.polled.peekKey(), this.lastPassUs + IDLE_MS * 1000)) {
      const early = due - now > PRECISE_EARLY_US;
      if (early || this.overSpinBudget(now)) {
        this.wakeUs = Math.max(early ? due - PRECISE_EARLY_US : due, this.lastPassUs + PRECISE_GAP_US);
        return PRECISE;
      }
      this.spinSinceUs = now;
      return IMMEDIATE;
    }
    if (w > IMMEDIATE) return w;
    // Over the budget: a timer of 1 ms instead of turns (the message leaves up to a timer's lateness late).
    if (this.overSpinBudget(now)) return 1;
    this.spinSinceUs = now;
    return IMMEDIATE;
  }

  /** Have this window's setImmediate turns used their share (SPIN_BUDGET) of the wall time? */
  private overSpinBudget(now: number): boolean {
    if (now - this.spinWindowStartUs >= SPIN_WINDOW_US) {
      this.spinWindowStartUs = now;
      this.spunUs = 0;
    }
    return this.spunUs > SPIN_BUDGET * Math.max(now - this.spinWindowStartUs, SPIN_WINDOW_US / 10);
  }

  /** Pumps every publisher whose time has come, each once, and files it under its next time (always later than `now`). */
  private pass(now: number): void {
    this.passes++;
    this.lastPassUs = now;
    const pubs = this.publishers;
    // Newcomers are pumped in this pass, then filed like the others.
    while (this.known < pubs.length) this.polled.push(this.known++, Number.NEGATIVE_INFINITY);
    this.serve(this.exact, now);
    this.serve(this.polled, now);
  }

  private serve(heap: IndexHeap, now: number): void {
    while (heap.peekKey() <= now) {
      const i = heap.pop();
      const p = this.publishers[i];
      if (p === undefined) continue;
      p.pump(now);
      const next = nextPassOf(p, now, this.slot);
      (next.exact ? this.exact : this.polled).push(i, next.atUs);
    }
  }

  /** Drives the loop with its own timers until stop(); a second start while running does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** Stops the loop: no timer or immediate is left behind. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private readonly wake = (): void => {
    this.timer = null;
    this.immediate = null;
    if (!this.running) return;
    const w = this.step();
    if (w === IMMEDIATE) this.immediate = setImmediate(this.wake);
    else this.timer = setTimeout(this.wake, w);
  };
}
