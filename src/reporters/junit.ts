/**
 * JUnit XML for CI test views: one <testsuite> per gate kind (run, delivery, threshold,
 * baseline), one <testcase> per gate. Results without `gates` (written before gates existed)
 * get their test cases from the run status, each phase's delivery failures and the verdict.
 * Times: the 'run' case carries the run's wall time, a delivery case its phase's; the others 0.
 */
import type { GateResult, PhaseResult, ResultDocument } from '../metrics/result.js';
import { phaseProblems, phaseSeconds, runSeconds } from './format.js';

interface Case {
  kind: GateResult['kind'];
  classname: string;
  name: string;
  seconds: number;
  /** null: passed. */
  failure: { message: string; type: string; detail: string } | null;
  skipped?: string;
}

/**
 * Text and attribute values: markup characters as entities; characters XML 1.0 cannot hold at
 * all (controls other than tab and line breaks, lone surrogates, U+FFFE/U+FFFF) as U+FFFD; in
 * attributes, tab and line breaks as character references so parsers keep them.
 */
export function xmlEscape(text: string, attribute = false): string {
  let out = '';
  for (const ch of String(text)) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (c === 0x9 || c === 0xa || c === 0xd) out += attribute ? `&#${c};` : ch;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x84) || (c >= 0x86 && c <= 0x9f) || c === 0xfffe || c === 0xffff || (c >= 0xd800 && c <= 0xdfff)) out += '\uFFFD';
    else out += ch;
  }
  return out;
}

const attr = (v: string | number): string => xmlEscape(String(v), true);

function classname(phase: string | null): string {
  return phase === null ? 'mqbench.run' : `mqbench.${phase}`;
}

function phaseOf(doc: ResultDocument, name: string | null): PhaseResult | undefined {
  return name === null ? undefined : doc.phases.find((p) => p.name === name);
}

function runCase(doc: ResultDocument): Case {
  const ok = doc.status === 'completed';
  const why = doc.error ?? doc.status;
  return {
    kind: 'run',
    classname: 'mqbench.run',
    name: 'run completed',
    seconds: runSeconds(doc),
    failure: ok ? null : { message: `${doc.status}: ${why}`, type: doc.status, detail: `The run did not complete (status ${doc.status}): ${why}` },
  };
}

function fromGates(doc: ResultDocument, gates: GateResult[]): Case[] {
  const cases: Case[] = gates.map((g) => {
    const p = phaseOf(doc, g.phase);
    const measured = g.measured ?? (g.value === null || g.value === undefined ? '' : String(g.value));
    const c: Case = {
      kind: g.kind,
      classname: classname(g.phase),
      name: g.name,
      seconds: g.kind === 'run' ? runSeconds(doc) : g.kind === 'delivery' && p !== undefined ? phaseSeconds(p) : 0,
      failure: g.passed
        ? null
        : {
            message: measured !== '' ? `${g.message} (measured ${measured})` : g.message,
            type: g.kind,
            detail: [g.expression !== undefined ? `threshold: ${g.expression}${g.source ? ` (from the ${g.source})` : ''}` : '', measured !== '' ? `measured: ${measured}` : '', g.message].filter((s) => s !== '').join('\n'),
          },
    };
    if (g.kind === 'delivery' && p?.status === 'skipped') c.skipped = `phase ${p.name} was skipped`;
    return c;
  });
  // The run's own case is always there, also in documents whose gates lack it.
  if (!gates.some((g) => g.kind === 'run')) cases.unshift(runCase(doc));
  return cases;
}

/** Older results: the run, each phase's delivery check, and any verdict failure neither covers. */
function fromVerdict(doc: ResultDocument): Case[] {
  const cases: Case[] = [runCase(doc)];
  const covered = new Set<string>();
  if (doc.status !== 'completed') covered.add(doc.error ?? doc.status);
  for (const p of doc.phases) {
    const problems = phaseProblems(p);
    for (const f of problems) covered.add(`${p.name}: ${f}`);
    const c: Case = {
      kind: 'delivery',
      classname: classname(p.name),
      name: `delivery [${p.name}]`,
      seconds: phaseSeconds(p),
      failure: problems.length === 0 ? null : { message: problems.join('; '), type: 'delivery', detail: problems.join('\n') },
    };
    if (p.status === 'skipped') c.skipped = `phase ${p.name} was skipped`;
    cases.push(c);
  }
  for (const f of doc.verdict.failures) {
    if (covered.has(f)) continue;
    cases.push({ kind: 'run', classname: 'mqbench.run', name: `verdict: ${f}`, seconds: 0, failure: { message: f, type: 'verdict', detail: f } });
  }
  return cases;
}

const KIND_ORDER: ReadonlyArray<GateResult['kind']> = ['run', 'delivery', 'threshold', 'baseline'];

function secs(n: number): string {
  return (Math.round(n * 1000) / 1000).toFixed(3);
}

function testcase(c: Case): string {
  const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="${secs(c.seconds)}"`;
  if (c.skipped !== undefined) return `${open}>\n      <skipped message="${attr(c.skipped)}"/>\n    </testcase>`;
  if (c.failure === null) return `${open}/>`;
  const f = c.failure;
  return `${open}>\n      <failure message="${attr(f.message)}" type="${attr(f.type)}">${xmlEscape(f.detail)}</failure>\n    </testcase>`;
}

export function renderJunit(doc: ResultDocument): string {
  const cases = doc.gates !== undefined ? fromGates(doc, doc.gates) : fromVerdict(doc);
  const kinds = [...KIND_ORDER, ...new Set(cases.map((c) => c.kind).filter((k) => !KIND_ORDER.includes(k)))];
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const kind of kinds) {
    const mine = cases.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const f = mine.filter((c) => c.failure !== null && c.skipped === undefined).length;
    const s = mine.filter((c) => c.skipped !== undefined).length;
    const time = mine.reduce((a, c) => a + c.seconds, 0);
    tests += mine.length;
    failures += f;
    skipped += s;
    suites.push(
      `  <testsuite name="${attr(`mqbench.${kind}`)}" tests="${mine.length}" failures="${f}" errors="0" skipped="${s}" time="${secs(time)}" timestamp="${attr(doc.startedAt.replace(/(\.\d+)?Z$/, ''))}" hostname="${attr(doc.env.hostname)}">\n${mine.map(testcase).join('\n')}\n  </testsuite>`,
    );
  }
  const name = `mqbench run ${doc.runId}`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${attr(name)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(runSeconds(doc))}">\n${suites.join('\n')}\n</testsuites>\n`;
}
