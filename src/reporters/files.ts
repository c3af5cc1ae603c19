/**
 * The block that ends a run, a search or `mqbench report`: every file written, one a line with
 * what it is, and what could not be written. Always on stderr (with --json stdout holds the
 * document alone), so a user finds the files whatever went to stdout.
 */

export interface WrittenFile {
  /** What the file is: 'result', 'latest', 'html', 'md', 'junit', 'csv', ... */
  what: string;
  path: string;
  /** A few words after the path, e.g. '(a copy of the result)'. */
  note?: string;
}

export function renderFilesBlock(files: readonly WrittenFile[], unwritten: readonly string[] = []): string {
  const lines = [files.length === 0 ? 'files written: none' : `files written (${files.length}):`];
  const width = Math.max(0, ...files.map((f) => f.what.length));
  for (const f of files) lines.push(`  ${f.what.padEnd(width)}  ${f.path}${f.note === undefined ? '' : ` ${f.note}`}`);
  if (unwritten.length > 0) lines.push(`not written: ${unwritten.join('; ')} (see the error above)`);
  return `${lines.join('\n')}\n`;
}
