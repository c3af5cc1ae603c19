/** The files a run or a search leaves: the result document, then the --report files beside it. */
import { writeResult } from '../coordinator/document.js';
import { errorMessage } from '../drivers/errors.js';
import type { ResultDocument } from '../metrics/result.js';
import { writeReports, type ReportFormat } from '../reporters/write.js';
import type { Io } from './io.js';

/**
 * The result file, then the --report files beside it. A write that fails after the run (disk
 * full, directory removed) is said here; the caller exits 3 and the summary says what was not
 * written instead of PASS.
 */
export async function writeOutputs(doc: ResultDocument, outDir: string, reports: readonly ReportFormat[], io: Io, json: boolean): Promise<{ file: string | null; unwritten: string[] }> {
  let file: string | null = null;
  const unwritten: string[] = [];
  try {
    file = await writeResult(outDir, doc);
  } catch (err) {
    io.stderr.write(`mqbench: could not write the result to ${outDir}: ${errorMessage(err)}\n`);
  }
  if (file !== null && reports.length > 0) {
    try {
      const written = await writeReports(doc, file, reports);
      if (!json) for (const w of written) io.stderr.write(`report: ${w}\n`);
    } catch (err) {
      io.stderr.write(`mqbench: could not write the reports next to ${file}: ${errorMessage(err)}\n`);
      unwritten.push(`the ${reports.join(', ')} report(s)`);
    }
  }
  return { file, unwritten };
}
