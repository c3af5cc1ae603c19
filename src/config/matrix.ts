/**
 * The matrix: lists of protocol, transport, qos, payload and broker whose combinations (minus
 * `exclude`) each run as one phase. Parsing, expansion in a fixed key order, and the check of
 * every expanded cell against the group rules.
 */
import type { Qos } from './units.js';
import { TRANSPORTS, type Transport } from '../drivers/transports.js';
import { rules } from './value-rules.js';
import { applyCell, BROKERS, cellLabel, MATRIX_KEYS, type BrokerName, type GroupSpec, type MatrixCell, type MatrixKey, type Protocol } from './model.js';
import { checkKeys, type Origin, type Problems } from './context.js';
import type { Path } from './load.js';
import { groupFindings, type Finding, type RuleContext } from './rules.js';
import { isRecord, typeName, valueReaders } from './values.js';

export interface MatrixValues {
  protocol?: Protocol[];
  transport?: Transport[];
  qos?: Qos[];
  payload?: number[];
  broker?: BrokerName[];
}

export interface MatrixDraft {
  values: MatrixValues;
  /** As written in the file (or given by a flag), for the result. */
  written: Partial<Record<MatrixKey, Array<string | number>>>;
  exclude: MatrixCell[];
  /** Where the matrix is (the file's `matrix`, or the flag that made it). */
  origin: Origin;
  /** false: no matrix in the file, the cells come from a flag (--qos). */
  fromFile: boolean;
}

const KEY_EXAMPLES: Record<MatrixKey, string> = { protocol: '[mqtt, ws]', transport: '[tcp, ws]', qos: '[0, 1, 2]', payload: '[16B, 1KiB]', broker: '[aedes, mosquitto]' };

function parseValue<K extends MatrixKey>(key: K, v: unknown, path: Path, p: Problems): MatrixCell[K] | undefined {
  const r = valueReaders(p);
  switch (key) {
    case 'protocol':
      return r.oneOf(path, v, ['mqtt', 'ws'] as const) as MatrixCell[K];
    case 'transport':
      return r.oneOf(path, v, TRANSPORTS) as MatrixCell[K];
    case 'qos':
      return r.qos(path, v) as MatrixCell[K];
    case 'broker':
      return r.oneOf(path, v, BROKERS) as MatrixCell[K];
    default: {
      const bytes = r.size(path, v);
      const bad = bytes === undefined ? null : rules.payload(bytes, (s) => s);
      if (bad !== null) p.add({ path }, bad);
      return (bad === null ? bytes : undefined) as MatrixCell[K];
    }
  }
}

export function parseMatrix(raw: unknown, p: Problems): MatrixDraft | null {
  if (raw === undefined || raw === null) return null;
  const base: Path = ['matrix'];
  if (!isRecord(raw)) {
    p.add({ path: base }, `must be a mapping of lists, e.g. matrix: { qos: [0, 1, 2] }, not ${typeName(raw)}`);
    return null;
  }
  checkKeys(raw, [...MATRIX_KEYS, 'exclude'], base, p, 'matrix');
  const values: MatrixValues = {};
  const written: MatrixDraft['written'] = {};
  for (const key of MATRIX_KEYS) {
    if (!Object.hasOwn(raw, key)) continue;
    const list = raw[key];
    if (!Array.isArray(list) || list.length === 0) {
      p.add({ path: [...base, key] }, `must be a non-empty list, e.g. ${key}: ${KEY_EXAMPLES[key]}`);
      continue;
    }
    const parsed: Array<string | number> = [];
    list.forEach((v, i) => {
      const value = parseValue(key, v, [...base, key, i], p);
      if (value === undefined) return;
      if (parsed.includes(value)) p.add({ path: [...base, key, i] }, `${String(v)} is listed twice; each value once`);
      else parsed.push(value);
    });
    (values as Record<string, unknown>)[key] = parsed;
    written[key] = list as Array<string | number>;
  }
  if (MATRIX_KEYS.every((k) => !Object.hasOwn(raw, k))) p.add({ path: base }, `has no dimension; give at least one of ${MATRIX_KEYS.join(', ')}, e.g. qos: [0, 1, 2]`);
  const exclude: MatrixCell[] = [];
  if (Object.hasOwn(raw, 'exclude')) {
    const list = raw['exclude'];
    if (!Array.isArray(list)) p.add({ path: [...base, 'exclude'] }, 'must be a list of combinations, e.g. exclude: [{ protocol: ws, transport: tcp }]');
    else {
      list.forEach((entry, i) => {
        const path: Path = [...base, 'exclude', i];
        if (!isRecord(entry) || Object.keys(entry).length === 0) {
          p.add({ path }, 'must be a mapping of matrix keys to values, e.g. { protocol: ws, transport: tcp }');
          return;
        }
        const keys = MATRIX_KEYS.filter((k) => Object.hasOwn(raw, k));
        let ok = true;
        for (const key of Object.keys(entry)) {
          if ((keys as string[]).includes(key)) continue;
          ok = false;
          p.add({ path: [...path, key] }, `'${key}' is not a key of this matrix (${keys.join(', ') || 'none'}); an exclude entry names values of the matrix's own keys`);
        }
        const cell: MatrixCell = {};
        for (const key of keys) {
          if (!Object.hasOwn(entry, key)) continue;
          const value = parseValue(key, entry[key], [...path, key], p);
          if (value === undefined) continue;
          const of = (values as Record<string, unknown[]>)[key] ?? [];
          if (!of.includes(value)) {
            ok = false;
            p.add({ path: [...path, key] }, `${String(entry[key])} is not among matrix.${key} (${(written[key] ?? []).join(', ')}), so this never matches`);
          }
          (cell as Record<string, unknown>)[key] = value;
        }
        // An entry with a mistake is left out rather than read as a pattern that matches everything.
        if (ok && Object.keys(cell).length === Object.keys(entry).length) exclude.push(cell);
      });
    }
  }
  return { values, written, exclude, origin: { path: base }, fromFile: true };
}

const matches = (cell: MatrixCell, pattern: MatrixCell): boolean => MATRIX_KEYS.every((k) => pattern[k] === undefined || pattern[k] === cell[k]);

/** Cartesian product in the key order protocol, transport, qos, payload, broker (the first key changes slowest), minus exclude. */
export function expandCells(m: MatrixDraft | null): MatrixCell[] {
  if (m === null) return [{}];
  let cells: MatrixCell[] = [{}];
  for (const key of MATRIX_KEYS) {
    const list = m.values[key] as Array<MatrixCell[typeof key]> | undefined;
    if (list === undefined) continue;
    cells = cells.flatMap((c) => list.map((v) => ({ ...c, [key]: v })));
  }
  return cells.filter((c) => !m.exclude.some((x) => matches(c, x)));
}

/** '{ protocol: ws, transport: tcp }' */
export function cellFlow(cell: MatrixCell): string {
  return `{ ${MATRIX_KEYS.filter((k) => cell[k] !== undefined)
    .map((k) => `${k}: ${k === 'payload' ? `${cell[k]}B` : String(cell[k])}`)
    .join(', ')} }`;
}

/** Every sub-combination of a cell, smallest first. */
function subCells(cell: MatrixCell): MatrixCell[] {
  const keys = MATRIX_KEYS.filter((k) => cell[k] !== undefined);
  const out: MatrixCell[] = [];
  for (let mask = 1; mask < 1 << keys.length; mask++) {
    const sub: MatrixCell = {};
    keys.forEach((k, i) => {
      if (mask & (1 << i)) (sub as Record<string, unknown>)[k] = cell[k];
    });
    out.push(sub);
  }
  return out.sort((a, b) => Object.keys(a).length - Object.keys(b).length);
}

const findingKey = (f: Finding): string => `${f.group}|${f.key}|${f.message}`;

/** The rules' context in a cell: its broker, when it has one, is the broker the bundled-broker rules check. */
const cellContext = (ctx: RuleContext, cell: MatrixCell): RuleContext => (cell.broker === undefined ? ctx : { ...ctx, broker: cell.broker });

/**
 * Checks each cell's groups (applyCell) against the rules. A problem the groups already have
 * as written was reported there; a new one is reported once per smallest combination that
 * causes it, with the exclude entry that would skip it.
 */
export function checkCells(groups: readonly GroupSpec[], cells: readonly MatrixCell[], m: MatrixDraft, ctx: RuleContext, p: Problems): void {
  if (cells.length === 0) {
    p.add(m.origin, 'exclude removes every combination; nothing would run');
    return;
  }
  const base = new Set(groupFindings(groups, ctx, false).map(findingKey));
  const fix = (sub: MatrixCell): string => (m.fromFile ? `add ${cellFlow(sub)} to matrix.exclude` : `leave ${cellLabel(sub)} out`);
  // One report per smallest combination and problem, naming every group it hits.
  const reports = new Map<string, { cell: MatrixCell; sub: MatrixCell; groups: string[]; key: string; message: string }>();
  for (const cell of cells) {
    const applied = applyCell(groups, cell);
    for (const f of groupFindings(applied, cellContext(ctx, cell), true)) {
      if (base.has(findingKey(f))) continue;
      const sub = subCells(cell).find((s) => groupFindings(applyCell(groups, s), cellContext(ctx, s), true).some((g) => findingKey(g) === findingKey(f))) ?? cell;
      const id = `${cellLabel(sub)}|${f.key}|${f.message}`;
      const name = groups[f.group]?.name ?? String(f.group);
      const r = reports.get(id) ?? { cell, sub, groups: [], key: f.key, message: f.message };
      if (!r.groups.includes(name)) r.groups.push(name);
      reports.set(id, r);
    }
  }
  for (const r of reports.values()) {
    const who = r.groups.length === 0 ? '' : `: ${r.groups.length === 1 ? 'group' : 'groups'} ${r.groups.map((g) => `'${g}'`).join(', ')}${r.key === '' ? '' : ` ${r.key}`}:`;
    p.add(m.origin, `cell ${cellLabel(r.cell)}${who} ${r.message}; ${fix(r.sub)}`);
  }
}

/**
 * The cells without those that run the same workload as an earlier one: plain WebSocket groups
 * have no QoS (nor filters), so `protocol: [mqtt, ws]` with `qos: [0, 1, 2]` runs ws once; and
 * no broker, so `broker: [aedes, mosquitto]` runs a ws cell once.
 */
export function distinctCells(groups: readonly GroupSpec[], cells: readonly MatrixCell[]): MatrixCell[] {
  const seen = new Set<string>();
  const out: MatrixCell[] = [];
  for (const cell of cells) {
    const applied = applyCell(groups, cell);
    const mqtt = applied.some((g) => g.protocol === 'mqtt');
    const key = JSON.stringify([mqtt ? (cell.broker ?? null) : null, applied.map((g) => (g.protocol === 'ws' ? { ...g, qos: 0, filters: [] } : g))]);
    if (seen.has(key)) continue;
    seen.add(key);
    // A cell without MQTT groups is served by no broker: it does not carry one.
    const { broker: _unused, ...rest } = cell;
    out.push(mqtt ? cell : rest);
  }
  return out;
}
