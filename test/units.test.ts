/**
 * Unit parsing and formatting (src/config/units.ts). The parsers never throw: they return
 * { ok: true, value } or { ok: false, error }, and the error names the offending input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, parseQosList, parseRate, parseSize, type Parsed, type Qos } from '../src/config/units.js';
import { formatBytes, formatMicros, formatRate } from '../src/metrics/format.js';

function value<T>(r: Parsed<T>, input: unknown): T {
  assert.equal(r.ok, true, `expected ${JSON.stringify(input)} to parse, got ${JSON.stringify(r)}`);
  if (!r.ok) throw new Error('unreachable');
  return r.value;
}

function error<T>(r: Parsed<T>, input: unknown): string {
  assert.equal(r.ok, false, `expected ${JSON.stringify(input)} to be rejected, got ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(typeof r.error, 'string');
  assert.notEqual(r.error, '');
  return r.error;
}

describe('parseDuration', () => {
  const valid: Array<[string | number, number]> = [
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['500us', 0.5],
    ['2m', 120_000],
    ['0s', 0],
    ['0', 0],
    ['10', 10_000], // a bare number means seconds
    ['0.25', 250],
    [' 10 s ', 10_000], // whitespace around and between is tolerated
    ['10S', 10_000], // units are case-insensitive
    ['250MS', 250],
    ['1H', 3_600_000],
    [10, 10_000], // numbers are seconds too
    [0, 0],
    [0.5, 500],
  ];
  for (const [input, ms] of valid) {
    test(`${JSON.stringify(input)} -> ${ms}ms`, () => {
      assert.equal(value(parseDuration(input), input), ms);
    });
  }

  const invalid: Array<string | number> = ['', '   ', 'abc', '-1s', '10d', '10 sec', '1e3s', 's', '1.s', '.5s', '10s10', '1,5s', -1, Number.NaN, Number.POSITIVE_INFINITY];
  for (const input of invalid) {
    test(`rejects ${JSON.stringify(String(input))}`, () => {
      const msg = error(parseDuration(input), input);
      assert.ok(msg.includes(`'${String(input)}'`), `message should quote the input: ${msg}`);
      assert.match(msg, /duration/);
    });
  }

  // `--warmup -2s` reaches the parser whole (cli/argv.ts): the message says negative, not "not a duration".
  for (const input of ['-2s', '-0.5s', ' -1ms', '-1', -1, -0.5]) {
    test(`rejects ${JSON.stringify(input)} as negative`, () => {
      assert.match(error(parseDuration(input), input), /a duration must not be negative; use e\.g\. 500ms/);
    });
  }
});

describe('parseSize', () => {
  const valid: Array<[string | number, number]> = [
    ['16', 16],
    ['16B', 16],
    ['512b', 512],
    ['1KiB', 1024],
    ['1KB', 1000],
    ['1kb', 1000],
    ['2MiB', 2 * 1024 * 1024],
    ['3MB', 3_000_000],
    ['1.5KiB', 1536],
    ['0.5KB', 500],
    [' 4 KiB ', 4096],
    ['0', 0],
    [16, 16],
    [0, 0],
  ];
  for (const [input, bytes] of valid) {
    test(`${JSON.stringify(input)} -> ${bytes} bytes`, () => {
      assert.equal(value(parseSize(input), input), bytes);
    });
  }

  const invalid: Array<[string | number, RegExp]> = [
    ['', /is not a size/],
    ['abc', /is not a size/],
    ['-16B', /a size must not be negative/],
    ['-1KiB', /a size must not be negative/],
    ['1GiB', /is not a size/],
    ['16 bytes', /is not a size/],
    ['1.5B', /is not a whole number of bytes/],
    ['0.1KiB', /is not a whole number of bytes/],
    [16.5, /is not a size in bytes/],
    [-1, /a size must not be negative/],
    [Number.NaN, /is not a size in bytes/],
  ];
  for (const [input, re] of invalid) {
    test(`rejects ${JSON.stringify(String(input))}`, () => {
      const msg = error(parseSize(input), input);
      assert.match(msg, re);
      assert.ok(msg.includes(`'${String(input)}'`), `message should quote the input: ${msg}`);
    });
  }
});

describe('parseRate', () => {
  const valid: Array<[string | number, number]> = [
    ['500', 500],
    ['500/s', 500],
    ['10k/s', 10_000],
    ['2.5k', 2500],
    ['600/m', 10],
    ['3600/h', 1],
    ['1/h', 1 / 3600],
    ['1K/S', 1000],
    [' 100 / s ', 100],
    ['0.5', 0.5],
    ['1m', 1_000_000], // m before the slash is the mega multiplier, after it per minute
    ['1m/m', 1_000_000 / 60],
    [1000, 1000],
    [0.25, 0.25],
  ];
  for (const [input, perSecond] of valid) {
    test(`${JSON.stringify(input)} -> ${perSecond}/s`, () => {
      const got = value(parseRate(input), input);
      assert.ok(Math.abs(got - perSecond) < 1e-12, `${got} != ${perSecond}`);
    });
  }

  const invalid: Array<[string | number, RegExp]> = [
    ['', /is not a rate/],
    ['fast', /is not a rate/],
    ['-5', /a rate must not be negative/],
    ['-5k/s', /a rate must not be negative/],
    ['5/d', /is not a rate/],
    ['10g/s', /is not a rate/],
    ['/s', /is not a rate/],
    ['0', /must be greater than zero/],
    ['0/s', /must be greater than zero/],
    ['0.0k', /must be greater than zero/],
    [0, /is not a positive rate/],
    [-10, /is not a positive rate/],
    [Number.NaN, /is not a positive rate/],
    [Number.POSITIVE_INFINITY, /is not a positive rate/],
  ];
  for (const [input, re] of invalid) {
    test(`rejects ${JSON.stringify(String(input))}`, () => {
      const msg = error(parseRate(input), input);
      assert.match(msg, re);
      assert.ok(msg.includes(`'${String(input)}'`), `message should quote the input: ${msg}`);
    });
  }
});

describe('parseQosList', () => {
  const valid: Array<[string | number | Array<string | number>, Qos[]]> = [
    ['0,1,2', [0, 1, 2]],
    ['1', [1]],
    ['2,0', [2, 0]], // the given order is kept
    [' 0 , 2 ', [0, 2]],
    [1, [1]],
    [0, [0]],
    [[2, 1], [2, 1]],
    [['0,1', 2], [0, 1, 2]], // repeated flags, each possibly comma-separated
    [['1', '0'], [1, 0]],
  ];
  for (const [input, levels] of valid) {
    test(`${JSON.stringify(input)} -> ${JSON.stringify(levels)}`, () => {
      assert.deepEqual(value(parseQosList(input), input), levels);
    });
  }

  const invalid: Array<[string | number | Array<string | number>, RegExp]> = [
    ['3', /'3' is not a QoS level/],
    ['0,1,3', /'3' is not a QoS level/],
    ['a', /'a' is not a QoS level/],
    ['-1', /'-1' is not a QoS level/],
    ['1.0', /'1.0' is not a QoS level/],
    ['', /'' is not a QoS level/],
    ['1,', /'' is not a QoS level/],
    [3, /'3' is not a QoS level/],
    ['0,0', /QoS 0 is listed twice/],
    ['1,2,1', /QoS 1 is listed twice/],
    [[2, '2'], /QoS 2 is listed twice/],
    [[], /no QoS level given/],
  ];
  for (const [input, re] of invalid) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.match(error(parseQosList(input), input), re);
    });
  }
});

describe('format helpers', () => {
  const micros: Array<[number, string]> = [
    [0, '0us'],
    [850, '850us'],
    [849.6, '850us'],
    [999, '999us'],
    [999.6, '1.00ms'],
    [9_996, '10.0ms'],
    [999_960, '1.00s'],
    [999_999, '1.00s'],
    [1000, '1.00ms'],
    [1234, '1.23ms'],
    [9990, '9.99ms'],
    [12_345, '12.3ms'],
    [999_000, '999.0ms'],
    [1_000_000, '1.00s'],
    [1_200_000, '1.20s'],
    [65_432_100, '65.43s'],
    [Number.NaN, '-'],
    [Number.POSITIVE_INFINITY, '-'],
  ];
  for (const [us, text] of micros) {
    test(`formatMicros(${us}) = ${text}`, () => {
      assert.equal(formatMicros(us), text);
    });
  }

  const rates: Array<[number, string]> = [
    [0, '0/s'],
    [999.4, '999/s'],
    [1234.5, '1,235/s'],
    [1_000_000, '1,000,000/s'],
  ];
  for (const [n, text] of rates) {
    test(`formatRate(${n}) = ${text}`, () => {
      assert.equal(formatRate(n), text);
    });
  }

  const bytes: Array<[number, string]> = [
    [0, '0B'],
    [16, '16B'],
    [1023, '1023B'],
    [1024, '1.0KiB'],
    [1536, '1.5KiB'],
    [1024 * 1024, '1.0MiB'],
    [5.25 * 1024 * 1024, '5.3MiB'],
    [1024 * 1024 * 1024, '1.00GiB'],
    [1.5 * 1024 * 1024 * 1024, '1.50GiB'],
  ];
  for (const [n, text] of bytes) {
    test(`formatBytes(${n}) = ${text}`, () => {
      assert.equal(formatBytes(n), text);
    });
  }

  test('parseSize and formatBytes agree on binary units', () => {
    for (const s of ['1KiB', '2MiB', '512B']) {
      const n = value(parseSize(s), s);
      assert.equal(formatBytes(n).replace('.0', ''), s);
    }
  });
});
