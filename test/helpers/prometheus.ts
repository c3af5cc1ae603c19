/**
 * Reading the Prometheus text exposition format in tests: every line checked against the
 * format's grammar, then parsed by prom2javascript. (parse-prometheus-text-format, the more
 * downloaded parser, merges every labelled series of a histogram into one: its upstream
 * issue #13 and pull request #8 are open since 2019/2020.)
 */
import assert from 'node:assert/strict';
import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from 'prom2javascript';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)';
const SAMPLE = new RegExp(`^${NAME}(?:\\{(?:${LABEL}(?:,${LABEL})*)?\\})? ${VALUE}(?: -?\\d+)?$`);
const COMMENT = new RegExp(`^# (?:HELP ${NAME} .*|TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped))$`);

/** The metric families by name; fails on any line outside the text format. */
export async function parseExposition(text: string): Promise<PromMetrics> {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  const lines = text.split('\n');
  for (const line of lines) {
    if (line === '') continue;
    assert.match(line, line.startsWith('#') ? COMMENT : SAMPLE, `not a line of the Prometheus text format: ${line}`);
  }
  return getMetricsFromIterator(lines[Symbol.iterator]());
}

function family(m: PromMetrics, name: string, type: string): PromMetrics[string] {
  const f = m[name];
  assert.ok(f !== undefined, `no metric family ${name} in ${Object.keys(m).join(', ')}`);
  assert.equal(f.type, type, `${name} is a ${type}`);
  return f;
}

/** The samples of a counter or gauge family; [] when it has none. */
export function samplesOf(m: PromMetrics, name: string, type: 'counter' | 'gauge' = name.endsWith('_total') ? 'counter' : 'gauge'): PromData[] {
  return family(m, name, type).data as PromData[];
}

/** The one sample of `name` whose labels include `labels`. */
export function sampleOf(m: PromMetrics, name: string, labels: Record<string, string>): number {
  const found = samplesOf(m, name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

/** The series of a histogram family. */
export function histogramOf(m: PromMetrics, name: string): PromHistogramData[] {
  return family(m, name, 'histogram').data as PromHistogramData[];
}
