/**
 * HdrHistogram interval logs (src/metrics/hdr-log.ts): written with hdr-histogram-js's
 * HistogramLogWriter, read back with its HistogramLogReader directly and through readHdrLog,
 * merged across logs by wall-clock second, written atomically.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { hdrLogTag, hdrLogText, mergeHdrLogs, readHdrLog, writeHdrLog, type HdrLogInput, type HdrLogInterval } from '../src/metrics/hdr-log.js';
import { decode, encode, mergeEncoded, newHistogram, record, type Histogram } from '../src/metrics/histogram.js';

function encodedOf(values: readonly number[]): string {
  const h = newHistogram();
  for (const v of values) record(h, v);
  return encode(h);
}

const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

/** Same counts, extremes, mean and percentiles: the histograms hold the same distribution. */
function assertSameHistogram(actual: Histogram, expected: Histogram, what: string): void {
  assert.equal(actual.totalCount, expected.totalCount, `${what}: totalCount`);
  assert.equal(actual.maxValue, expected.maxValue, `${what}: max`);
  assert.equal(actual.minNonZeroValue, expected.minNonZeroValue, `${what}: min`);
  assert.equal(actual.mean, expected.mean, `${what}: mean`);
  for (const p of PERCENTILES) assert.equal(actual.getValueAtPercentile(p), expected.getValueAtPercentile(p), `${what}: p${p}`);
}

/** Every interval the library's own reader finds in `text`. */
function readWithLibrary(text: string): Histogram[] {
  const reader = new hdr.HistogramLogReader(text);
  const out: Histogram[] = [];
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) out.push(h);
  return out;
}

const T0 = 1_700_000_000_000;
const E2E = hdrLogTag('steady', 'e2e');
const CONNECT = hdrLogTag('steady', 'connect');

const INPUT: HdrLogInput = {
  runId: 'run-1',
  startEpochMs: T0,
  intervals: [
    { tag: E2E, startEpochMs: T0, lengthMs: 1000, encoded: encodedOf(range(100, 1100)) },
    { tag: CONNECT, startEpochMs: T0, lengthMs: 1000, encoded: encodedOf([2500, 3100, 40_000]) },
    { tag: E2E, startEpochMs: T0 + 1000, lengthMs: 1000, encoded: encodedOf(range(1000, 50_000, 7)) },
    { tag: E2E, startEpochMs: T0 + 2000, lengthMs: 1000, encoded: '' }, // a second with nothing delivered
    { tag: E2E, startEpochMs: T0 + 3000, lengthMs: 500, encoded: encodedOf([1, 2_000_000]) },
  ],
};
/** The lines expected: empty intervals left out, in time order then by tag (INPUT is not). */
const WRITTEN = INPUT.intervals.filter((iv) => iv.encoded !== '').sort((x, y) => x.startEpochMs - y.startEpochMs || (x.tag < y.tag ? -1 : 1));

describe('hdrLogText', () => {
  const text = hdrLogText(INPUT);
  const lines = text.split('\n');

  test('has the format version, StartTime, BaseTime and the legend, before any interval', () => {
    const firstInterval = lines.findIndex((l) => l.startsWith('Tag='));
    const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
    assert.ok(at('#[Histogram log format version ') >= 0);
    assert.equal(lines[at('#[StartTime: ')]?.split(' ')[1], '1700000000.000');
    assert.equal(lines[at('#[BaseTime: ')]?.split(' ')[1], '1700000000.000');
    assert.equal(lines[at('"StartTimestamp"')], '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    for (const p of ['#[StartTime: ', '#[BaseTime: ', '"StartTimestamp"']) assert.ok(at(p) < firstInterval, p);
  });

  test('the library reader finds every non-empty interval: tag, times, counts, max and percentiles', () => {
    const read = readWithLibrary(text);
    assert.equal(read.length, WRITTEN.length);
    for (const [i, h] of read.entries()) {
      const want = WRITTEN[i]!;
      assert.equal(h.tag, want.tag);
      assert.equal(Math.round(h.startTimeStampMsec), want.startEpochMs);
      assert.equal(Math.round(h.endTimeStampMsec - h.startTimeStampMsec), want.lengthMs);
      assertSameHistogram(h, decode(want.encoded), `interval ${i}`);
    }
    assert.deepEqual(hdr.listTags(text).sort(), [CONNECT, E2E].sort());
  });

  test('Interval_Max is the max in milliseconds (us / 1000) and timestamps are seconds since BaseTime', () => {
    const intervalLines = lines.filter((l) => l.startsWith('Tag='));
    const last = intervalLines.at(-1)!.split(',');
    const max = decode(WRITTEN.at(-1)!.encoded).maxValue;
    assert.ok(max >= 2_000_000, `${max}`);
    assert.deepEqual(last.slice(0, 4), [`Tag=${E2E}`, '3.000', '0.500', (max / 1000).toFixed(3)]);
  });

  test('an untagged interval is written without Tag= and read back with tag ""', () => {
    const t = hdrLogText({ runId: 'r', startEpochMs: T0, intervals: [{ tag: '', startEpochMs: T0, lengthMs: 1000, encoded: encodedOf([5]) }] });
    assert.match(t, /^0\.000,1\.000,0\.005,HISTF/m);
    assert.equal(readHdrLog(t)[0]?.tag, '');
  });

  test('an interval whose histogram has no counts gets no line, as one encoded ""', () => {
    const empty = encode(newHistogram());
    assert.notEqual(empty, '');
    const t = hdrLogText({ runId: 'r', startEpochMs: T0, intervals: [{ tag: E2E, startEpochMs: T0, lengthMs: 1000, encoded: empty }] });
    assert.deepEqual(readWithLibrary(t), []);
    assert.deepEqual(readHdrLog(t), []);
  });

  test('a tag the format cannot hold is refused', () => {
    for (const tag of ['a,b', 'a b', 'a=b']) {
      assert.throws(() => hdrLogText({ runId: 'r', startEpochMs: T0, intervals: [{ tag, startEpochMs: T0, lengthMs: 1, encoded: encodedOf([5]) }] }), /only A-Z a-z 0-9/);
    }
  });
});

describe('hdrLogTag', () => {
  const cases: Array<[string, string, string]> = [
    ['steady', 'e2e', 'steady.e2e'],
    ['qos 1, 64B', 'e2e', 'qos_1__64B.e2e'],
    ['a=b', 'x/y', 'a_b.x_y'],
    ['', 'e2e', '_.e2e'],
    ['fan-in_2.x', 'é', 'fan-in_2.x._'],
  ];
  for (const [phase, metric, tag] of cases) test(`${JSON.stringify(phase)}, ${JSON.stringify(metric)} -> ${tag}`, () => assert.equal(hdrLogTag(phase, metric), tag));
});

describe('readHdrLog', () => {
  test('returns the intervals written, with exact counts and encodings of the same histograms', () => {
    const read = readHdrLog(hdrLogText(INPUT));
    assert.deepEqual(
      read.map(({ tag, startEpochMs, lengthMs, totalCount }) => ({ tag, startEpochMs, lengthMs, totalCount })),
      WRITTEN.map(({ tag, startEpochMs, lengthMs, encoded }) => ({ tag, startEpochMs, lengthMs, totalCount: decode(encoded).totalCount })),
    );
    for (const [i, iv] of read.entries()) assertSameHistogram(decode(iv.encoded), decode(WRITTEN[i]!.encoded), `interval ${i}`);
  });

  const notLogs: Array<[string, string, RegExp]> = [
    ['an empty file', '', /not an HdrHistogram interval log: the text is empty/],
    ['a JSON result', '{"schemaVersion": 1,\n "phases": []}\n', /not an HdrHistogram interval log: line 1 is neither a comment/],
    ['a CSV file', 'time,count,max,p99\n1,2,3,4\n', /not an HdrHistogram interval log: line 1 /],
    ['comments only', '# just a note\n', /not an HdrHistogram interval log: no StartTime, legend or interval line/],
    ['a damaged histogram', '#[StartTime: 1.000 (seconds since epoch)]\n0.000,1.000,0.005,HISTFAAAAzzz\n', /not an HdrHistogram interval log: line 2: the histogram does not decode/],
    ['a StartTime that is no number', '#[StartTime: soon (seconds since epoch)]\n', /line 1: StartTime "soon" is not a number/],
  ];
  for (const [what, text, error] of notLogs) test(`refuses ${what} with a clear error`, () => assert.throws(() => readHdrLog(text), error));
});

/** One log per shard: the same tags, StartTimes 400 ms apart, intervals every second from each StartTime. */
function shard(runId: string, startEpochMs: number, seconds: number[][]): HdrLogInput {
  const intervals: HdrLogInterval[] = [];
  seconds.forEach((values, s) => intervals.push({ tag: E2E, startEpochMs: startEpochMs + s * 1000, lengthMs: 1000, encoded: encodedOf(values) }));
  return { runId, startEpochMs, intervals };
}

describe('mergeHdrLogs', () => {
  const a = shard('run-1', T0, [range(100, 900, 3), range(1000, 2000), [7]]);
  const b = shard('run-1', T0 + 400, [range(5000, 9000, 11), range(50, 70)]);
  const merged = mergeHdrLogs([hdrLogText(a), hdrLogText(b)]);

  test('adds intervals of the same tag and wall-clock second exactly, across logs whose StartTimes differ', () => {
    assert.equal(merged.intervals.length, 3);
    const expected = [mergeEncoded([a.intervals[0]!.encoded, b.intervals[0]!.encoded]), mergeEncoded([a.intervals[1]!.encoded, b.intervals[1]!.encoded]), decode(a.intervals[2]!.encoded)];
    for (const [i, iv] of merged.intervals.entries()) {
      assert.equal(iv.tag, E2E);
      assertSameHistogram(decode(iv.encoded), expected[i]!, `second ${i}`);
    }
  });

  test('a sum spans its parts; StartTime is the earliest; the run id is kept once', () => {
    assert.deepEqual(
      merged.intervals.map((iv) => [iv.startEpochMs - T0, iv.lengthMs]),
      [
        [0, 1400],
        [1000, 1400],
        [2000, 1000],
      ],
    );
    assert.equal(merged.startEpochMs, T0);
    assert.equal(merged.runId, 'run-1');
    assert.equal(mergeHdrLogs([hdrLogText(b), hdrLogText({ ...a, runId: 'run-2' })]).runId, 'run-1+run-2');
  });

  test('the merged log writes and reads back as the same intervals', () => {
    const again = readHdrLog(hdrLogText(merged));
    assert.deepEqual(
      again.map((iv) => [iv.tag, iv.startEpochMs, iv.lengthMs]),
      merged.intervals.map((iv) => [iv.tag, iv.startEpochMs, iv.lengthMs]),
    );
    for (const [i, iv] of again.entries()) assertSameHistogram(decode(iv.encoded), decode(merged.intervals[i]!.encoded), `interval ${i}`);
  });

  test('names the log that is not an HdrHistogram log', () => {
    assert.throws(() => mergeHdrLogs([hdrLogText(a), 'hello']), /log 2 of 2: not an HdrHistogram interval log/);
  });

  test('property: any split of the intervals into logs, merged in any order, keeps the total count per tag', () => {
    const tags = [E2E, CONNECT, hdrLogTag('ramp', 'e2e')];
    const interval = fc.record({
      tag: fc.constantFrom(...tags),
      startEpochMs: fc.integer({ min: T0, max: T0 + 5000 }),
      lengthMs: fc.integer({ min: 1, max: 1000 }),
      values: fc.array(fc.integer({ min: 1, max: 10_000_000 }), { maxLength: 20 }),
      log: fc.nat(3),
    });
    fc.assert(
      fc.property(fc.array(interval, { minLength: 1, maxLength: 12 }), fc.nat(), (ivs, seed) => {
        const logs = [0, 1, 2, 3].map((n) => ({ runId: 'run', startEpochMs: T0, intervals: ivs.filter((iv) => iv.log === n).map((iv) => ({ ...iv, encoded: encodedOf(iv.values) })) }));
        const texts = logs.map(hdrLogText);
        const order = texts.map((t, i) => ({ t, k: (i * 7919 + seed) % 13 })).sort((x, y) => x.k - y.k).map((x) => x.t);
        const want = new Map<string, number>();
        for (const iv of ivs) want.set(iv.tag, (want.get(iv.tag) ?? 0) + iv.values.length);
        const totals = (input: HdrLogInput): Map<string, number> => {
          const m = new Map<string, number>();
          for (const iv of input.intervals) m.set(iv.tag, (m.get(iv.tag) ?? 0) + decode(iv.encoded).totalCount);
          return m;
        };
        const drop0 = (m: Map<string, number>): Map<string, number> => new Map([...m].filter(([, n]) => n > 0));
        assert.deepEqual(totals(mergeHdrLogs(order)), drop0(want));
        // Merging in two steps equals merging at once, second by second.
        const twoStep = mergeHdrLogs([hdrLogText(mergeHdrLogs(order.slice(0, 2))), ...order.slice(2)]);
        const atOnce = mergeHdrLogs(texts);
        assert.deepEqual(
          twoStep.intervals.map((iv) => [iv.tag, iv.startEpochMs, iv.lengthMs, decode(iv.encoded).totalCount]),
          atOnce.intervals.map((iv) => [iv.tag, iv.startEpochMs, iv.lengthMs, decode(iv.encoded).totalCount]),
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('writeHdrLog', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mqbench-hdrlog-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('writes the log text into place (creating the directory) and nothing else', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'logs', 'run-1.hlog');
    await writeHdrLog(file, INPUT);
    assert.equal(await readFile(file, 'utf8'), hdrLogText(INPUT));
    assert.deepEqual(await readdir(path.dirname(file)), ['run-1.hlog']);
  });

  test('rejects when the path cannot be written, and leaves no temporary file', async () => {
    const dir = await tempDir();
    // A directory where the file should go: the temporary file is written, the rename fails (EISDIR).
    const file = path.join(dir, 'taken');
    await mkdir(path.join(file, 'inside'), { recursive: true });
    await assert.rejects(writeHdrLog(file, INPUT), (err: NodeJS.ErrnoException) => err.code === 'EISDIR' || err.code === 'ENOTEMPTY' || err.code === 'EEXIST');
    assert.deepEqual(await readdir(dir), ['taken']);
    // A parent that is a file: nothing can be created under it.
    await writeFile(path.join(dir, 'plain'), 'not a directory');
    await assert.rejects(writeHdrLog(path.join(dir, 'plain', 'x.hlog'), INPUT), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR' || err.code === 'EEXIST');
    assert.deepEqual((await readdir(dir)).sort(), ['plain', 'taken']);
  });
});
