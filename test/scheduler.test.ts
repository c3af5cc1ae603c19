/**
 * The worker's send scheduler (src/worker/scheduler.ts): its pure decisions, table-driven; one
 * step at a time on a made-up clock; a publisher's next due time as the scheduler reads it; and
 * one run on real timers that asserts only what holds on a loaded machine too (nothing sent
 * before its due time, every due message sent, sockets served meanwhile, the loop gone after
 * stop()), never how late the sends were.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { PublishSink, SinkListener } from '../src/drivers/sink.js';
import { nowMicros } from '../src/metrics/clock.js';
import { Recorder } from '../src/metrics/recorder.js';
import { Publisher, type PublisherPlan, type PublisherSettings } from '../src/worker/publisher.js';
import { IDLE_MS, IMMEDIATE, PRECISE, PRECISE_EARLY_US, PRECISE_GAP_US, SPIN_BUDGET, POLL_MS, PUMP, SPIN_LEAD_US, Scheduler, nextPassOf, nextWake, type NextPass, type Schedulable } from '../src/worker/scheduler.js';
import { IndexHeap } from '../src/worker/index-heap.js';

const INF = Number.POSITIVE_INFINITY;

describe('nextWake: timer, setImmediate turn, or a pass now', () => {
  const NOW = 1_000_000;
  const cases: Array<{ name: string; due: number; poll: number; want: number }> = [
    { name: 'due now', due: NOW, poll: INF, want: PUMP },
    { name: 'overdue', due: NOW - 5000, poll: NOW + 1000, want: PUMP },
    { name: 'poll time reached, nothing due', due: INF, poll: NOW, want: PUMP },
    { name: 'poll time reached before a far due', due: NOW + 50_000, poll: NOW - 1, want: PUMP },
    { name: 'due in 1 us: turns', due: NOW + 1, poll: INF, want: IMMEDIATE },
    { name: 'due just inside lead + 1 ms: turns', due: NOW + SPIN_LEAD_US + 999, poll: INF, want: IMMEDIATE },
    { name: 'due at lead + 1 ms: a 1 ms timer', due: NOW + SPIN_LEAD_US + 1000, poll: INF, want: 1 },
    { name: 'due in 3.7 ms: a 3 ms timer (ends >= lead before it)', due: NOW + 3700, poll: INF, want: 3 },
    { name: 'due far, poll sooner: the poll', due: NOW + 100_000, poll: NOW + 2000, want: 2 },
    { name: 'due in 2.6 ms, poll in 1 ms: 1 ms', due: NOW + 2600, poll: NOW + 1000, want: 1 },
    { name: 'only a poll, under 1 ms away: a 1 ms timer, never a spin', due: INF, poll: NOW + 300, want: 1 },
    { name: 'due soon wins over a poll sooner still: turns', due: NOW + 1200, poll: NOW + 300, want: IMMEDIATE },
    { name: 'nothing at all: the longest sleep', due: INF, poll: INF, want: IDLE_MS },
    { name: 'far due and far poll: the longest sleep', due: NOW + 60_000_000, poll: NOW + 60_000_000, want: IDLE_MS },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(nextWake(NOW, c.due, c.poll), c.want);
    });
  }
});

/** A publisher as the scheduler sees it: a due time, a model, and pump() calls recorded. */
class FakePublisher implements Schedulable {
  readonly pumps: number[] = [];
  constructor(
    public nextDueUs: number,
    readonly plan: { ratePerSecond: number | null } = { ratePerSecond: 100 },
  ) {}
  pump(nowUs: number): void {
    this.pumps.push(nowUs);
  }
}

describe('nextPassOf: a due message to meet, or a poll', () => {
  const PASS = 5_000_000;
  const cases: Array<{ name: string; p: FakePublisher; want: NextPass }> = [
    { name: 'open model, next message due later: that time, exactly', p: new FakePublisher(PASS + 700), want: { atUs: PASS + 700, exact: true } },
    { name: 'closed model: polled', p: new FakePublisher(INF, { ratePerSecond: null }), want: { atUs: PASS + POLL_MS * 1000, exact: false } },
    { name: 'closed model, whatever its due time says: polled', p: new FakePublisher(PASS + 10, { ratePerSecond: null }), want: { atUs: PASS + POLL_MS * 1000, exact: false } },
    { name: 'still due after the pass (could not send): polled, not waited for', p: new FakePublisher(PASS), want: { atUs: PASS + POLL_MS * 1000, exact: false } },
    { name: 'long overdue (no connection): polled', p: new FakePublisher(PASS - 3_000_000), want: { atUs: PASS + POLL_MS * 1000, exact: false } },
    { name: 'nothing due (stopped, cap reached): looked at every IDLE_MS', p: new FakePublisher(INF), want: { atUs: PASS + IDLE_MS * 1000, exact: false } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const into: NextPass = { atUs: 0, exact: true };
      assert.equal(nextPassOf(c.p, PASS, into), into, 'fills the object it is given');
      assert.deepEqual(into, c.want);
    });
  }
});

describe('IndexHeap', () => {
  test('pops ids in key order, ties and repeats included, and -1 when empty', () => {
    // A fixed pseudo-random sequence (LCG), so a failure replays.
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const h = new IndexHeap();
    const ref: Array<[number, number]> = [];
    let nextId = 0;
    for (let round = 0; round < 200; round++) {
      const pushes = Math.floor(rnd() * 5);
      for (let k = 0; k < pushes; k++) {
        const key = Math.floor(rnd() * 50);
        h.push(nextId, key);
        ref.push([nextId++, key]);
      }
      const pops = Math.floor(rnd() * 4);
      for (let k = 0; k < pops && h.size > 0; k++) {
        const min = Math.min(...ref.map(([, key]) => key));
        assert.equal(h.peekKey(), min);
        const id = h.pop();
        const at = ref.findIndex(([i]) => i === id);
        assert.ok(at >= 0, `popped ${id}, not in the heap`);
        assert.equal(ref[at]![1], min, `popped key ${ref[at]![1]}, smallest ${min}`);
        ref.splice(at, 1);
      }
      assert.equal(h.size, ref.length);
    }
    while (h.size > 0) h.pop();
    assert.equal(h.pop(), -1);
    assert.equal(h.peekKey(), INF);
  });
});

describe('Scheduler.step on a made-up clock', () => {
  // A publisher due every `intervalUs`: its due time moves on at each pump.
  const steady = (intervalUs: number): FakePublisher => {
    const p = new FakePublisher(intervalUs);
    p.pump = (t) => {
      p.pumps.push(t);
      while (p.nextDueUs <= t) p.nextDueUs += intervalUs;
    };
    return p;
  };
  /**
   * Runs a made-up second: turns take 20 us, timers fire 150 us late, and (precise: true) the
   * precise waker 40 us late. Returns the share of time spent in turns, the sends' lag, the turns
   * and the precise wake-ups.
   */
  const simulate = (intervalUs: number, precise = false): { spinShare: number; lags: number[]; turns: number; wakes: number } => {
    let now = 0;
    const p = steady(intervalUs);
    const s = new Scheduler([p], () => now, precise);
    let spun = 0;
    let turns = 0;
    let wakes = 0;
    const lags: number[] = [];
    // The first step is a pass whatever is due (publishers may have started at any time).
    now += s.step() * 1000;
    while (now < 1_000_000) {
      const before = p.pumps.length;
      const due = p.nextDueUs;
      const w = s.step();
      if (p.pumps.length > before) lags.push(now - due);
      if (w === PRECISE) {
        const at = s.preciseAtUs;
        assert.ok(at > now, 'a precise wake-up is in the future');
        now = at + 40;
        wakes++;
      } else if (w === IMMEDIATE) {
        now += 20;
        spun += 20;
        turns++;
      } else now += w * 1000 + 150;
    }
    return { spinShare: spun / now, lags, turns, wakes };
  };

  for (const rate of [50, 200, 1000, 10_000]) {
    test(`${rate} msg/s: turns stay within the spin budget (${SPIN_BUDGET * 100}% of the time), no send before its time`, () => {
      const { spinShare, lags } = simulate(1_000_000 / rate);
      assert.ok(spinShare <= SPIN_BUDGET + 0.02, `spun ${(spinShare * 100).toFixed(1)}% of the time`);
      assert.ok(lags.every((l) => l >= 0), 'never early');
      // Past about 1,000/s one pass sends several messages, so passes are bounded by the timers, not the rate.
      assert.ok(lags.length >= Math.min(rate * 0.9, 500), `${lags.length} passes for ${rate} messages due`);
    });
  }

  for (const rate of [200, 1000, 10_000, 50_000]) {
    test(`${rate} msg/s with a precise waker: woken ${PRECISE_EARLY_US} us early, turns within the budget, at most one wake-up per ${PRECISE_GAP_US} us`, () => {
      const { spinShare, turns, lags, wakes } = simulate(1_000_000 / rate, true);
      assert.ok(spinShare <= SPIN_BUDGET + 0.02, `spun ${(spinShare * 100).toFixed(1)}% of the time in ${turns} turns`);
      assert.ok(lags.every((l) => l >= 0), 'never early');
      const sorted = [...lags].sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.floor(sorted.length * q)] ?? Infinity;
      // Within the gap of the last pass a message waits for the gap to end.
      const gapLag = 1_000_000 / rate < PRECISE_GAP_US + 80 ? PRECISE_GAP_US : 0;
      // The waker comes 40 us late for a wake-up 50 us early: 10 us before the due time, then turns of 20 us.
      if (gapLag === 0) assert.ok(at(0.5) <= 20, `p50 lag ${at(0.5)} us: met to a turn`);
      // Past the turns' budget the waker is asked for the due time itself: its 40 us lateness at most.
      assert.ok(at(0.99) <= 40 + gapLag, `p99 lag ${at(0.99)} us`);
      assert.ok(wakes <= 1_000_000 / PRECISE_GAP_US, `${wakes} wake-ups`);
      assert.ok(lags.length >= Math.min(rate, 1_000_000 / (PRECISE_GAP_US + 40)) * 0.95, `${lags.length} passes`);
    });
  }

  test('50 msg/s: within the budget every message is met to a turn', () => {
    const { lags } = simulate(20_000);
    const sorted = [...lags].sort((a, b) => a - b);
    assert.ok((sorted[Math.floor(sorted.length * 0.5)] ?? Infinity) <= 20, `p50 lag ${sorted[Math.floor(sorted.length * 0.5)]} us`);
  });

  test('passes at the due time, turns before it, sleeps when it is far', () => {
    let now = 0;
    const p = new FakePublisher(4_000);
    const s = new Scheduler([p], () => now);
    // The first step is a pass whatever is due: publishers may have been started at any time.
    assert.equal(s.step(), 3, 'due in 4 ms: a timer ending 0.5-1.5 ms before it');
    assert.deepEqual(p.pumps, [0]);
    now = 2_400;
    assert.equal(s.step(), 1);
    now = 3_600;
    assert.equal(s.step(), IMMEDIATE, 'under lead + 1 ms before the due time: turns');
    now = 3_999;
    assert.equal(s.step(), IMMEDIATE);
    assert.equal(p.pumps.length, 1, 'no pass before the due time');
    now = 4_003;
    p.nextDueUs = 7_000;
    assert.equal(s.step(), 2, 'a pass, then a timer for the next due time');
    assert.deepEqual(p.pumps, [0, 4_003]);
    assert.equal(s.passes, 2);
  });

  test('a pass pumps only the publishers whose time has come, earliest first', () => {
    let now = 0;
    const order: string[] = [];
    const named = (name: string, due: number) => {
      const p = new FakePublisher(due);
      p.pump = (t) => {
        p.pumps.push(t);
        order.push(name);
      };
      return p;
    };
    const a = named('a', 9_000);
    const b = named('b', 3_000);
    const c = named('c', 3_000_000);
    const s = new Scheduler([a, b, c], () => now);
    s.step();
    assert.deepEqual([...order].sort(), ['a', 'b', 'c'], 'the first pass takes in every publisher');
    order.length = 0;
    now = 3_000;
    b.nextDueUs = 8_000;
    s.step();
    assert.deepEqual(order, ['b']);
    order.length = 0;
    now = 9_500;
    a.nextDueUs = 20_000;
    b.nextDueUs = 20_000;
    s.step();
    assert.deepEqual(order, ['b', 'a'], 'due order, not list order');
    assert.equal(c.pumps.length, 1, 'a publisher due later is not pumped');
  });

  test('a pass that leaves something due hands over with one turn, never a second pass at once', () => {
    let now = 0;
    const p = new FakePublisher(0);
    // A long pass: the clock moves past the next due time while it runs.
    p.pump = (t) => {
      p.pumps.push(t);
      now += 2000;
      p.nextDueUs = t + 1500;
    };
    const s = new Scheduler([p], () => now);
    assert.equal(s.step(), IMMEDIATE);
    assert.equal(p.pumps.length, 1);
    assert.equal(s.step(), IMMEDIATE, 'the next turn passes');
    assert.equal(p.pumps.length, 2);
  });

  test('closed-model publishers are polled every POLL_MS with a timer; publishers added later are taken in', () => {
    let now = 0;
    const list: FakePublisher[] = [];
    const s = new Scheduler(list, () => now);
    assert.equal(s.step(), IDLE_MS, 'no publisher yet: the longest sleep');
    const c = new FakePublisher(INF, { ratePerSecond: null });
    list.push(c);
    now = IDLE_MS * 1000;
    assert.equal(s.step(), POLL_MS);
    assert.deepEqual(c.pumps, [IDLE_MS * 1000]);
    now += 400;
    assert.equal(s.step(), 1, 'poll not due yet: still a timer, not a spin');
    assert.equal(c.pumps.length, 1);
    now += 600;
    s.step();
    assert.equal(c.pumps.length, 2);
  });

  test('an open publisher that cannot send is polled, then waited for again once it can', () => {
    let now = 0;
    const p = new FakePublisher(0);
    const s = new Scheduler([p], () => now);
    assert.equal(s.step(), POLL_MS, 'still due after the pass (no connection): a poll timer, not a spin');
    now = 1_000;
    p.nextDueUs = 4_500;
    assert.equal(s.step(), 3, 'back: the next due time');
    assert.equal(p.pumps.length, 2);
  });
});

/** A connected sink that accepts every message at once. */
class OpenSink implements PublishSink {
  connected = true;
  readonly acknowledged = false;
  readonly copiesPayload = false;
  sent = 0;
  private listener: SinkListener | null = null;
  listen(l: SinkListener): void {
    this.listener = l;
  }
  publish(_payload: Buffer, seq: number): void {
    this.sent++;
    this.listener!.done(seq);
  }
}

/** The lag (actual minus intended send time, us) of every message, whatever the steady window. */
class LagRecorder extends Recorder {
  readonly lags: number[] = [];
  override sent(nowUs: number, bytes: number, lagUs: number): void {
    this.lags.push(lagUs);
    super.sent(nowUs, bytes, lagUs);
  }
}

function publisher(plan: Partial<PublisherPlan>, settings: Partial<PublisherSettings>, sink: PublishSink = new OpenSink(), recorder: Recorder = new Recorder()): Publisher {
  const full: PublisherPlan = { publisherId: 1, group: 0, ratePerSecond: null, startOffsetUs: 0, matching: 0, matchingByGroup: [], windowMatching: 0, ...plan };
  const s: PublisherSettings = { filler: Buffer.alloc(0), maxMessages: null, ramp: null, inflight: null, delivered: new Uint32Array(4), sentCounts: new Uint32Array(4), ...settings };
  return new Publisher(full, sink, s, recorder);
}

describe('Publisher.nextDueUs: what the scheduler waits for', () => {
  test('open model: the start plus the offset, then one interval after each send', () => {
    const p = publisher({ ratePerSecond: 1000, startOffsetUs: 200 }, {});
    assert.equal(p.nextDueUs, INF, 'not started');
    p.start(1_000);
    assert.equal(p.nextDueUs, 1_200);
    p.pump(1_199);
    assert.equal(p.nextDueUs, 1_200, 'nothing due before 1,200');
    p.pump(3_500);
    assert.equal(p.seq, 3);
    assert.equal(p.nextDueUs, 4_200);
    p.stop();
    assert.equal(p.nextDueUs, INF, 'stopped');
  });

  test('closed model and an exhausted cap: nothing due', () => {
    const closed = publisher({}, { inflight: 10 });
    closed.start(0);
    assert.equal(closed.nextDueUs, INF);
    const capped = publisher({ ratePerSecond: 1000 }, { maxMessages: 2 });
    capped.start(0);
    capped.pump(10_000);
    assert.equal(capped.seq, 2);
    assert.equal(capped.nextDueUs, INF);
  });

  test('no connection: the due time stays where it was (past), so the scheduler polls', () => {
    const sink = new OpenSink();
    const p = publisher({ ratePerSecond: 1000 }, {}, sink);
    p.start(0);
    sink.connected = false;
    p.pump(5_000);
    assert.equal(p.seq, 0);
    assert.equal(p.nextDueUs, 0);
    assert.deepEqual(nextPassOf(p, 5_000, { atUs: 0, exact: true }), { atUs: 5_000 + POLL_MS * 1000, exact: false });
  });

  test('rate stages: the last pass (polled), then the exact schedule from their end', () => {
    const p = publisher({ ratePerSecond: 1000 }, { ramp: { level: () => 1, endMs: 10 } });
    p.start(0);
    assert.equal(p.nextDueUs, 0);
    p.pump(4_000);
    assert.equal(p.nextDueUs, 4_000, 'during the stages: the last pass');
    p.pump(12_000);
    assert.ok(p.nextDueUs > 12_000 && p.nextDueUs <= 13_000, `after the stages: the next exact due time, got ${p.nextDueUs}`);
  });
});

/** A localhost echo pair on port 0: counts round trips, each sent when the last came back. */
async function pingPong(): Promise<{ roundTrips: () => number; close: () => Promise<void> }> {
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client: Socket = connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  let trips = 0;
  let stopping = false;
  client.on('data', () => {
    trips++;
    if (!stopping) client.write('x');
  });
  client.write('x');
  return {
    roundTrips: () => trips,
    close: async () => {
      // No write after end(): the server echoes what is in flight, then closes its side too.
      stopping = true;
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.end();
      await closed;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Scheduler on real timers', () => {
  test('1,000/s for 300 messages: none early, all sent, sockets served meanwhile, nothing left after stop()', { timeout: 60_000 }, async (t) => {
    const COUNT = 300;
    const recorder = new LagRecorder();
    recorder.steadyStartUs = 0;
    const sink = new OpenSink();
    const p = publisher({ ratePerSecond: 1000 }, { maxMessages: COUNT }, sink, recorder);
    const echo = await pingPong();
    const s = new Scheduler([p]);
    const startUs = nowMicros();
    p.start(startUs);
    s.start();
    const tripsBefore = echo.roundTrips();
    // However loaded the machine, the schedule ends; 30 s is only a backstop.
    while (sink.sent < COUNT && nowMicros() - startUs < 30_000_000) await new Promise((r) => setTimeout(r, 20));
    const trips = echo.roundTrips() - tripsBefore;
    const elapsedUs = nowMicros() - startUs;

    assert.equal(sink.sent, COUNT, `sent ${sink.sent} of ${COUNT} in ${(elapsedUs / 1000).toFixed(0)} ms`);
    assert.equal(recorder.lags.length, COUNT);
    assert.ok(Math.min(...recorder.lags) >= 0, 'no message left before its due time');
    assert.ok(trips > 0, 'the socket was served while the scheduler waited for due times');
    // Passes come for due messages, at most every POLL_MS for publishers that need polling and
    // IDLE_MS otherwise: never one per setImmediate turn. A loaded machine makes fewer (batched), not more.
    assert.ok(s.passes <= COUNT + elapsedUs / (POLL_MS * 1000) + 2, `${s.passes} passes for ${COUNT} messages in ${(elapsedUs / 1000).toFixed(0)} ms`);

    s.stop();
    const passes = s.passes;
    await new Promise((r) => setTimeout(r, 3 * IDLE_MS));
    assert.equal(s.passes, passes, 'no pass after stop()');
    await echo.close();

    const sorted = [...recorder.lags].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    // For the reader, not asserted: how late sends left depends on the machine.
    t.diagnostic(`send lag p50 ${at(0.5)}us p99 ${at(0.99)}us max ${at(1)}us; ${s.passes} passes; ${trips} socket round trips`);
  });
});
