/**
 * Reading a scenario file (YAML or JSON, both through the `yaml` parser so every value keeps
 * its line) into plain data plus a position lookup, so each validation problem can say
 * `fan-in.yaml: groups[1].qos (line 9)`.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { ConfigIssue } from './issue.js';

/** A position in the document: keys and list indexes from the root. */
export type Path = ReadonlyArray<string | number>;

/** 'groups[1].session.clean' */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

export interface SourceFile {
  /** The file as the user gave it, for messages. */
  label: string;
  /** Absolute directory of the file: relative paths in it (ca) resolve from here. */
  dir: string;
  /** The file name without its extension: the scenario's default name. */
  stem: string;
  /** The parsed document as plain data. */
  value: unknown;
  /** Line (1-based) of the value at path, or of its nearest ancestor written in the file. */
  lineOf(path: Path): number;
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** yaml's maxAliasCount: per anchor, its aliases times the values each copies (default 100; real scenarios reuse a group or two). */
const MAX_ALIAS_COUNT = 1000;

export function loadScenarioFile(file: string): { source: SourceFile } | { issues: ConfigIssue[] } {
  const ext = extname(file).toLowerCase();
  if (!SCENARIO_EXTENSIONS.includes(ext)) {
    return { issues: [{ where: file, message: `'${ext || '(no extension)'}' is not a scenario file type; give a .yaml, .yml or .json file` }] };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'no such file; check the path (the scenarios that come with mqbench are in its scenarios/ directory)' : `cannot read it: ${code ?? String(err)}`;
    return { issues: [{ where: file, message: hint }] };
  }
  return parseScenarioText(text, file);
}

/** Parses scenario text; `file` is the label used in messages and the base for relative paths. */
export function parseScenarioText(text: string, file: string): { source: SourceFile } | { issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  // uniqueKeys (the default) reports a key written twice; merge keys (<<) are allowed.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    // After a syntax error the parser reports every following token too: keep the first, and
    // the duplicate keys (independent of it).
    const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    const shown = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY' || e === firstSyntax);
    const kind = extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    return {
      issues: shown.map((e) => {
        const line = e.linePos?.[0]?.line;
        // prettyErrors appends ' at line L, column C:' and a source excerpt; keep the first sentence.
        let message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        if (e.code === 'DUPLICATE_KEY') message = 'a key is written twice in this mapping; keep one';
        else if (/flow-map|flow-seq/.test(message) && kind === 'YAML') message += " (a value with { } or [ ] inside a { } mapping must be quoted, e.g. { topic: 'w/{client}' })";
        return { where: line === undefined ? file : `${file} (line ${line})`, message: `not valid ${kind}: ${message}` };
      }),
    };
  }
  const lines = new Map<string, number>();
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const walk = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as Node | null;
        const at = [...path, key];
        lines.set(formatPath(at), lineAt(keyNode?.range?.[0] ?? (pair.value as Node | null)?.range?.[0]));
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const at = [...path, i];
        lines.set(formatPath(at), lineAt((item as Node | null)?.range?.[0]));
        walk(item, at);
      });
    }
  };
  walk(doc.contents, []);
  const read = toPlain(doc, file, lineAt);
  if ('issues' in read) return read;
  const value = read.value;
  return {
    source: {
      label: file,
      dir: dirname(resolve(file)),
      stem: basename(file, extname(file)),
      value,
      lineOf(path: Path): number {
        for (let n = path.length; n > 0; n--) {
          const line = lines.get(formatPath(path.slice(0, n)));
          if (line !== undefined) return line;
        }
        return 1;
      },
    },
  };
}

/**
 * Aliases (*name) expanded into plain data. The yaml package throws a ReferenceError for an alias
 * whose anchor is not defined before it, and for a document whose aliases expand past
 * maxAliasCount (a "billion laughs" file, a few lines that expand to gigabytes): both are the
 * file's fault, so both are issues, not crashes.
 */
function toPlain(doc: Document, file: string, lineAt: (offset: number | undefined) => number): { value: unknown } | { issues: ConfigIssue[] } {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const unresolved = /^Unresolved alias .*: (.*)$/.exec(err.message)?.[1];
    if (unresolved !== undefined) {
      let line: number | undefined;
      visit(doc, {
        Alias(_key, node) {
          if (node.source !== unresolved) return undefined;
          line = lineAt(node.range?.[0]);
          return visit.BREAK;
        },
      });
      return {
        issues: [{ where: line === undefined ? file : `${file} (line ${line})`, message: `alias *${unresolved} refers to no anchor; define &${unresolved} on a value before this alias (anchors must come first), or write the value out` }],
      };
    }
    if (/alias count/i.test(err.message)) {
      return {
        issues: [{ where: file, message: `its aliases (*name) expand past the limit of ${MAX_ALIAS_COUNT} copied values (aliases of aliases multiply, as in a "billion laughs" file); write the values out, or use fewer, unnested aliases` }],
      };
    }
    return { issues: [{ where: file, message: `not valid YAML: ${err.message}` }] };
  }
}
