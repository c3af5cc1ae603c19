/**
 * The publisher across connection faults (src/worker/publisher.ts): connectionLost writes off
 * what was in flight as never acknowledged and reopens the closed-model window, callbacks of
 * the dead connection change nothing, and resumed() counts the open-model messages that fell
 * due without a connection as `unsent` instead of sending them in a burst. A fake sink holds
 * every message for the test to answer (done or failed, by sequence number); times are explicit microseconds, so nothing
 * depends on how fast the machine is (send() stamps its own clock; only counts are asserted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { mqttSink } from '../src/drivers/mqtt-driver.js';
import type { PublishSink, SinkListener } from '../src/drivers/sink.js';
import { decodeHeader } from '../src/metrics/payload.js';
import { Recorder } from '../src/metrics/recorder.js';
import { Publisher, type PublisherPlan, type PublisherSettings } from '../src/worker/publisher.js';

/** Holds every message by its sequence number, until the test answers it. */
class HoldingSink implements PublishSink {
  connected = true;
  readonly copiesPayload = false;
  readonly sent = new Set<number>();
  private listener: SinkListener | null = null;
  constructor(readonly acknowledged: boolean) {}

  listen(l: SinkListener): void {
    this.listener = l;
  }

  publish(payload: Buffer, seq: number): void {
    assert.equal(decodeHeader(payload)?.seq, seq, 'the payload carries its sequence number');
    this.sent.add(seq);
  }

  /** Answers message `seq`: done (an acknowledgement), or failed with `err`. */
  answer(seq: number, err?: Error): void {
    assert.ok(this.sent.has(seq), `message ${seq} was sent`);
    if (err === undefined) this.listener!.done(seq);
    else this.listener!.failed(seq, err);
  }
}

const MS = 1000;
const SECOND = 1_000_000;

function publisher(plan: Partial<PublisherPlan>, settings: Partial<PublisherSettings>, sink: HoldingSink): { p: Publisher; sink: HoldingSink; recorder: Recorder } {
  const full: PublisherPlan = { publisherId: 1, group: 0, ratePerSecond: null, startOffsetUs: 0, matching: 0, matchingByGroup: [], windowMatching: 0, ...plan };
  const s: PublisherSettings = {
    filler: Buffer.alloc(0),
    maxMessages: null,
    ramp: null,
    inflight: null,
    delivered: new Uint32Array(new SharedArrayBuffer(4 * 4)),
    sentCounts: new Uint32Array(new SharedArrayBuffer(4 * 4)),
    ...settings,
  };
  const recorder = new Recorder();
  return { p: new Publisher(full, sink, s, recorder), sink, recorder };
}

/** A closed-model QoS 1 publisher with a window of 5, started and pumped once: 5 messages in flight. */
/** The connection drops at `downUs` and is back at `backUs`: what the MQTT session tells the publisher. */
function outage(p: Publisher, sink: HoldingSink, downUs: number, backUs: number): void {
  sink.connected = false;
  p.connectionLost(downUs);
  sink.connected = true;
  p.resumed(backUs);
}

function fullWindow(maxMessages: number | null = null): { p: Publisher; sink: HoldingSink; recorder: Recorder } {
  const made = publisher({}, { inflight: 5, maxMessages }, new HoldingSink(true));
  made.p.start(0);
  made.p.pump(0);
  assert.equal(made.p.seq, 5, 'a full window');
  assert.equal(made.p.outstanding, 5);
  return made;
}

describe('Publisher: a lost connection (closed model, QoS 1)', () => {
  test('the messages in flight are written off as never acknowledged and the window is free again', () => {
    const { p, sink } = fullWindow();
    p.pump(10 * MS);
    assert.equal(p.seq, 5, 'no acknowledgement: the window stays full');
    sink.connected = false;
    p.connectionLost(20 * MS);
    assert.equal(p.outstanding, 0);
    assert.deepEqual(p.unacknowledged(), [[0, 5]]);
    // Back on a new connection: a whole window goes out at once.
    sink.connected = true;
    p.pump(30 * MS);
    assert.equal(p.seq, 10);
    assert.equal(p.outstanding, 5);
  });

  test('late callbacks of the dead connection change nothing', () => {
    const { p, sink, recorder } = fullWindow();
    p.connectionLost(20 * MS);
    sink.answer(0);
    sink.answer(1);
    sink.answer(2, new Error('Connection closed'));
    sink.answer(3, new Error('something else'));
    assert.equal(p.acked, 0);
    assert.equal(p.outstanding, 0);
    assert.equal(recorder.total.acked, 0);
    assert.deepEqual(recorder.errors, {});
    assert.equal(p.seq, 5, 'a late acknowledgement does not refill the window');
    assert.deepEqual(p.unacknowledged(), [[0, 5]], 'what was written off stays unacknowledged');
  });

  const cases: Array<{ name: string; max: number | null; acks: number[]; seq: number; unacked: Array<[number, number]> }> = [
    { name: 'no acknowledgement', max: 5, acks: [], seq: 5, unacked: [[0, 5]] },
    { name: 'acknowledgements of 0..2 (capped at 5: no refill)', max: 5, acks: [0, 1, 2], seq: 5, unacked: [[3, 5]] },
    { name: 'acknowledgements of 0..2 refill the window', max: null, acks: [0, 1, 2], seq: 8, unacked: [[3, 8]] },
    { name: 'acknowledgements out of order', max: 5, acks: [3, 1], seq: 5, unacked: [[0, 1], [2, 3], [4, 5]] },
    { name: 'everything acknowledged', max: 5, acks: [4, 3, 2, 1, 0], seq: 5, unacked: [] },
  ];
  for (const c of cases) {
    test(`then connectionLost: ${c.name}`, () => {
      const { p, sink, recorder } = fullWindow(c.max);
      for (const s of c.acks) sink.answer(s);
      assert.equal(p.seq, c.seq);
      assert.equal(p.acked, c.acks.length);
      assert.equal(recorder.total.acked, c.acks.length);
      p.connectionLost(20 * MS);
      assert.equal(p.outstanding, 0);
      assert.deepEqual(p.unacknowledged(), c.unacked);
      assert.deepEqual(p.unacknowledged(), c.unacked, 'asking again gives the same');
    });
  }

  test('two drops: the ranges of both connections, ascending and merged', () => {
    const { p, sink } = fullWindow();
    sink.answer(0);
    assert.equal(p.seq, 6, 'the acknowledgement refilled the window');
    p.connectionLost(20 * MS);
    assert.deepEqual(p.unacknowledged(), [[1, 6]]);
    // A new connection: a whole window (6..10), 8 acknowledged (which sends 11), then it drops too.
    p.pump(30 * MS);
    assert.equal(p.seq, 11);
    sink.answer(8);
    assert.equal(p.seq, 12);
    p.connectionLost(40 * MS);
    assert.deepEqual(p.unacknowledged(), [[1, 8], [9, 12]]);
    assert.equal(p.acked, 2);
  });

  test('still in flight at the end: unacknowledged without a drop', () => {
    const { p, sink } = fullWindow(5);
    sink.answer(0);
    sink.answer(4);
    assert.deepEqual(p.unacknowledged(), [[1, 4]]);
  });
});

describe('Publisher on the MQTT.js sink: publish errors', () => {
  // MQTT.js fails the messages in flight with these when it gives a connection up: the sink
  // leaves them to the drop (counted once, as a drop), and reports any other error as failed.
  const cases: Array<{ message: string; publishError: boolean }> = [
    { message: 'Connection closed', publishError: false },
    { message: 'connection closed', publishError: false },
    { message: 'client disconnecting', publishError: false },
    { message: 'Invalid topic', publishError: true },
    { message: 'Publish error: quota exceeded', publishError: true },
  ];
  for (const c of cases) {
    test(`'${c.message}': ${c.publishError ? "a 'publish' error" : 'the connection going, not a publish error'}`, () => {
      const callbacks: Array<(err?: Error) => void> = [];
      const client = { connected: true, options: {}, publish: (_t: string, _p: Buffer, _o: unknown, cb: (err?: Error) => void) => void callbacks.push(cb) };
      const sink = mqttSink({ up: true, client: client as unknown as MqttClient }, 't', 1);
      const recorder = new Recorder();
      const full: PublisherPlan = { publisherId: 1, group: 0, ratePerSecond: null, startOffsetUs: 0, matching: 0, matchingByGroup: [], windowMatching: 0 };
      const settings: PublisherSettings = { filler: Buffer.alloc(0), maxMessages: 5, ramp: null, inflight: 5, delivered: new Uint32Array(4), sentCounts: new Uint32Array(4) };
      const p = new Publisher(full, sink, settings, recorder);
      p.start(0);
      p.pump(0);
      assert.equal(callbacks.length, 5);
      callbacks[1]!(new Error(c.message));
      assert.deepEqual(recorder.errors, c.publishError ? { publish: 1 } : {});
      assert.equal(p.acked, 0);
      // A publish error frees its slot; a message of a dying connection waits for connectionLost.
      assert.equal(p.outstanding, c.publishError ? 4 : 5);
      callbacks[0]!();
      assert.equal(p.acked, 1, 'an acknowledgement through the same sink');
      p.connectionLost(20 * MS);
      // Either way the broker never acknowledged it.
      assert.deepEqual(p.unacknowledged(), [[1, 5]]);
      assert.deepEqual(recorder.errors, c.publishError ? { publish: 1 } : {}, 'the drop adds no error');
    });
  }
});

describe('Publisher: QoS 0 has no acknowledgements', () => {
  test('unacknowledged() is null, before and after a drop', () => {
    const { p } = publisher({}, { inflight: 5, maxMessages: 5 }, new HoldingSink(false));
    p.start(0);
    p.pump(0);
    assert.equal(p.unacknowledged(), null);
    p.connectionLost(20 * MS);
    assert.equal(p.unacknowledged(), null);
  });
});

describe('Publisher: resumed after a drop (open model)', () => {
  const T = 5 * SECOND;
  const cases: Array<{ name: string; rate: number; downMs: number }> = [
    { name: '1000/s, 100 ms without a connection', rate: 1000, downMs: 100 },
    { name: '250/s, 100 ms without a connection', rate: 250, downMs: 100 },
    { name: '300/s (an interval of 3333.3 us), 100 ms', rate: 300, downMs: 100 },
    { name: '1000/s, 2.5 s without a connection', rate: 1000, downMs: 2500 },
    { name: 'back before the next due time: nothing unsent', rate: 10, downMs: 50 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const interval = SECOND / c.rate;
      const { p, sink } = publisher({ ratePerSecond: c.rate }, {}, new HoldingSink(false));
      p.start(T);
      p.pump(T);
      assert.equal(p.seq, 1, 'the first message, due at the start');
      const nextDue = T + interval;
      sink.connected = false;
      p.connectionLost(T + 10);
      for (let t = T; t < T + c.downMs * MS; t += 10 * MS) p.pump(t);
      assert.equal(p.seq, 1, 'nothing sent without a connection');
      const now = T + c.downMs * MS;
      sink.connected = true;
      p.resumed(now);
      const skipped = Math.max(0, Math.floor((now - nextDue) / interval));
      assert.equal(p.unsent, skipped);
      // The next pump sends only what is due from now on, not a burst of the skipped ones.
      p.pump(now);
      assert.ok(p.seq - 1 <= 1, `sent ${p.seq - 1} at the comeback`);
      assert.equal(p.seq, nextDue + skipped * interval <= now ? 2 : 1);
      // Then the schedule goes on at its rate.
      const before = p.seq;
      p.pump(now + SECOND);
      assert.ok(Math.abs(p.seq - before - c.rate) <= 1, `sent ${p.seq - before} in the second after`);
    });
  }

  test('two outages add up', () => {
    const { p, sink, recorder } = publisher({ ratePerSecond: 1000 }, {}, new HoldingSink(false));
    recorder.steadyStartUs = 0;
    p.start(T);
    p.pump(T);
    outage(p, sink, T, T + 100 * MS);
    p.pump(T + 100 * MS);
    p.pump(T + 150 * MS);
    const sent = p.seq;
    outage(p, sink, T + 150 * MS, T + 300 * MS);
    p.pump(T + 300 * MS);
    // Due at T, T+1ms, ..., T+300ms: 301 messages, each sent or unsent once.
    assert.equal(p.seq + p.unsent, 301);
    assert.equal(recorder.steadyUnsent, p.unsent);
    // At T, at T+100ms (the comeback), then T+101ms..T+150ms.
    assert.equal(sent, 52);
  });

  test('not running (before start or after stop): nothing counted', () => {
    const { p, recorder } = publisher({ ratePerSecond: 1000 }, {}, new HoldingSink(false));
    recorder.steadyStartUs = 0;
    p.resumed(T);
    assert.equal(p.unsent, 0);
    p.start(T);
    p.pump(T);
    p.stop();
    p.resumed(T + SECOND);
    assert.equal(p.unsent, 0);
    assert.equal(recorder.steadyUnsent, 0);
  });

  test('the closed model has no schedule: nothing unsent', () => {
    const { p } = fullWindow();
    p.connectionLost(10 * MS);
    p.resumed(10 * SECOND);
    assert.equal(p.unsent, 0);
  });

  // The outage: from T to T+200ms; skipped are the messages due at T+1ms .. T+199ms.
  // Recorder.steadyUnsent counts the skipped messages *due* in the steady window, by their due
  // times, not by the comeback time: an outage across the start of the window does not count its
  // warm-up messages as steady, one across the end still counts its steady ones.
  const spans: Array<{ name: string; startMs: number; endMs: number; steadyUnsent: number }> = [
    { name: 'an outage inside the steady window: counted there', startMs: 0, endMs: 10_000, steadyUnsent: 199 },
    { name: 'an outage during the warm-up, before the steady window: not counted there', startMs: 1000, endMs: 10_000, steadyUnsent: 0 },
    { name: 'an outage in the drain, after the steady window: not counted there', startMs: -1000, endMs: 0, steadyUnsent: 0 },
    { name: 'an outage across the start of the steady window: only what fell due in it is steady', startMs: 100, endMs: 10_000, steadyUnsent: 100 },
    { name: 'an outage across the end of the steady window: what fell due before the end is steady', startMs: 0, endMs: 100, steadyUnsent: 99 },
    { name: 'back exactly at the start of the steady window: nothing fell due in it', startMs: 200, endMs: 10_000, steadyUnsent: 0 },
    { name: 'back exactly at the end of the steady window: everything fell due in it', startMs: 0, endMs: 200, steadyUnsent: 199 },
  ];
  for (const w of spans) {
    test(w.name, () => {
      const { p, sink, recorder } = publisher({ ratePerSecond: 1000 }, {}, new HoldingSink(false));
      recorder.steadyStartUs = T + w.startMs * MS;
      recorder.steadyEndUs = T + w.endMs * MS;
      p.start(T);
      p.pump(T);
      outage(p, sink, T, T + 200 * MS);
      assert.equal(p.unsent, 199);
      assert.equal(recorder.steadyUnsent, w.steadyUnsent);
    });
  }

  // With a messages cap, skipped messages count against it: sent + unsent never exceeds the cap.
  test('with a messages cap, sent + unsent stays within the cap', () => {
    const { p, sink } = publisher({ ratePerSecond: 1000 }, { maxMessages: 50 }, new HoldingSink(false));
    p.start(T);
    p.pump(T);
    outage(p, sink, T, T + 100 * MS);
    assert.equal(p.unsent, 49);
    p.pump(T + SECOND);
    assert.ok(p.seq + p.unsent <= 50, `sent ${p.seq} + unsent ${p.unsent} > cap 50`);
  });

  // An outage across the end of the rate stages: what accrued in the stages and what fell due
  // after them is skipped, and the exact schedule resumes from the comeback, with no burst.
  test('an outage across the end of the rate stages: no burst at the comeback', () => {
    const { p, sink } = publisher({ ratePerSecond: 1000 }, { ramp: { level: () => 1, endMs: 1000 } }, new HoldingSink(false));
    p.start(0, 0);
    for (let t = 0; t <= 500 * MS; t += 10 * MS) p.pump(t);
    const before = p.seq;
    assert.ok(Math.abs(before - 500) <= 2, `sent ${before} in the first 500 ms`);
    outage(p, sink, 500 * MS, 1500 * MS);
    p.pump(1500 * MS);
    assert.ok(p.seq - before <= 1, `sent ${p.seq - before} at the comeback`);
    assert.ok(p.unsent >= 499, `unsent ${p.unsent}: what fell due after the stages ended`);
  });
});
