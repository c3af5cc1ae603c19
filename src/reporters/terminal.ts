/**
 * The terminal summary: one row per phase, side by side, then generator health and the
 * verdict. Returns text; colour only when the caller says the stream is a TTY.
 */
import { Chalk } from 'chalk';
import type { GroupResult, PhaseResult, ResultDocument } from '../metrics/result.js';
import { formatBytes, formatMicros, formatRate } from '../metrics/format.js';
import { capacityLines } from './capacity-terminal.js';
import { deliverySentence, outageSentence } from './faults.js';
import { verdictWord } from './format.js';

/** The abbreviations of the phase table and the lines under it, in one line that ends the summary. */
export const PHASES_LEGEND =
  'legend: sent/s recv/s messages published/delivered per second (steady window) · e2e publish to delivery, from the due time · ack publish to PUBACK/PUBCOMP · ' +
  'dup duplicated · ooo out of order · saturated the generator, not the target, was the limit · cpu us/msg CPU per delivered message · wire bytes on the wire per delivered message · ' +
  'w0 worker 0 · busy share of time its event loop worked · loop event-loop delay · tcp/tls/ws p99 connect stages · us/ms microseconds/milliseconds';

/** The same for a capacity search's table of levels. */
export const CAPACITY_LEGEND =
  'legend: level the load offered, in the dimension\'s unit · asked/s the publishers\' rate · achieved what the level delivered, in the dimension\'s terms · sent/s recv/s per second (steady window) · ' +
  'p50 p99 end-to-end latency percentiles · sigma contention · kappa coherency · lambda throughput of one (USL model)';

/**
 * resultFile: where the result was written, or null when it could not be written; unwritten:
 * other files of the run that could not be written (reports). A run whose files were not all
 * written never reads as PASS.
 */
export function renderSummary(doc: ResultDocument, resultFile: string | null, colour: boolean, unwritten: readonly string[] = []): string {
  const c = new Chalk({ level: colour ? 1 : 0 });
  const lines: string[] = [];
  const s = doc.scenario as {
    name?: string;
    file?: string | null;
    groups?: Array<{ name: string; clients: number; role: string; rate: number | null; inflight: number | null; payload: { bytes: number } }>;
    load?: { stages: unknown[]; warmupSeconds: number; durationSeconds: number };
  };
  const first = doc.phases[0];
  const target = first === undefined ? 'no target reached' : `${first.target.url}${first.target.kind === 'bundled' ? (first.params.protocol === 'ws' ? ' (bundled echo server)' : ` (bundled ${first.target.broker ?? 'aedes'})`) : ''}`;
  lines.push(c.bold(`mqbench ${doc.tool.version}`) + c.dim(` · run ${doc.runId} · ${target} · ${doc.sockets.workers} worker(s) · Nagle ${doc.sockets.noDelay ? 'off' : 'on'}`));
  const groups = (s.groups ?? []).map((g) => {
    const load = g.rate !== null ? `, ${formatRate(g.rate)}` : g.inflight !== null && g.role !== 'subscribe' && g.role !== 'connect-only' ? `, window ${g.inflight}` : '';
    return `${g.name} ${g.clients}x ${g.role}${load}`;
  });
  const shape = s.load === undefined ? '' : ` · ${s.load.stages.length > 0 ? `${s.load.stages.length} ramp stage(s), ` : ''}${s.load.durationSeconds}s steady after ${s.load.warmupSeconds}s warm-up`;
  lines.push(c.dim(`${s.file ? `scenario ${s.name} (${s.file}) · ` : ''}${groups.join(' · ')}${first !== undefined ? ` · ${first.params.payloadBytes}B payload` : ''}${shape}`));
  // Never the default, and it changes what was measured (no certificate checks): said up front.
  if ((doc.scenario as { insecure?: unknown }).insecure === true) lines.push(c.yellow.bold("! TLS verification OFF (--insecure): the broker's certificate was not checked"));
  lines.push('');

  if (doc.capacity !== undefined) lines.push(...capacityLines(doc.capacity, c));
  else phaseLines(doc, c, lines);
  if (doc.targetErrors !== undefined) {
    const e = Object.entries(doc.targetErrors).map(([m, n]) => `${m} x${n}`).join('; ');
    lines.push(c.dim(`bundled broker saw client errors: ${e}`));
  }
  lines.push('');
  const thresholds = (doc.gates ?? []).filter((g) => g.kind === 'threshold');
  if (thresholds.length > 0) {
    lines.push(c.bold('thresholds'));
    for (const g of thresholds) lines.push(g.passed ? `  ${c.green('pass')}  ${g.name}: ${g.measured ?? ''}` : c.red(`  FAIL  ${g.name}: ${g.message}`));
    lines.push('');
  }
  const missing = [...(resultFile === null ? ['the result'] : []), ...unwritten];
  if (doc.verdict.passed && missing.length > 0) {
    lines.push(c.red.bold('NOT WRITTEN') + `: the run met its gates, but ${missing.join(' and ')} could not be written (see the error above)`);
  } else {
    const word = verdictWord(doc);
    const verdict = word === 'PASS' ? c.green.bold(word) : c.red.bold(word);
    lines.push(`${verdict}${doc.verdict.failures.length > 0 ? `: ${doc.verdict.failures.join('; ')}` : ''}`);
    if (missing.length > 0) lines.push(c.red(`not written: ${missing.join(' and ')} (see the error above)`));
  }
  if (resultFile !== null) lines.push(c.dim(`result: ${resultFile}`));
  lines.push(c.dim(doc.capacity !== undefined ? CAPACITY_LEGEND : PHASES_LEGEND));
  return `${lines.join('\n')}\n`;
}

/** The phases side by side, then each phase's health, connections and warnings. */
function phaseLines(doc: ResultDocument, c: InstanceType<typeof Chalk>, lines: string[]): void {
  const s = doc.scenario as { file?: string | null };
  const header = ['phase', 'sent/s', 'recv/s', 'e2e p50', 'p90', 'p99', 'p99.9', 'max', 'ack p99', 'lost', 'dup', 'ooo', 'errors'];
  const rows = doc.phases.map((p) => phaseRow(p));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  lines.push(c.bold(fmt(header)));
  for (const [i, r] of rows.entries()) {
    const p = doc.phases[i];
    const line = fmt(r);
    const bad = p !== undefined && (p.deliveryFailures.length > 0 || p.status === 'failed' || p.status === 'degraded');
    lines.push(bad ? c.red(line) : p?.generator.saturated ? c.yellow(line) : line);
  }
  lines.push('');

  for (const p of doc.phases) {
    const g = p.generator;
    const cpu = g.cpuMicrosPerMessage === null ? 'n/a' : `${g.cpuMicrosPerMessage}us/msg`;
    const tcpu = p.target.cpuMicrosPerMessage === null ? (p.target.kind === 'external' && p.target.cpuSeconds === null ? 'not measured (external; give --target-pid)' : 'n/a') : `${p.target.cpuMicrosPerMessage}us/msg`;
    const workers = g.workers.map((w) => `w${w.workerIndex} ${w.cpuPercent}% busy, loop p99 ${formatMicros(w.eventLoopDelayP99)}`).join('; ');
    const wire = p.wire === undefined ? '' : `, wire ${p.wire.bytesPerMessage === null ? `${formatBytes(p.wire.bytesSent + p.wire.bytesReceived)} (no messages)` : `${formatBytes(p.wire.bytesPerMessage)}/msg`}`;
    lines.push(c.dim(`${p.name}: generator cpu ${cpu}, target cpu ${tcpu}, ${formatBytes(p.rates.bytesReceivedPerSecond)}/s received${wire}, drain ${p.drain.seconds}s${p.drain.complete ? '' : ' (incomplete)'} · ${workers}`));
    lines.push(c.dim(`${p.name}: ${connectLine(p)}`));
    if (s.file) for (const g of p.groups) lines.push(c.dim(`${p.name}: ${groupLine(g)}`));
    if (p.params.model === 'open') {
      lines.push(c.dim(`${p.name}: e2e p99 uncorrected ${formatMicros(p.latency.e2eUncorrected.p99)} (corrected for coordinated omission: ${formatMicros(p.latency.e2e.p99)})`));
    }
    const outage = outageSentence(p);
    if (outage !== null) lines.push((p.status === 'degraded' ? c.red : c.yellow)(`! ${p.name}: ${outage}`));
    const delivery = deliverySentence(p);
    if (delivery !== null) lines.push((p.deliveryFailures.length > 0 ? c.red : c.yellow)(`! ${p.name}: ${delivery}`));
    if (g.saturated) lines.push(c.yellow(`! ${p.name}: the load generator was the limit, not the target: ${g.reasons.join('; ')}`));
    if (p.error !== undefined) lines.push(c.red(`x ${p.name}: ${p.error}`));
  }
}

/** One group's figures, only those that apply to it. */
function groupLine(g: GroupResult): string {
  const parts = [`group ${g.name} (${g.clients}x ${g.role})`];
  if (g.sent > 0) parts.push(`sent ${g.sent}`);
  if (g.expected > 0 || g.received > 0) {
    parts.push(`received ${g.received - g.duplicated}/${g.expected} expected, lost ${g.lost}`);
    if (g.clients > 1) parts.push(`per client ${g.receivedPerClient.min}-${g.receivedPerClient.max}`);
    if (g.latency.e2e.count > 0) parts.push(`e2e p99 ${formatMicros(g.latency.e2e.p99)}`);
  }
  if (g.retained > 0) parts.push(`${g.retained} retained`);
  if (g.wills.expected > 0 || g.wills.received > 0) parts.push(`wills ${g.wills.received}/${g.wills.expected}${g.latency.will.count > 0 ? ` (p99 ${formatMicros(g.latency.will.p99)} after the drop)` : ''}`);
  if (g.sessionsResumed > 0 || g.backlog.messages > 0) parts.push(`${g.sessionsResumed} session(s) resumed, backlog ${g.backlog.messages} delivered in ${g.backlog.drainMs}ms`);
  if (g.connectFailures > 0 || g.disconnects > 0) parts.push(`${g.connectFailures} failed to connect, ${g.disconnects} dropped`);
  return parts.join(', ');
}

function connectLine(p: PhaseResult): string {
  const l = p.latency;
  const stages = (
    [
      ['tcp', l.connectTcp],
      ['tls', l.connectTls],
      ['ws', l.connectWs],
    ] as const
  )
    .filter(([, h]) => h !== undefined && h.count > 0)
    .map(([name, h]) => `${name} p99 ${formatMicros(h.p99)}`);
  const c = p.counters;
  const conn = l.connect.count === 0 ? 'no connections' : `${c.connects} connected, connect p50 ${formatMicros(l.connect.p50)} p99 ${formatMicros(l.connect.p99)}`;
  return `${conn}${stages.length > 0 ? ` (${stages.join(', ')})` : ''}, ${c.connectFailures} failed, ${c.disconnects ?? 0} dropped, ${c.reconnects} reconnects`;
}

/** 'mqtt-tcp-qos1', 'mqtt-tcp-qos1 (interrupted)', 'mqtt-tcp-qos1 (saturated)': saturated, the row's figures are mqbench's (said in full below the table). */
function phaseLabel(p: PhaseResult): string {
  const tags = [p.status === 'completed' ? '' : p.status, p.generator.saturated ? 'saturated' : ''].filter((x) => x !== '');
  return tags.length === 0 ? p.name : `${p.name} (${tags.join(', ')})`;
}

function phaseRow(p: PhaseResult): string[] {
  const l = p.latency.e2e;
  const errors = Object.entries(p.counters.errors)
    .map(([k, n]) => `${k}:${n}`)
    .join(',');
  const lat = (v: number): string => (l.count === 0 ? '-' : formatMicros(v));
  return [
    phaseLabel(p),
    formatRate(p.rates.sentPerSecond),
    formatRate(p.rates.receivedPerSecond),
    lat(l.p50),
    lat(l.p90),
    lat(l.p99),
    lat(l.p999),
    lat(l.max),
    p.latency.ack.count === 0 ? '-' : formatMicros(p.latency.ack.p99),
    String(p.counters.lost),
    String(p.counters.duplicated),
    String(p.counters.outOfOrder),
    errors === '' ? '0' : errors,
  ];
}
