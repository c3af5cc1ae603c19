/**
 * `mqbench report <result.json>`: render a saved result again. terminal (the default) and md
 * go to stdout; html, junit and csv are files next to the result (or in --out). With --out every
 * format but terminal is a file. When Markdown goes to stdout (for `>> $GITHUB_STEP_SUMMARY`),
 * everything else printed goes to stderr so stdout stays Markdown. The files written end the
 * output as a block on stderr (reporters/files.ts); their paths are also on stdout, one a line,
 * unless stdout holds the Markdown.
 */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { errorMessage } from '../drivers/errors.js';
import { renderMarkdown } from '../reporters/markdown.js';
import { parseReportFormats, writeReports, type ReportFormat } from '../reporters/write.js';
import { renderSummary } from '../reporters/terminal.js';
import { renderFilesBlock, type WrittenFile } from '../reporters/files.js';
import { readResultFile } from '../metrics/result-file.js';
import type { ResultDocument } from '../metrics/result.js';
import { ExitCode } from './exit-codes.js';
import { prepareOutDir } from './out-dir.js';
import { wantsColour, type Io } from './io.js';

export type CliReportFormat = 'terminal' | ReportFormat;

export function reportOptions<T>(y: Argv<T>) {
  return y
    .positional('result', { type: 'string', demandOption: true, describe: 'A result file written by `mqbench run` (results/mqbench-...json)' })
    .option('format', { type: 'string', describe: 'terminal, html, md, junit, csv (comma-separated). terminal and md print to stdout; html, junit and csv are written next to the result as .html, .junit.xml and .csv (one row per phase and metric) [default: "terminal"]' })
    .option('out', { type: 'string', describe: 'Directory for the report files (default: beside the result); with --out, md is written to a file too' });
}

/** The whole yargs command, so main.ts holds one line for it. */
export function reportCommandModule<T>(io: Io, setCode: (code: number) => void): CommandModule<T, ReportArgs<T>> {
  return {
    command: 'report <result>',
    describe: 'Render a saved result again: terminal summary, HTML report, Markdown (CI job summaries, PR comments), JUnit XML or CSV',
    builder: (y: Argv<T>) =>
      reportOptions(y)
        .example('$0 report results/mqbench-2025-01-01T12-00-00Z-ab12cd.json', 'the terminal summary again')
        .example('$0 report result.json --format html,junit', 'an HTML report and JUnit XML beside the result')
        .example('$0 report result.json --format md >> "$GITHUB_STEP_SUMMARY"', 'Markdown on stdout for a CI job summary'),
    handler: async (argv) => {
      setCode(await reportCommand(String(argv.result), { format: argv.format, out: argv.out }, io));
    },
  };
}

type ReportArgs<T> = ReturnType<typeof reportOptions<T>> extends Argv<infer U> ? U : never;

export interface ReportFlags {
  format?: string | undefined;
  out?: string | undefined;
}

/** 'terminal,html' -> ['terminal', 'html']; the file formats are checked by parseReportFormats. */
export function parseCliFormats(text: string): CliReportFormat[] | { error: string } {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const terminal = parts.some((s) => s.toLowerCase() === 'terminal');
  const files = parts.filter((s) => s.toLowerCase() !== 'terminal');
  if (files.length === 0) return terminal ? ['terminal'] : { error: "no format given; use terminal, html, md, junit or csv (comma-separated, e.g. --format html,md)" };
  const parsed = parseReportFormats(files.join(','));
  if ('error' in parsed) return { error: `${parsed.error.replace(/; use .*$/, '')}; use terminal, html, md, junit or csv (comma-separated, e.g. --format html,md)` };
  return terminal ? ['terminal', ...parsed] : parsed;
}

/**
 * A result file read and checked against the result schema (metrics/result-file.ts, shared with compare
 * and --baseline), so every reporter can render it, or what is wrong and how to fix it.
 */
export async function loadResult(file: string): Promise<{ doc: ResultDocument } | { error: string }> {
  const read = await readResultFile(file);
  if (read.ok) return { doc: read.doc };
  // A report given for its result: say which file to give instead.
  const hint = /\.(html|md|xml)$/i.test(file) && / not JSON /.test(read.error) ? `. ${path.basename(file)} looks like a report: give the .json result it was made from` : '';
  return { error: `${read.error}${hint}` };
}

export async function reportCommand(resultFile: string, flags: ReportFlags, io: Io): Promise<number> {
  const formats = parseCliFormats(flags.format ?? 'terminal');
  if ('error' in formats) {
    io.stderr.write(`mqbench report: --format: ${formats.error}\n`);
    return ExitCode.BadInput;
  }
  if (flags.out !== undefined && flags.out.trim() === '') {
    io.stderr.write('mqbench report: --out: give a directory for the report files, or leave --out out to write them beside the result\n');
    return ExitCode.BadInput;
  }
  const loaded = await loadResult(resultFile);
  if ('error' in loaded) {
    io.stderr.write(`mqbench report: ${loaded.error}\n`);
    return ExitCode.BadInput;
  }
  // With --out every format but terminal is a file there: checked before anything is printed.
  const outProblem = flags.out !== undefined && formats.some((f) => f !== 'terminal') ? await prepareOutDir(flags.out) : null;
  if (outProblem !== null) {
    io.stderr.write(`mqbench report: ${outProblem}\n`);
    return ExitCode.BadInput;
  }
  const doc = loaded.doc;
  const mdToStdout = formats.includes('md') && flags.out === undefined;
  // stdout carries the Markdown alone when it is there; the rest goes to stderr.
  const side = mdToStdout ? io.stderr : io.stdout;
  if (formats.includes('terminal')) side.write(renderSummary(doc, resultFile, wantsColour(side, io.env)));
  if (mdToStdout) io.stdout.write(renderMarkdown(doc));
  const files = formats.filter((f): f is ReportFormat => f !== 'terminal' && !(f === 'md' && mdToStdout));
  if (files.length === 0) return ExitCode.Pass;
  const written: WrittenFile[] = [];
  const unwritten: string[] = [];
  // One at a time, so the block lists the files written before one failed.
  for (const [i, what] of files.entries()) {
    try {
      for (const w of await writeReports(doc, resultFile, [what], flags.out)) written.push({ what, path: w });
    } catch (err) {
      io.stderr.write(`mqbench report: could not write the report files to ${flags.out ?? path.dirname(resultFile)}: ${errorMessage(err)}; choose a writable directory with --out\n`);
      unwritten.push(`the ${files.slice(i).join(', ')} report(s)`);
      break;
    }
  }
  if (!mdToStdout) for (const w of written) io.stdout.write(`${w.path}\n`);
  io.stderr.write(renderFilesBlock(written, unwritten));
  return unwritten.length > 0 ? ExitCode.BadInput : ExitCode.Pass;
}
