/**
 * Reading a result document back (compare, report, --baseline): the one loader all three use.
 * A document is checked against the published JSON Schema (schemas/result.schema.json), so a
 * damaged or hand-edited result is refused up front instead of crashing a comparison halfway.
 * Every failure is a message that names the file, what is wrong with it, and what to do
 * instead; nothing throws.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { SCHEMA_VERSION, type ResultDocument } from './result.js';

export type LoadedResult = { ok: true; doc: ResultDocument } | { ok: false; error: string };

export async function readResultFile(path: string): Promise<LoadedResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, error: `${path}: no such file; give the path of a result written by 'mqbench run' (under results/ or --out)` };
    if (code === 'EISDIR') return { ok: false, error: `${path}: is a directory; give one result file in it (mqbench-<time>-<run>.json)` };
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, error: `${path}: cannot be read (permission denied); check the file's permissions` };
    return { ok: false, error: `${path}: cannot be read: ${(err as Error).message}` };
  }
  return parseResult(path, text);
}

/** The document in `text` (read from `path`, which is only used in messages). */
export function parseResult(path: string, text: string): LoadedResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${path}: not JSON (${jsonErrorWhere(text, err)}); give a result file written by 'mqbench run' (or its --json output saved to a file)` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: `${path}: not an mqbench result (the JSON is ${Array.isArray(data) ? 'an array' : typeof data === 'object' ? 'null' : `a ${typeof data}`}, not an object with schemaVersion and phases)` };
  }
  const o = data as Record<string, unknown>;
  const missing = ['schemaVersion', 'phases'].filter((k) => !(k in o));
  if (missing.length > 0) {
    return { ok: false, error: `${path}: not an mqbench result (no ${missing.join(' and no ')}); give a result file written by 'mqbench run'` };
  }
  const version = o['schemaVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return { ok: false, error: `${path}: not an mqbench result (schemaVersion is ${JSON.stringify(version)}, not a whole number)` };
  }
  if (version !== SCHEMA_VERSION) {
    const written = typeof o['tool'] === 'object' && o['tool'] !== null ? (o['tool'] as { version?: unknown }).version : undefined;
    const by = typeof written === 'string' ? ` (mqbench ${written})` : '';
    return {
      ok: false,
      error:
        version > SCHEMA_VERSION
          ? `${path}: written by a newer mqbench${by}: result schemaVersion ${version}, this mqbench reads ${SCHEMA_VERSION}; upgrade mqbench, or run the benchmark again with this version`
          : `${path}: written by an older mqbench${by}: result schemaVersion ${version}, this mqbench reads ${SCHEMA_VERSION}; run the benchmark again with this version`,
    };
  }
  if (!Array.isArray(o['phases'])) return { ok: false, error: `${path}: not an mqbench result (phases is not a list)` };
  const problems = schemaProblems(data);
  if (problems.length > 0) {
    return { ok: false, error: `${path}: not an mqbench result (${problems.join('; ')}); give a result file written by 'mqbench run' (the format is schemas/result.schema.json)` };
  }
  return { ok: true, doc: data as ResultDocument };
}

/** Problems listed in a message; the rest are counted ('and 12 more'). */
const MAX_PROBLEMS = 5;

/** dist/src/result/ -> the package's schemas/ (shipped with it: package.json "files"). */
const SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/result.schema.json', import.meta.url));

let validator: ValidateFunction | null = null;

/** Compiled on first use (ajv generates code: ~0.3 s on a busy 2-core machine), so `run` without --baseline never pays for it. */
function validateResult(): ValidateFunction {
  if (validator === null) {
    const ajv = new Ajv2020Module.default({ allErrors: true, strict: true });
    addFormatsModule.default(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  return validator;
}

/** Every schema violation as 'phases[0] has no counters' or 'phases[0].status must be one of ...'. */
export function schemaProblems(data: unknown): string[] {
  const validate = validateResult();
  if (validate(data)) return [];
  const missing = new Map<string, string[]>();
  const other: string[] = [];
  for (const e of validate.errors ?? []) {
    const at = pointerToPath(e.instancePath);
    if (e.keyword === 'required') {
      const list = missing.get(at) ?? [];
      list.push(String((e.params as { missingProperty?: unknown }).missingProperty));
      missing.set(at, list);
    } else other.push(`${at === '' ? 'the document' : at} ${describe(e)}`);
  }
  const all = [...[...missing].map(([at, keys]) => `${at === '' ? 'it' : at} has no ${keys.join(', ')}`), ...other];
  return all.length > MAX_PROBLEMS ? [...all.slice(0, MAX_PROBLEMS), `and ${all.length - MAX_PROBLEMS} more`] : all;
}

function describe(e: ErrorObject): string {
  const p = e.params as { allowedValues?: unknown[]; allowedValue?: unknown };
  if (e.keyword === 'enum' && p.allowedValues !== undefined) return `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'const') return `must be ${JSON.stringify(p.allowedValue)}`;
  return e.message ?? `fails the schema's '${e.keyword}' rule`;
}

/** '/phases/0/latency/e2e' -> 'phases[0].latency.e2e' (JSON Pointer, RFC 6901). */
function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

/** "line 3, column 7" from V8's JSON.parse message ("... at position 41 (line 3 column 7)" on Node 20+). */
function jsonErrorWhere(text: string, err: unknown): string {
  if (text.trim() === '') return 'the file is empty';
  const message = err instanceof Error ? err.message : String(err);
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineCol) return `${firstClause(message)} at line ${lineCol[1]}, column ${lineCol[2]}`;
  const pos = /at position (\d+)/.exec(message)?.[1];
  // Node 20 gives no position for a truncated file: the parser stopped at the end.
  const offset = pos !== undefined ? Number(pos) : /Unexpected end of JSON input/.test(message) ? text.length : null;
  if (offset === null) return firstClause(message);
  const before = text.slice(0, offset).split('\n');
  return `${firstClause(message)} at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1} (offset ${offset})`;
}

function firstClause(message: string): string {
  // V8 quotes the start of the text ('..., "{ab..." is not valid JSON'): the position says more.
  return message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/\s*(?:in JSON at position.*|at position \d+.*|\(line \d+ column \d+\))$/, '')
    .trim();
}
