/** The HTML report's accounting tables: delivery per phase and group, generator health, and the run's details. */
import type { GroupResult, PhaseResult, ResultDocument } from '../metrics/result.js';
import { count, cpuPerMessage, groupsOf, phaseProblems, scenarioName } from './format.js';
import { esc, section, table, type Row } from './html-util.js';
import { deliverySentence, outageSentence } from './faults.js';
import { formatBytes, formatMicros } from '../metrics/format.js';

function deliveryCells(name: string, x: { sent: number; acked: number; expected: number; received: number; lost: number; duplicated: number; outOfOrder: number }): string[] {
  return [name, count(x.sent), count(x.acked), count(x.expected), count(x.received), count(x.lost), count(x.duplicated), count(x.outOfOrder)].map((c, i) => (i === 0 ? c : esc(c)));
}

function groupRow(g: GroupResult): Row {
  const extra: string[] = [];
  if (g.clients > 1 && (g.expected > 0 || g.received > 0)) extra.push(`per client ${g.receivedPerClient.min}-${g.receivedPerClient.max}`);
  if (g.retained > 0) extra.push(`${g.retained} retained`);
  if (g.wills.expected > 0 || g.wills.received > 0) extra.push(`wills ${g.wills.received}/${g.wills.expected}`);
  if (g.sessionsResumed > 0 || g.backlog.messages > 0) extra.push(`${g.sessionsResumed} session(s) resumed, backlog ${g.backlog.messages} in ${g.backlog.drainMs}ms`);
  if (g.connectFailures > 0 || g.disconnects > 0) extra.push(`${g.connectFailures} failed to connect, ${g.disconnects} dropped`);
  return {
    className: 'group',
    cells: [...deliveryCells(`<span class="indent">group ${esc(g.name)} <span class="note">(${g.clients}× ${esc(g.role)})</span></span>`, g), esc(extra.join('; '))],
  };
}

export function deliverySection(doc: ResultDocument): string {
  const rows: Row[] = [];
  for (const p of doc.phases) {
    const problems = phaseProblems(p);
    const result = problems.length === 0 ? '<span class="mark ok">✓ complete</span>' : `<span class="mark bad">✗ ${esc(problems.join('; '))}</span>`;
    const drain = p.drain === undefined ? '' : ` <span class="note">drain ${p.drain.seconds}s${p.drain.complete ? '' : ', incomplete'}</span>`;
    const faults = [outageSentence(p), deliverySentence(p)].filter((x): x is string => x !== null).map((x) => `<div class="note">${esc(x)}</div>`).join('');
    rows.push({ className: problems.length > 0 ? 'failed' : '', cells: [...deliveryCells(esc(p.name), p.counters), result + drain + faults] });
    const groups = groupsOf(p);
    if (groups.length > 1) for (const g of groups) rows.push(groupRow(g));
  }
  const cols = [
    { label: 'phase / group' },
    { label: 'sent', num: true },
    { label: 'acked', num: true },
    { label: 'expected', num: true, title: 'messages sent times matching subscribers' },
    { label: 'received', num: true, title: 'every delivery, duplicates included' },
    { label: 'lost', num: true },
    { label: 'duplicated', num: true },
    { label: 'out of order', num: true },
    { label: 'delivery check' },
  ];
  return section(
    'delivery',
    'Delivery accounting',
    table('Counted from sequence numbers over the whole phase (warm-up and drain included)', cols, rows, 'delivery'),
    'QoS 1/2 loss, QoS 2 duplicates and WebSocket loss fail a phase; QoS 0 loss is reported only.',
  );
}

function worst(values: number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

function healthRow(p: PhaseResult): Row {
  const g = p.generator;
  const ws = g?.workers ?? [];
  const loop = worst(ws.map((w) => w.eventLoopDelayP99));
  const lag = worst(ws.map((w) => w.sendLagP99 ?? 0));
  const rss = worst(ws.map((w) => w.rssBytes));
  const stalls = ws.reduce((a, w) => a + (w.windowStalls ?? 0), 0);
  const busy = ws.map((w) => `<span class="item">${esc(`w${w.workerIndex} ${w.cpuPercent}%`)}</span>`).join(' · ');
  const saturated = g?.saturated ? `<span class="mark warn">! yes</span> <span class="note">${esc(g.reasons.join('; '))}</span>` : 'no';
  const target = p.target?.cpuMicrosPerMessage != null ? cpuPerMessage(p.target.cpuMicrosPerMessage) : p.target?.kind === 'external' ? 'not measured' : 'n/a';
  return {
    className: g?.saturated ? 'warn' : '',
    cells: [
      esc(p.name),
      saturated,
      esc(cpuPerMessage(g?.cpuMicrosPerMessage)),
      esc(g?.cpuSeconds === undefined ? '-' : `${g.cpuSeconds}s`),
      busy || '-',
      esc(loop === null ? '-' : formatMicros(loop)),
      esc(p.params.model === 'open' && lag !== null ? formatMicros(lag) : '-'),
      esc(p.params.model === 'closed' ? String(stalls) : '-'),
      esc(rss === null ? '-' : formatBytes(rss)),
      esc(target),
    ],
  };
}

export function generatorSection(doc: ResultDocument): string {
  const cols = [
    { label: 'phase' },
    // The reasons and the per-worker figures wrap, so the table fits the page however many workers and reasons there are.
    { label: 'saturated', wrap: true, title: 'the load generator, not the target, was the limit (and why)' },
    { label: 'CPU / msg', num: true, title: 'CPU time of the whole mqbench process per delivered message' },
    { label: 'CPU', num: true, title: 'CPU seconds of the mqbench process in the steady window' },
    { label: 'worker busy', wrap: true, title: 'share of wall time each worker event loop was busy' },
    { label: 'loop delay p99', num: true, title: 'worst worker event-loop delay, 99th percentile' },
    { label: 'send lag p99', num: true, title: 'open model: how late sends left versus their schedule (worst worker)' },
    { label: 'window stalls', num: true, title: 'closed model: windows reopened after 1 s without a delivery' },
    { label: 'RSS', num: true },
    { label: 'target CPU / msg', num: true, title: 'the broker process, when mqbench started it or --target-pid was given' },
  ];
  return section(
    'generator',
    'Generator health',
    table('The load generator in the steady window', cols, doc.phases.map(healthRow), 'health'),
    'When the generator saturates, its own limit shows up as the target’s: the figures of a saturated phase describe mqbench, not the target.',
  );
}

export function detailsSection(doc: ResultDocument): string {
  const s = doc.scenario as { description?: unknown; file?: unknown };
  const e = doc.env;
  const items: Array<[string, string]> = [
    ['command', `<code>mqbench ${esc(doc.command.join(' '))}</code>`],
    ['scenario', esc(scenarioName(doc)) + (typeof s.file === 'string' ? ` <span class="note">${esc(s.file)}</span>` : '')],
  ];
  if (typeof s.description === 'string' && s.description !== '') items.push(['description', esc(s.description)]);
  items.push(
    ['started', esc(doc.startedAt)],
    ['ended', esc(doc.endedAt)],
    ['sockets', esc(`${doc.sockets.workers} worker thread(s), Nagle ${doc.sockets.noDelay ? 'off (TCP_NODELAY)' : 'on'}`)],
    ['host', esc(`${e.hostname}: ${e.cpus} CPU(s) ${e.cpuModel}, ${formatBytes(e.memoryBytes)} memory, ${e.platform}/${e.arch}, Node ${e.node}`)],
  );
  if (doc.repeat !== undefined) items.push(['repeats', esc(`${doc.repeat.count} (runs ${doc.repeat.runIds.join(', ')})`)]);
  const errors = doc.phases.filter((p) => Object.keys(p.counters.errors ?? {}).length > 0).map((p) => `${p.name}: ${Object.entries(p.counters.errors).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  if (errors.length > 0) items.push(['client errors', esc(errors.join('; '))]);
  if (doc.targetErrors !== undefined && Object.keys(doc.targetErrors).length > 0) {
    items.push(['bundled broker saw', esc(Object.entries(doc.targetErrors).map(([m, n]) => `${m} ×${n}`).join('; '))]);
  }
  const dl = items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n');
  return section('details', 'Run details', `<dl class="details">\n${dl}\n</dl>`);
}
