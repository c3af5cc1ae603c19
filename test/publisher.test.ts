/**
 * The publisher's schedule (src/worker/publisher.ts), driven with a fake sink and explicit
 * times: pump(nowUs) is called with made-up microseconds, so nothing waits on a real clock
 * and nothing depends on how fast the machine is.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublishSink, SinkListener } from '../src/drivers/sink.js';
import { decodeHeader } from '../src/metrics/payload.js';
import { Recorder } from '../src/metrics/recorder.js';
import { levelAt } from '../src/plan/plan.js';
import type { Stage } from '../src/config/model.js';
import { Publisher, type PublisherPlan, type PublisherSettings } from '../src/worker/publisher.js';

/** Records every payload; acknowledges at once, or holds the messages until `release()`. */
class FakeSink implements PublishSink {
  connected = true;
  readonly payloads: Buffer[] = [];
  /** The buffers publish() was given (the same one again when the publisher reuses it). */
  readonly given: Buffer[] = [];
  private readonly held: number[] = [];
  private listener: SinkListener | null = null;
  constructor(
    readonly acknowledged: boolean,
    private readonly hold = false,
    /** True: the sink copies the payload (the publisher may reuse its buffer), as the lean MQTT sink does. */
    readonly copiesPayload = false,
  ) {}

  listen(l: SinkListener): void {
    this.listener = l;
  }

  publish(payload: Buffer, seq: number): void {
    this.given.push(payload);
    this.payloads.push(this.copiesPayload ? Buffer.from(payload) : payload);
    if (this.hold) this.held.push(seq);
    else this.listener!.done(seq);
  }

  /** Acknowledges the `n` oldest held messages. */
  release(n = 1): void {
    for (let i = 0; i < n; i++) {
      const seq = this.held.shift();
      if (seq !== undefined) this.listener!.done(seq);
    }
  }

  get seqs(): number[] {
    return this.payloads.map((p) => decodeHeader(p)?.seq ?? -1);
  }

  get intended(): number[] {
    return this.payloads.map((p) => decodeHeader(p)?.intendedWire ?? -1);
  }
}

const SECOND = 1_000_000;

function publisher(plan: Partial<PublisherPlan>, settings: Partial<PublisherSettings>, sink = new FakeSink(false)): { p: Publisher; sink: FakeSink } {
  const matching = plan.matching ?? 0;
  const full: PublisherPlan = { publisherId: 1, group: 0, ratePerSecond: null, startOffsetUs: 0, matching, matchingByGroup: [], windowMatching: matching, ...plan };
  const s: PublisherSettings = { filler: Buffer.alloc(0), maxMessages: null, ramp: null, inflight: null, delivered: new Uint32Array(4), sentCounts: new Uint32Array(4), ...settings };
  return { p: new Publisher(full, sink, s, new Recorder()), sink };
}

/** Pumps from `fromUs` to `toUs` (inclusive) every `stepUs`. */
function pumpEvery(p: Publisher, fromUs: number, toUs: number, stepUs: number): void {
  for (let t = fromUs; t < toUs; t += stepUs) p.pump(t);
  p.pump(toUs);
}

describe('Publisher: open model schedule', () => {
  test('sends what is due, on the schedule, carrying its intended times', () => {
    const { p, sink } = publisher({ ratePerSecond: 1000 }, {});
    p.start(0);
    p.pump(0);
    assert.equal(p.seq, 1);
    p.pump(2_500);
    // Due at 0, 1000, 2000 us.
    assert.deepEqual(sink.seqs, [0, 1, 2]);
    assert.deepEqual(sink.intended, [0, 1000, 2000]);
    p.pump(SECOND);
    assert.equal(p.seq, 1001);
  });

  test('a sink that copies: one payload buffer rewritten per message, each header and filler as sent', () => {
    const filler = Buffer.from('0123456789');
    const sink = new FakeSink(true, false, true);
    const { p } = publisher({ ratePerSecond: 1000 }, { filler }, sink);
    p.start(0);
    p.pump(2_500);
    assert.deepEqual(sink.seqs, [0, 1, 2]);
    assert.deepEqual(sink.intended, [0, 1000, 2000]);
    for (const payload of sink.payloads) assert.ok(payload.subarray(16).equals(filler), 'the filler after the header');
    assert.equal(new Set(sink.given).size, 1, 'one buffer, rewritten');
    // A sink that keeps the payload (MQTT.js, ws) gets a new buffer per message.
    const keeping = new FakeSink(true);
    const { p: q } = publisher({ ratePerSecond: 1000 }, { filler }, keeping);
    q.start(0);
    q.pump(2_500);
    assert.equal(new Set(keeping.payloads).size, 3, 'three buffers');
    assert.deepEqual(keeping.seqs, [0, 1, 2]);
  });

  test('the start offset delays the first send', () => {
    const { p, sink } = publisher({ ratePerSecond: 100, startOffsetUs: 2500 }, {});
    p.start(SECOND);
    p.pump(SECOND + 2000);
    assert.equal(p.seq, 0);
    p.pump(SECOND + 25_000);
    assert.deepEqual(sink.intended, [SECOND + 2500, SECOND + 12_500, SECOND + 22_500]);
  });

  test('nothing before start, nothing after stop, nothing while disconnected', () => {
    const { p, sink } = publisher({ ratePerSecond: 1000 }, {});
    p.pump(SECOND);
    assert.equal(p.seq, 0);
    p.start(0);
    sink.connected = false;
    p.pump(SECOND);
    assert.equal(p.seq, 0);
    sink.connected = true;
    p.pump(9000);
    assert.equal(p.seq, 10);
    p.stop();
    p.pump(2 * SECOND);
    assert.equal(p.seq, 10);
  });
});

describe('Publisher: sent counts shared with late joiners', () => {
  test('its seq is stored at its publisher id after every send, and nowhere else', () => {
    const sentCounts = new Uint32Array(4);
    const stored: number[] = [];
    const sink = new FakeSink(false);
    const publish = sink.publish.bind(sink);
    // Read the shared count as each message goes out: it already counts that message.
    sink.publish = (payload, done) => {
      stored.push(Atomics.load(sentCounts, 2));
      publish(payload, done);
    };
    const { p } = publisher({ publisherId: 2, ratePerSecond: 1000 }, { sentCounts }, sink);
    p.start(0);
    p.pump(4_000);
    assert.equal(p.seq, 5);
    assert.deepEqual(stored, [1, 2, 3, 4, 5]);
    assert.deepEqual([...sentCounts], [0, 0, 5, 0]);
  });

  test('the closed model keeps it too, up to the cap', () => {
    const sentCounts = new Uint32Array(2);
    const { p } = publisher({}, { inflight: 2, maxMessages: 6, sentCounts }, new FakeSink(true));
    p.start(0);
    p.pump(0);
    assert.equal(p.seq, 6);
    assert.equal(Atomics.load(sentCounts, 1), 6);
  });
});

describe('Publisher: the messages cap', () => {
  const cases: Array<{ name: string; plan: Partial<PublisherPlan>; settings: Partial<PublisherSettings>; max: number | null; ack: boolean; sent: number }> = [
    { name: 'open model stops at the cap', plan: { ratePerSecond: 1000 }, settings: {}, max: 5, ack: false, sent: 5 },
    { name: 'open model without a cap keeps going', plan: { ratePerSecond: 1000 }, settings: {}, max: null, ack: false, sent: 101 },
    { name: 'closed model stops at the cap', plan: {}, settings: { inflight: 3 }, max: 7, ack: true, sent: 7 },
    { name: 'a cap of 1', plan: {}, settings: { inflight: 10 }, max: 1, ack: true, sent: 1 },
    {
      name: 'open model ramp stops at the cap',
      plan: { ratePerSecond: 1000 },
      settings: { ramp: { level: () => 1, endMs: 10_000 } },
      max: 20,
      ack: false,
      sent: 20,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { p, sink } = publisher(c.plan, { ...c.settings, maxMessages: c.max }, new FakeSink(c.ack));
      p.start(0);
      pumpEvery(p, 0, 100_000, 10_000);
      assert.equal(p.seq, c.sent);
      assert.deepEqual(sink.seqs, Array.from({ length: c.sent }, (_, i) => i));
      if (c.max !== null) {
        p.pump(10 * SECOND);
        assert.equal(p.seq, c.sent, 'still at the cap later');
      }
    });
  }

  test('closed model: the window refills on acknowledgements, up to the cap', () => {
    const sink = new FakeSink(true, true);
    const { p } = publisher({}, { inflight: 3, maxMessages: 7 }, sink);
    p.start(0);
    p.pump(0);
    assert.equal(p.seq, 3, 'a full window');
    sink.release(1);
    assert.equal(p.seq, 4, 'one acknowledged, one more sent');
    sink.release(2);
    assert.equal(p.seq, 6);
    sink.release(5);
    assert.equal(p.seq, 7, 'the cap holds');
    assert.equal(p.acked, 7);
    assert.equal(p.outstanding, 0);
  });
});

describe('Publisher: open-model ramp (rate stages)', () => {
  const rate = (durationMs: number, level: number): Stage => ({ durationMs, kind: 'rate', level });
  /** Messages per second x the level, integrated over [fromMs, toMs]: the sends a ramp should make. */
  const integral = (stages: Stage[], perSecond: number, fromMs: number, toMs: number): number => {
    let sum = 0;
    for (let ms = fromMs; ms < toMs; ms++) sum += (perSecond * levelAt(stages, ms + 0.5)) / 1000;
    return sum;
  };

  const cases: Array<{ name: string; stages: Stage[]; perSecond: number; stepUs: number | number[]; startMs?: number }> = [
    { name: 'one stage 0 -> 100% over 10s', stages: [rate(10_000, 1)], perSecond: 100, stepUs: 100_000 },
    { name: 'two stages 50% then 100%', stages: [rate(4000, 0.5), rate(4000, 1)], perSecond: 100, stepUs: 100_000 },
    { name: 'up, hold, down to 20%', stages: [rate(2000, 1), rate(2000, 1), rate(2000, 0.2)], perSecond: 250, stepUs: 50_000 },
    { name: 'a fast publisher pumped every millisecond', stages: [rate(3000, 1)], perSecond: 5000, stepUs: 1000 },
    { name: 'pumped at irregular times', stages: [rate(3000, 0.3), rate(3000, 1)], perSecond: 200, stepUs: [1000, 37_000, 250_000, 3000, 91_000, 400_000, 12_000] },
    { name: 'pumped once at the end of a linear stage', stages: [rate(10_000, 1)], perSecond: 100, stepUs: 10 * SECOND },
    { name: 'a late joiner halfway through', stages: [rate(10_000, 1)], perSecond: 100, stepUs: 100_000, startMs: 5000 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const endMs = c.stages.reduce((a, s) => a + s.durationMs, 0);
      const { p, sink } = publisher({ ratePerSecond: c.perSecond }, { ramp: { level: (ms) => levelAt(c.stages, ms), endMs } });
      const startUs = (c.startMs ?? 0) * 1000;
      p.start(startUs, 0);
      const steps = Array.isArray(c.stepUs) ? c.stepUs : [c.stepUs];
      let t = startUs;
      for (let i = 0; t < endMs * 1000; i++) {
        t = Math.min(endMs * 1000 - 1, t + (steps[i % steps.length] ?? 1000));
        p.pump(t);
        if (t === endMs * 1000 - 1) break;
      }
      const expected = integral(c.stages, c.perSecond, c.startMs ?? 0, endMs);
      // About the integral of rate x level: within two messages whatever the pump times.
      assert.ok(Math.abs(p.seq - expected) <= 2, `sent ${p.seq} during the ramp, expected about ${expected.toFixed(1)}`);
      // Intended times rise and stay inside the ramp.
      const intended = sink.intended;
      for (let i = 1; i < intended.length; i++) assert.ok((intended[i] ?? 0) >= (intended[i - 1] ?? 0), `intended times fall at ${i}`);
      for (const us of intended) assert.ok(us >= startUs && us <= endMs * 1000, `intended ${us} outside the ramp`);
      // After the stages the exact schedule at 100% takes over from their end.
      const atEnd = p.seq;
      p.pump(endMs * 1000 + SECOND);
      const after = p.seq - atEnd;
      assert.ok(Math.abs(after - c.perSecond) <= 2, `sent ${after} in the second after the ramp, expected ${c.perSecond}`);
    });
  }

  test('the ramp is measured from the load start, not the join', () => {
    const stages = [rate(10_000, 1)];
    const early = publisher({ ratePerSecond: 100 }, { ramp: { level: (ms) => levelAt(stages, ms), endMs: 10_000 } });
    const late = publisher({ ratePerSecond: 100 }, { ramp: { level: (ms) => levelAt(stages, ms), endMs: 10_000 } });
    early.p.start(0, 0);
    late.p.start(8 * SECOND, 0);
    pumpEvery(early.p, 0, 9 * SECOND, 100_000);
    pumpEvery(late.p, 8 * SECOND, 9 * SECOND, 100_000);
    // Between 8s and 9s both send at 80-90% of 100/s.
    const earlyFrom8 = early.sink.intended.filter((us) => us >= 8 * SECOND).length;
    assert.ok(Math.abs(late.p.seq - 85) <= 2, `late joiner sent ${late.p.seq}`);
    assert.ok(Math.abs(earlyFrom8 - late.p.seq) <= 2, `${earlyFrom8} vs ${late.p.seq}`);
  });

  test('no ramp settings: full rate from the start', () => {
    const { p } = publisher({ ratePerSecond: 100 }, { ramp: null });
    p.start(0);
    pumpEvery(p, 0, SECOND - 1, 100_000);
    assert.equal(p.seq, 100);
  });
});
