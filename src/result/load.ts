/**
 * Reading a result document back (compare, report, --baseline). Every failure is a message
 * that names the file, what is wrong with it, and what to do instead; nothing throws.
 */
import { readFile } from 'node:fs/promises';
import { SCHEMA_VERSION, type ResultDocument } from './schema.js';

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
  for (const [i, p] of (o['phases'] as unknown[]).entries()) {
    if (typeof p !== 'object' || p === null || typeof (p as { name?: unknown }).name !== 'string') {
      return { ok: false, error: `${path}: not an mqbench result (phases[${i}] has no name)` };
    }
  }
  return { ok: true, doc: data as ResultDocument };
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
