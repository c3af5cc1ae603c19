/** The files a run or a search leaves: the result document, its copy as latest.json, then the --report files beside it. */
import { writeLatest, writeResult } from '../coordinator/document.js';
import { errorMessage } from '../drivers/errors.js';
import type { ResultDocument } from '../metrics/result.js';
import type { WrittenFile } from '../reporters/files.js';
import { writeReports, type ReportFormat } from '../reporters/write.js';
import type { Io } from './io.js';

/**
 * The result file, latest.json (a copy of it in the same directory), then the --report files
 * beside it; `written` lists each file written, for the block that ends the run
 * (reporters/files.ts). A write that fails after the run (disk full, directory removed) is said
 * here; the caller exits 3 and the summary says what was not written instead of PASS.
 */
export async function writeOutputs(
  doc: ResultDocument,
  outDir: string,
  reports: readonly ReportFormat[],
  io: Io,
): Promise<{ file: string | null; unwritten: string[]; written: WrittenFile[] }> {
  let file: string | null = null;
  const unwritten: string[] = [];
  const written: WrittenFile[] = [];
  try {
    file = await writeResult(outDir, doc);
    written.push({ what: 'result', path: file });
  } catch (err) {
    io.stderr.write(`mqbench: could not write the result to ${outDir}: ${errorMessage(err)}\n`);
  }
  if (file === null) return { file, unwritten, written };
  try {
    written.push({ what: 'latest', path: await writeLatest(outDir, file), note: '(a copy of the result)' });
  } catch (err) {
    io.stderr.write(`mqbench: could not write latest.json in ${outDir}: ${errorMessage(err)}\n`);
    unwritten.push('latest.json');
  }
  // One at a time, so the block lists the reports written before one failed.
  for (const [i, what] of reports.entries()) {
    try {
      for (const path of await writeReports(doc, file, [what])) written.push({ what, path });
    } catch (err) {
      io.stderr.write(`mqbench: could not write the reports next to ${file}: ${errorMessage(err)}\n`);
      unwritten.push(`the ${reports.slice(i).join(', ')} report(s)`);
      break;
    }
  }
  return { file, unwritten, written };
}
