/**
 * Collecting validation problems of a scenario file: each at a file position (path and line)
 * or at the flag that overrode the value, all kept, none thrown.
 */
import type { ConfigIssue } from './issue.js';
import { formatPath, type Path, type SourceFile } from './load.js';
import { closest } from './suggest.js';

/** Where a value came from: a position in the file, or a flag that replaced it. */
export type Origin = { path: Path } | { flag: string };

export const at = (...path: Array<string | number>): Origin => ({ path });
export const fromFlag = (flag: string): Origin => ({ flag });

export class Problems {
  private readonly list: Array<ConfigIssue & { line: number }> = [];
  constructor(readonly source: SourceFile) {}

  where(origin: Origin): string {
    if ('flag' in origin) return origin.flag;
    const { label } = this.source;
    if (origin.path.length === 0) return label;
    return `${label}: ${formatPath(origin.path)} (line ${this.source.lineOf(origin.path)})`;
  }

  /** Adds a problem; the same message at the same place (a `defaults` value in several groups) once. */
  add(origin: Origin, message: string): void {
    this.push(this.where(origin), message, 'flag' in origin ? Number.POSITIVE_INFINITY : this.source.lineOf(origin.path));
  }

  /** Adds a problem at a `where` already formatted (a flag, or a file position from a shared parser). */
  addAt(where: string, message: string, origin?: Origin): void {
    this.push(where, message, origin === undefined || 'flag' in origin ? Number.POSITIVE_INFINITY : this.source.lineOf(origin.path));
  }

  private push(where: string, message: string, line: number): void {
    if (!this.list.some((i) => i.where === where && i.message === message)) this.list.push({ where, message, line });
  }

  get count(): number {
    return this.list.length;
  }

  /** Whether a problem was reported at this `where`. */
  hasAt(where: string): boolean {
    return this.list.some((i) => i.where === where);
  }

  /** Every problem, in file order (by line; the flags' after the file's). */
  issues(): ConfigIssue[] {
    return [...this.list].sort((a, b) => a.line - b.line).map(({ where, message }) => ({ where, message }));
  }
}

/** 'did you mean X?' when a known key is close, else the list of known keys. */
export function suggestKey(key: string, known: readonly string[]): string {
  const best = closest(key, known);
  return best !== null ? `did you mean '${best}'?` : `known keys: ${known.join(', ')}`;
}

/** Reports every key of obj not in known, with a suggestion. */
export function checkKeys(obj: Record<string, unknown>, known: readonly string[], base: Path, p: Problems, context: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) p.add({ path: [...base, key] }, `'${key}' is not a ${context} key; ${suggestKey(key, known)}`);
  }
}
