/**
 * HdrHistogram interval logs: the text format that HdrHistogram's own tools read
 * (HistogramLogProcessor, jHiccup, hdrhistogram-go, Python hdrh). Written with hdr-histogram-js's
 * HistogramLogWriter and read with its HistogramLogReader. A log looks like:
 *
 *   #[Histogram log format version 1.3]
 *   #mqbench run <runId>
 *   #[StartTime: 1700000000.000 (seconds since epoch), 2023-11-14T22:13:20.000Z]
 *   #[BaseTime: 1700000000.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   Tag=steady.e2e,0.000,1.000,12.351,HISTFAAAA...
 *
 * - Histogram values are microseconds (as everywhere in mqbench, see ./histogram.ts).
 * - Interval_Max is the interval's max divided by MAX_VALUE_DIVISOR = 1000, so it reads in
 *   milliseconds, like the Java tools' default (they divide nanoseconds by 1e6). It is the max
 *   after encoding: the highest value equivalent to the recorded max at 3 significant digits.
 *   Readers take the histograms from the base64 column and ignore Interval_Max.
 * - Timestamps are seconds since BaseTime with 3 decimals (1 ms resolution). BaseTime is the
 *   log's StartTime, or the earliest interval start if one starts before it, so no timestamp is
 *   negative (hdrhistogram-go's reader accepts only unsigned numbers).
 * - Lines are in time order (then by tag): HistogramLogProcessor stops reading a range at the
 *   first interval past its end.
 * - An empty interval (encoded '', or a histogram with no counts) gets no line: a second with
 *   no deliveries has none. Readers treat a missing second as "nothing recorded".
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { decode, encode, mergeEncoded } from './histogram.js';

export interface HdrLogInterval {
  /** A tag from hdrLogTag, or '' for an untagged line. */
  tag: string;
  /** When the interval began, ms since the epoch (1 ms resolution in the log). */
  startEpochMs: number;
  /** Interval length in ms. */
  lengthMs: number;
  /** histogram.ts encoding (compressed base64 V2, values in us); '' = empty. */
  encoded: string;
}

export interface HdrLogInput {
  runId: string;
  /** The log's StartTime, ms since the epoch. */
  startEpochMs: number;
  intervals: HdrLogInterval[];
}

export interface HdrLogReadInterval {
  tag: string;
  startEpochMs: number;
  lengthMs: number;
  totalCount: number;
  /** histogram.ts encoding; '' when the line's histogram has no counts. */
  encoded: string;
}

/** Histogram values are us; Interval_Max is written in ms. */
export const MAX_VALUE_DIVISOR = 1000;

/** Characters a tag keeps; anything else (',', ' ', '=', other punctuation, non-ASCII) becomes '_'. */
const UNSAFE_TAG_CHARS = /[^A-Za-z0-9._-]/g;
const SAFE_TAG = /^[A-Za-z0-9._-]+$/;
const RUN_COMMENT = 'mqbench run ';
const NOT_A_LOG = 'not an HdrHistogram interval log';
/** hdr-histogram-js's tag of an untagged line (its Histogram.NO_TAG, not exported from the package). */
const NO_TAG = 'NO TAG';
/** [Tag=tag,]start,length,max,base64, as the reader splits it: on commas. */
const INTERVAL_LINE = /^(?:Tag=[^,]*,)?([^,]+),([^,]+),([^,]+),[A-Za-z0-9+/=]+$/;

/**
 * `${phase}.${metric}` with every character other than A-Z a-z 0-9 . _ - replaced by '_' (an
 * empty part becomes '_'). Commas separate fields, spaces separate tokens in the Java reader and
 * '=' ends 'Tag', so none may appear. Different names can map to the same tag ('a b', 'a_b'):
 * phases whose names differ only in such characters share a tag.
 */
export function hdrLogTag(phase: string, metric: string): string {
  const safe = (s: string): string => (s === '' ? '_' : s.replace(UNSAFE_TAG_CHARS, '_'));
  return `${safe(phase)}.${safe(metric)}`;
}

/** The whole log as text. Throws on a tag unsafe for the format or a time that is not a finite number. */
export function hdrLogText(input: HdrLogInput): string {
  checkTime('startEpochMs', input.startEpochMs);
  const lines: Array<{ interval: HdrLogInterval; histogram: hdr.Histogram }> = [];
  for (const interval of input.intervals) {
    checkInterval(interval);
    if (interval.encoded === '') continue;
    const histogram = decode(interval.encoded);
    if (histogram.totalCount === 0) continue;
    histogram.tag = interval.tag === '' ? NO_TAG : interval.tag;
    lines.push({ interval, histogram });
  }
  lines.sort((a, b) => a.interval.startEpochMs - b.interval.startEpochMs || compareText(a.interval.tag, b.interval.tag));
  // reduce, not Math.min(...): a day of per-second intervals is more arguments than a call takes.
  const baseMs = lines.reduce((min, l) => Math.min(min, l.interval.startEpochMs), input.startEpochMs);
  let text = '';
  const writer = new hdr.HistogramLogWriter((chunk) => (text += chunk));
  writer.outputLogFormatVersion();
  writer.outputComment(`${RUN_COMMENT}${input.runId.replace(/[\r\n]+/g, ' ')}`);
  // outputStartTime adds a second '\n' (a blank line) and a local-time date; the Java format is
  // one line, so the same line through outputComment, with the date in UTC.
  writer.outputComment(`[StartTime: ${seconds(input.startEpochMs)} (seconds since epoch), ${new Date(input.startEpochMs).toISOString()}]`);
  // HistogramLogWriter has no outputBaseTime: the Java writer's line, through outputComment.
  writer.outputComment(`[BaseTime: ${seconds(baseMs)} (seconds since epoch)]`);
  writer.outputLegend();
  for (const { interval, histogram } of lines) {
    const startSec = (interval.startEpochMs - baseMs) / 1000;
    writer.outputIntervalHistogram(histogram, startSec, startSec + interval.lengthMs / 1000, MAX_VALUE_DIVISOR);
  }
  return text;
}

/** The intervals of a log, in file order. Throws an Error naming the line when `text` is not an HdrHistogram interval log. */
export function readHdrLog(text: string): HdrLogReadInterval[] {
  return parseLog(text).intervals;
}

/**
 * Several logs (e.g. one per shard machine) into one. Intervals with the same tag that start in
 * the same wall-clock second (floor(startEpochMs / 1000)) are added exactly; the sum starts at
 * the earliest of their starts and lasts until the latest of their ends. Same-second intervals
 * within one log are added too. StartTime is the earliest StartTime (a log without one counts
 * from its first interval); runId is the distinct run ids of the inputs joined by '+'.
 */
export function mergeHdrLogs(texts: string[]): HdrLogInput {
  if (texts.length === 0) throw new Error('mergeHdrLogs: no logs given');
  const groups = new Map<string, { tag: string; start: number; end: number; encoded: string[] }>();
  const runIds: string[] = [];
  const starts: number[] = [];
  texts.forEach((text, i) => {
    let log: ParsedLog;
    try {
      log = parseLog(text);
    } catch (err) {
      throw new Error(`log ${i + 1} of ${texts.length}: ${(err as Error).message}`, { cause: err });
    }
    for (const id of log.runIds) if (!runIds.includes(id)) runIds.push(id);
    if (log.startEpochMs !== undefined) starts.push(log.startEpochMs);
    else if (log.intervals.length > 0) starts.push(log.intervals.reduce((min, iv) => Math.min(min, iv.startEpochMs), Infinity));
    for (const iv of log.intervals) {
      if (iv.totalCount === 0) continue;
      const key = `${iv.tag}\n${Math.floor(iv.startEpochMs / 1000)}`;
      const group = groups.get(key);
      const end = iv.startEpochMs + iv.lengthMs;
      if (group === undefined) {
        groups.set(key, { tag: iv.tag, start: iv.startEpochMs, end, encoded: [iv.encoded] });
      } else {
        group.start = Math.min(group.start, iv.startEpochMs);
        group.end = Math.max(group.end, end);
        group.encoded.push(iv.encoded);
      }
    }
  });
  const intervals = [...groups.values()]
    .map((g) => ({ tag: g.tag, startEpochMs: g.start, lengthMs: g.end - g.start, encoded: encode(mergeEncoded(g.encoded)) }))
    .sort((a, b) => a.startEpochMs - b.startEpochMs || compareText(a.tag, b.tag));
  return { runId: runIds.join('+'), startEpochMs: starts.length === 0 ? 0 : starts.reduce((a, b) => Math.min(a, b)), intervals };
}

/**
 * Writes hdrLogText(input) to `file` atomically: to `<file>.<pid>.tmp` (created, never an
 * existing file followed), then renamed into place; the parent directory is created. On a
 * failure the temporary file is removed and the error is thrown.
 */
export async function writeHdrLog(file: string, input: HdrLogInput): Promise<void> {
  const text = hdrLogText(input);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    // EEXIST: the temporary name is someone else's file, which is left alone.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rm(tmp, { force: true });
    throw err;
  }
}

interface ParsedLog {
  runIds: string[];
  startEpochMs: number | undefined;
  intervals: HdrLogReadInterval[];
}

function parseLog(text: string): ParsedLog {
  const { runIds, intervalLines } = checkLines(text);
  const reader = new hdr.HistogramLogReader(text, 32, false);
  const intervals: HdrLogReadInterval[] = [];
  for (;;) {
    let h: hdr.Histogram | null;
    try {
      h = reader.nextIntervalHistogram();
    } catch (err) {
      throw new Error(`${NOT_A_LOG}: line ${reader.currentLineIndex}: the histogram does not decode (${(err as Error).message})`, { cause: err });
    }
    if (h === null) break;
    // Line numbers are 1-based; currentLineIndex is one past the line just read.
    if (!intervalLines.has(reader.currentLineIndex)) throw new Error(`${NOT_A_LOG}: line ${reader.currentLineIndex} was read as an interval`);
    const startEpochMs = Math.round(h.startTimeStampMsec);
    const totalCount = h.totalCount;
    intervals.push({
      tag: h.tag === NO_TAG ? '' : h.tag,
      startEpochMs,
      lengthMs: Math.round(h.endTimeStampMsec) - startEpochMs,
      totalCount,
      encoded: totalCount === 0 ? '' : encode(h),
    });
  }
  if (intervals.length !== intervalLines.size) throw new Error(`${NOT_A_LOG}: ${intervalLines.size} interval lines, ${intervals.length} read`);
  const startSec = reader.startTimeSec as number | undefined;
  return { runIds, startEpochMs: startSec === undefined ? undefined : Math.round(startSec * 1000), intervals };
}

/**
 * Checks every line first: HistogramLogReader skips lines without a comma and fails on others
 * with a decoder message, so a JSON or CSV file would read as an empty log or a cryptic error.
 * Returns the run ids of '#mqbench run' comments and the (1-based) numbers of interval lines.
 */
function checkLines(text: string): { runIds: string[]; intervalLines: Set<number> } {
  const lines = text.split(/\r\n|\r|\n/);
  const intervalLines = new Set<number>();
  const runIds: string[] = [];
  let recognized = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith(`#${RUN_COMMENT}`)) runIds.push(line.slice(RUN_COMMENT.length + 1));
      const meta = /^#\[(StartTime|BaseTime): (\S*)/.exec(line);
      if (meta !== null && !Number.isFinite(Number(meta[2]))) throw new Error(`${NOT_A_LOG}: line ${i + 1}: ${meta[1]} ${JSON.stringify(meta[2])} is not a number of seconds`);
      if (meta !== null || line.startsWith('#[Histogram log format version')) recognized = true;
      continue;
    }
    if (line.startsWith('"StartTimestamp"')) {
      recognized = true;
      continue;
    }
    const m = INTERVAL_LINE.exec(line);
    if (m === null || !m.slice(1, 4).every((f) => Number.isFinite(Number(f)))) {
      throw new Error(`${NOT_A_LOG}: line ${i + 1} is neither a comment, the legend nor an interval line (Tag=tag,start,length,max,base64): ${JSON.stringify(line.slice(0, 60))}`);
    }
    intervalLines.add(i + 1);
    recognized = true;
  }
  if (!recognized) throw new Error(`${NOT_A_LOG}: ${text.trim() === '' ? 'the text is empty' : 'no StartTime, legend or interval line in it'}`);
  return { runIds, intervalLines };
}

function checkInterval(iv: HdrLogInterval): void {
  if (iv.tag !== '' && !SAFE_TAG.test(iv.tag)) throw new Error(`HdrHistogram log tag ${JSON.stringify(iv.tag)}: only A-Z a-z 0-9 . _ - are allowed (make tags with hdrLogTag)`);
  checkTime(`interval ${iv.tag} startEpochMs`, iv.startEpochMs);
  checkTime(`interval ${iv.tag} lengthMs`, iv.lengthMs);
}

function checkTime(what: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`HdrHistogram log: ${what} is ${ms}, not a time in ms >= 0`);
}

/** Seconds with 3 decimals, as the Java writer's %.3f. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
