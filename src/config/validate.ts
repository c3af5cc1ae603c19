/**
 * A scenario document (parsed by load.ts) validated into a draft of the resolved Scenario:
 * every field read and checked, every problem collected with its file position. The flags'
 * overlay is applied to the draft afterwards (src/config/flag-overlay.ts), then finishDraft()
 * runs the rules between fields and expands the matrix.
 */
import { resolve } from 'node:path';
import { readPasswordFile, readTarget, resolveCredentials, type CredentialPlaces, type Credentials, type ParsedTarget } from './credentials.js';
import { checkOnePerTransport, parseLocalAddresses, readCa, type Target } from './endpoints.js';
import type { ConfigIssue } from './issue.js';
import { MAX_WORKERS, readBroker, readDriver, rules } from './value-rules.js';
import { checkKeys, type Origin, Problems } from './context.js';
import { baseScenario } from './defaults.js';
import { parseDefaults, resolveGroup, type ResolvedGroup } from './group.js';
import type { SourceFile } from './load.js';
import { checkCells, distinctCells, expandCells, parseMatrix, type MatrixDraft } from './matrix.js';
import type { Scenario, Stage } from './model.js';
import { groupFindings, type RuleContext } from './rules.js';
import { isRecord, typeName, valueReaders } from './values.js';
import type { Threshold } from './model.js';
import { parseThreshold } from '../gates/threshold.js';

export const TOP_KEYS = ['$schema', 'name', 'description', 'target', 'broker', 'wsTarget', 'ca', 'insecure', 'localAddress', 'workers', 'connectRate', 'connectTimeout', 'noDelay', 'driver', 'load', 'defaults', 'groups', 'matrix', 'thresholds', 'slo', 'abortOnFail', 'username', 'password', 'passwordFile'];
export const LOAD_KEYS = ['stages', 'warmup', 'duration', 'drain'];

/** A scenario being resolved: the values, and where each came from (file position or flag). */
export interface Draft {
  scenario: Scenario;
  groups: ResolvedGroup[];
  matrix: MatrixDraft | null;
  /** Top-level origins: 'target', 'wsTarget', 'load.stages', 'load.duration', ... */
  origin: Map<string, Origin>;
  problems: Problems;
  /** Credentials given (the file's keys, then flags), the MQTT targets with their user info; resolved by finishDraft. */
  auth: { explicit: Credentials; targets: ParsedTarget[]; places: CredentialPlaces };
}

export function readDocument(source: SourceFile, interactive: boolean): Draft {
  const p = new Problems(source);
  const r = valueReaders(p);
  const origin = new Map<string, Origin>();
  const doc = source.value;
  const base = baseScenario(source.stem, source.label, interactive);
  const top: Record<string, unknown> = isRecord(doc) ? doc : {};
  if (!isRecord(doc)) p.add({ path: [] }, `must be a mapping with at least groups:, not ${typeName(doc)} (see scenarios/README.md)`);
  else checkKeys(doc, TOP_KEYS, [], p, 'scenario');
  const has = (k: string): boolean => Object.hasOwn(top, k);
  const val = <T>(k: string, read: (v: unknown) => T | undefined, fallback: T): T => {
    if (!has(k)) return fallback;
    origin.set(k, { path: [k] });
    return read(top[k]) ?? fallback;
  };

  const name = val('name', (v) => r.string(['name'], v, 'fan-in'), base.name);
  const description = val<string | null>('description', (v) => r.string(['description'], v, 'Many sensors, one collector.'), base.description);
  const parsedTargets: ParsedTarget[] = [];
  const targetList = (key: 'target' | 'wsTarget', kind: 'mqtt' | 'ws'): Target[] => {
    const urls = val(key, (v) => r.strings([key], v, kind === 'mqtt' ? 'mqtt://127.0.0.1:1883' : 'ws://127.0.0.1:8080'), [] as string[]);
    const list = urls.map((u, i) => readTarget(u, p.where({ path: Array.isArray(top[key]) ? [key, i] : [key] }), (w, m) => p.addAt(w, m, { path: [key] }), kind));
    const ok = list.filter((t): t is ParsedTarget => t !== null);
    if (kind === 'mqtt') parsedTargets.push(...ok);
    checkOnePerTransport(ok.map((t) => t.target), p.where({ path: [key] }), (w, m) => p.addAt(w, m, { path: [key] }));
    return ok.map((t) => t.target);
  };
  const targets = targetList('target', 'mqtt');
  const wsTargets = targetList('wsTarget', 'ws');
  const pushAt = (key: string) => (_w: string, m: string) => p.add({ path: [key] }, m);
  const broker = val('broker', (v) => readBroker(v, '', pushAt('broker')) ?? undefined, base.broker);
  if (has('broker') && has('target')) p.add({ path: ['broker'] }, 'names the broker mqbench starts when there is no target, and target: names one; they exclude each other: remove one');
  const caWritten = val<string | null>('ca', (v) => r.string(['ca'], v, 'certs/ca.pem'), null);
  const caPath = caWritten === null ? null : resolve(source.dir, caWritten);
  const caPem = caPath === null ? null : readCa(caPath, '', pushAt('ca'), caWritten ?? caPath);
  const insecure = val('insecure', (v) => r.bool(['insecure'], v), base.insecure);
  if (caPath !== null && insecure) p.add({ path: ['insecure'] }, 'choose one: ca verifies the broker against that CA, insecure: true skips verification');
  const auth = readCredentials(top, p, source.dir, parsedTargets);
  const localAddresses = has('localAddress') ? (origin.set('localAddress', { path: ['localAddress'] }), parseLocalAddresses(top['localAddress'], '', pushAt('localAddress'))) : base.localAddresses;
  const workers = val('workers', (v) => r.int(['workers'], v, 1, MAX_WORKERS), base.workers);
  const connectRate = val('connectRate', (v) => r.rate(['connectRate'], v), base.connectRate);
  const connectTimeoutMs = val('connectTimeout', (v) => r.durationMs(['connectTimeout'], v), base.connectTimeoutMs);
  const shortTimeout = rules.connectTimeout(connectTimeoutMs);
  if (shortTimeout !== null) p.add({ path: ['connectTimeout'] }, shortTimeout);
  const noDelay = val('noDelay', (v) => r.bool(['noDelay'], v), base.noDelay);
  const driver = readDriver(top['driver'], 'driver', (_w, m) => p.add({ path: ['driver'] }, m)) ?? base.driver;
  const load = readLoad(top['load'], p, origin, base.load);

  const defaults = parseDefaults(top['defaults'], p);
  const groups: ResolvedGroup[] = [];
  if (!has('groups')) p.add({ path: [] }, 'needs groups: a list of client groups, e.g. groups: [{ name: sensors, role: publish, clients: 10 }]');
  else if (!Array.isArray(top['groups']) || top['groups'].length === 0) p.add({ path: ['groups'] }, 'must be a non-empty list of client groups, e.g. [{ name: sensors, role: publish, clients: 10 }]');
  else {
    top['groups'].forEach((g, i) => {
      const resolved = resolveGroup(g, i, defaults, p);
      if (resolved !== null) groups.push(resolved);
    });
    const names = new Map<string, number>();
    groups.forEach((g, i) => {
      const first = names.get(g.spec.name);
      const firstSelf = first === undefined ? undefined : groups[first]?.self;
      const firstAt = firstSelf !== undefined && 'path' in firstSelf ? String(firstSelf.path[1]) : String(first);
      if (first !== undefined && g.origin.has('name')) p.add(g.origin.get('name') ?? g.self, `'${g.spec.name}' is already the name of groups[${firstAt}]; group names must be unique`);
      else names.set(g.spec.name, i);
    });
  }
  const matrix = parseMatrix(top['matrix'], p);
  const thresholds = readThresholds(top['thresholds'], p);
  const slo = readThresholds(top['slo'], p, 'slo');
  const abortOnFail = val('abortOnFail', (v) => r.bool(['abortOnFail'], v), base.abortOnFail);
  return {
    // The file's keys over the defaults; outDir, json, targetPid have no key (flags only).
    scenario: { ...base, name, description, targets, broker, wsTargets, caPem, caPath, insecure, localAddresses, workers, connectRate, connectTimeoutMs, noDelay, driver, load, groups: groups.map((g) => g.spec), matrix: matrix === null ? null : matrix.written, thresholds, ...(slo.length > 0 ? { slo } : {}), abortOnFail },
    groups,
    matrix,
    origin,
    problems: p,
    auth,
  };
}

/**
 * username, password, passwordFile (relative to the file). A password is never echoed in a
 * message, not even a wrong one: YAML reads `password: 1234` as a number.
 */
function readCredentials(top: Record<string, unknown>, p: Problems, dir: string, targets: ParsedTarget[]): Draft['auth'] {
  const explicit: Credentials = {};
  const has = (k: string): boolean => Object.hasOwn(top, k);
  if (has('username')) {
    const u = top['username'];
    if (typeof u !== 'string' || u === '') p.add({ path: ['username'] }, `must be a non-empty string, e.g. username: alice, not ${u === '' ? 'empty' : typeName(u)}`);
    else explicit.username = u;
  }
  if (has('password') && has('passwordFile')) p.add({ path: ['passwordFile'] }, 'choose one: password or passwordFile');
  else if (has('password')) {
    const pw = top['password'];
    if (typeof pw !== 'string' || pw === '') p.add({ path: ['password'] }, "must be a non-empty string (quote one that YAML reads as a number: password: '1234'); passwordFile: or --password-file keeps it out of the file");
    else explicit.password = pw;
  } else if (has('passwordFile')) {
    const written = top['passwordFile'];
    if (typeof written !== 'string' || written === '') p.add({ path: ['passwordFile'] }, `must be a file name, e.g. passwordFile: secrets/mqtt-password, not ${written === '' ? 'empty' : typeName(written)}`);
    else {
      const pw = readPasswordFile(resolve(dir, written), '', (_w, m) => p.add({ path: ['passwordFile'] }, m), written);
      if (pw !== null) explicit.password = pw;
    }
  }
  const at = (k: string): string => p.where({ path: has(k) ? [k] : [] });
  const passwordKey = has('password') ? 'password' : has('passwordFile') ? 'passwordFile' : 'target';
  return { explicit, targets, places: { password: at(passwordKey), target: at('target'), usernameSetting: 'username:' } };
}

/**
 * `thresholds:` a list of expressions such as 'mqtt.e2e.qos1.p99 < 20ms', each checked where it is
 * written; `slo:` (the SLO of `mqbench capacity`) is read the same way.
 */
function readThresholds(raw: unknown, p: Problems, key: 'thresholds' | 'slo' = 'thresholds'): Threshold[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    p.add({ path: [key] }, "must be a list of expressions, e.g. ['mqtt.e2e.qos1.p99 < 20ms', 'mqtt.lost.qos1 == 0']");
    return [];
  }
  const out: Threshold[] = [];
  raw.forEach((t, i) => {
    if (typeof t !== 'string') {
      p.add({ path: [key, i] }, `must be a string such as 'mqtt.e2e.p99 < 20ms', not ${typeName(t)}`);
      return;
    }
    const parsed = parseThreshold(t, 'scenario', i);
    if (parsed.ok) out.push(parsed.threshold);
    else p.add({ path: [key, i] }, parsed.error);
  });
  return out;
}

function readLoad(raw: unknown, p: Problems, origin: Map<string, Origin>, defaults: Scenario['load']): Scenario['load'] {
  const r = valueReaders(p);
  const load: Scenario['load'] = { ...defaults, stages: [...defaults.stages] };
  if (raw === undefined || raw === null) return load;
  const l = r.record(['load'], raw, '{ warmup: 2s, duration: 10s, drain: 5s }');
  if (l === undefined) return load;
  checkKeys(l, LOAD_KEYS, ['load'], p, 'load');
  const ms = (k: 'warmup' | 'duration' | 'drain'): number | undefined => {
    if (!Object.hasOwn(l, k)) return undefined;
    origin.set(`load.${k}`, { path: ['load', k] });
    return r.durationMs(['load', k], l[k]);
  };
  load.warmupMs = ms('warmup') ?? load.warmupMs;
  const duration = ms('duration');
  if (duration !== undefined) {
    load.durationMs = duration;
    const short = rules.duration(duration);
    if (short !== null) p.add({ path: ['load', 'duration'] }, short);
  }
  load.drainMs = ms('drain') ?? load.drainMs;
  if (Object.hasOwn(l, 'stages')) {
    origin.set('load.stages', { path: ['load', 'stages'] });
    load.stages = readStages(l['stages'], p);
  }
  return load;
}

function readStages(raw: unknown, p: Problems): Stage[] {
  const r = valueReaders(p);
  if (!Array.isArray(raw)) {
    p.add({ path: ['load', 'stages'] }, 'must be a list, e.g. [{ duration: 5s, rate: 50% }, { duration: 5s, rate: 100% }]');
    return [];
  }
  const stages: Stage[] = [];
  raw.forEach((s, i) => {
    const path = ['load', 'stages', i];
    const st = r.record(path, s, '{ duration: 5s, rate: 50% }');
    if (st === undefined) return;
    checkKeys(st, ['duration', 'rate', 'clients'], path, p, 'stage');
    const kinds = (['rate', 'clients'] as const).filter((k) => Object.hasOwn(st, k));
    if (kinds.length !== 1) {
      p.add({ path }, kinds.length === 0 ? 'needs rate: N% (scales open-model rates) or clients: N% (share of clients connected)' : 'choose one: rate or clients, one kind per stage');
      return;
    }
    const kind = kinds[0] ?? 'rate';
    const durationMs = Object.hasOwn(st, 'duration') ? r.durationMs([...path, 'duration'], st['duration']) : (p.add({ path }, 'needs duration, e.g. duration: 5s'), undefined);
    if (durationMs === 0) p.add({ path: [...path, 'duration'] }, 'must be longer than 0s');
    const level = r.percent([...path, kind], st[kind]);
    if (durationMs !== undefined && durationMs > 0 && level !== undefined) stages.push({ durationMs, kind, level });
  });
  const first = stages[0];
  if (first !== undefined && stages.some((s) => s.kind !== first.kind)) {
    p.add({ path: ['load', 'stages'] }, `mixes rate and clients stages; all stages are one kind (the first is ${first.kind})`);
    return stages;
  }
  if (first?.kind === 'clients') {
    let before = 0;
    stages.forEach((s, i) => {
      if (s.level > 1) p.add({ path: ['load', 'stages', i, 'clients'] }, `${Math.round(s.level * 100)}% is more than every client; clients stages go up to 100%`);
      else if (s.level < before) p.add({ path: ['load', 'stages', i, 'clients'] }, `${Math.round(s.level * 100)}% is below the previous stage (${Math.round(before * 100)}%); connected clients never fall during a ramp`);
      before = Math.max(before, s.level);
    });
  }
  return stages;
}

/** The rules between fields (after flags were applied), the matrix expanded and checked; the scenario or every problem. */
export function finishDraft(d: Draft): { config: Scenario } | { issues: ConfigIssue[] } {
  const p = d.problems;
  const s = d.scenario;
  s.groups = d.groups.map((g) => g.spec);
  const ctx: RuleContext = {
    targets: s.targets,
    wsTargets: s.wsTargets,
    // With matrix.broker each cell names its broker, and the cells are checked one by one.
    broker: d.matrix?.values.broker !== undefined ? null : s.broker,
    timelineMs: s.load.stages.reduce((a, st) => a + st.durationMs, 0) + s.load.warmupMs + s.load.durationMs,
  };
  for (const f of groupFindings(s.groups, ctx, false)) {
    const g = d.groups[f.group];
    if (g === undefined) continue;
    p.add(f.key === '' ? g.self : (g.origin.get(f.key) ?? g.origin.get(f.key.split('.')[0] ?? '') ?? g.self), f.message);
  }
  if (s.load.stages[0]?.kind === 'rate' && !s.groups.some((g) => g.rate !== null)) {
    p.add(d.origin.get('load.stages') ?? { path: ['load'] }, 'rate stages scale open-model rates, and no group has one; give a publishing group rate: or ratePerClient:, or use clients stages');
  }
  // --broker with a target was reported at the flag (read-flags.ts).
  if (d.matrix?.values.broker !== undefined && s.targets.length > 0 && d.origin.get('broker') === undefined) {
    const by = d.origin.get('target');
    const target = by !== undefined && 'flag' in by ? '--target' : 'target:';
    p.add({ path: ['matrix', 'broker'] }, `compares the brokers mqbench starts when there is no target, and ${target} names one; remove matrix.broker or ${target}`);
  }
  s.cells = expandCells(d.matrix);
  if (d.matrix !== null && d.groups.length > 0) checkCells(s.groups, s.cells, d.matrix, ctx, p);
  s.cells = distinctCells(s.groups, s.cells);
  s.matrix = d.matrix?.fromFile === true ? d.matrix.written : null;
  s.credentials = resolveCredentials(d.auth.explicit, d.auth.targets, d.auth.places, (w, m) => p.addAt(w, m));
  return p.count > 0 ? { issues: p.issues() } : { config: s };
}
