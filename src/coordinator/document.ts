/** Builds and writes the result document. Writes go to a temporary file renamed into place, so no reader sees half a file. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REDACTED, redactArgv } from '../config/redact.js';
import { DEFAULT_DRIVER, type Scenario } from '../config/model.js';
import { SCHEMA_VERSION, type PhaseResult, type ResultDocument, type RunStatus } from '../metrics/result.js';

const require = createRequire(import.meta.url);
export const TOOL_VERSION: string = (require('../../../package.json') as { version: string }).version;

export function newDocument(runId: string, config: Scenario, command: string[], startedAt: Date): ResultDocument {
  const cpus = os.cpus();
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'mqbench', version: TOOL_VERSION },
    env: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism(),
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      hostname: os.hostname(),
    },
    runId,
    status: 'failed',
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    // The command line holds --password and URL passwords as given: stored redacted.
    command: redactArgv(command),
    scenario: scenarioOf(config),
    sockets: { noDelay: config.noDelay, workers: config.workers, driver: config.driver ?? DEFAULT_DRIVER },
    phases: [],
    // Not settled yet: settleVerdict fills verdict and gates once the run (and its repeats) are over.
    verdict: { passed: false, failures: [] },
  };
}

/** The resolved run as plain data (what a scenario file holds, defaults filled in and flags applied). */
function scenarioOf(c: Scenario): Record<string, unknown> {
  return {
    name: c.name,
    description: c.description,
    file: c.file,
    targets: c.targets.map((t) => t.url),
    // The broker started when no target is named (each matrix cell may name its own: cells).
    broker: c.targets.length === 0 ? c.broker : null,
    wsTargets: c.wsTargets.map((t) => t.url),
    localAddresses: c.localAddresses,
    ca: c.caPath,
    insecure: c.insecure,
    credentials: credentialsShown(c),
    workers: c.workers,
    connectRate: c.connectRate,
    connectTimeoutSeconds: c.connectTimeoutMs / 1000,
    noDelay: c.noDelay,
    driver: c.driver ?? DEFAULT_DRIVER,
    load: {
      stages: c.load.stages.map((s) => ({ durationSeconds: s.durationMs / 1000, kind: s.kind, level: s.level })),
      warmupSeconds: c.load.warmupMs / 1000,
      durationSeconds: c.load.durationMs / 1000,
      drainSeconds: c.load.drainMs / 1000,
    },
    groups: c.groups.map((g) => ({ ...g })),
    matrix: c.matrix,
    cells: c.cells,
    thresholds: c.thresholds.map((t) => ({ expression: t.expression, source: t.source })),
    abortOnFail: c.abortOnFail,
  };
}

/** Who connected, never the password (target URLs are redacted when they are parsed); null: no credentials. */
function credentialsShown(c: Scenario): { username: string | null; password: string | null } | null {
  const { username, password } = c.credentials ?? {};
  if (username === undefined && password === undefined) return null;
  return { username: username ?? null, password: password === undefined ? null : REDACTED };
}

/**
 * Closes the document of a finished (or stopped) run: status, error, phases, end time. The verdict
 * stays unsettled (not passed) here: the CLI settles it once (gates/verdict.ts settleVerdict),
 * after repeats are merged and a baseline compared.
 */
export function closeDocument(doc: ResultDocument, status: RunStatus, error: string | undefined, phases: PhaseResult[], endedAt: Date): ResultDocument {
  const out: ResultDocument = { ...doc, status, phases, endedAt: endedAt.toISOString() };
  if (error !== undefined) out.error = error;
  return out;
}

/** mqbench-<start>-<run id>.json; a shard's own result adds -shard-<i>-of-<N>, so shards sharing a directory (a volume) never overwrite each other. */
export function resultFileName(doc: ResultDocument): string {
  const stamp = doc.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const s = doc.shard;
  const shard = s !== undefined && s.indexes.length === 1 && s.count > 1 ? `-shard-${s.indexes[0]}-of-${s.count}` : '';
  return `mqbench-${stamp}-${doc.runId}${shard}.json`;
}

/** The filesystem calls writeResult makes; tests pass failing ones (a full disk, a failed rename). */
export interface ResultFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  writeFile(file: string, data: string, options: { flag: 'wx' }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: true }): Promise<void>;
}

const nodeFs: ResultFs = { mkdir, writeFile, rename, rm };

/**
 * Writes the result into `dir` as `resultFileName(doc)`: to `<file>.<pid>.tmp` (created, never an
 * existing file followed), then renamed into place. On any failure (ENOSPC mid-write, a failed
 * rename) the temporary file is removed and the write's error is thrown, so nothing is left behind.
 */
export async function writeResult(dir: string, doc: ResultDocument, fs: ResultFs = nodeFs): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, resultFileName(doc));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (err) {
    // EEXIST: the name is someone else's file, which is left alone.
    if ((err as { code?: unknown }).code !== 'EEXIST') await removeTemporary(fs, tmp, err);
    throw err;
  }
  return file;
}

/** Removes a temporary file after `cause`; a removal that fails too is added to the error thrown. */
async function removeTemporary(fs: ResultFs, tmp: string, cause: unknown): Promise<void> {
  try {
    await fs.rm(tmp, { force: true });
  } catch (err) {
    if (cause instanceof Error) cause.message += `; the temporary file ${tmp} could not be removed either: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The copy of the last result in an output directory: `results/latest.json`. */
export const LATEST_FILE = 'latest.json';

/**
 * Copies `resultFile` to `latest.json` in `dir`: to a temporary file of its own name first, then
 * renamed over the previous copy, so a reader sees the old result or the new one, never part of
 * one. A copy, not a symbolic link: it works on every filesystem and in every artifact upload.
 */
export async function writeLatest(dir: string, resultFile: string): Promise<string> {
  const file = path.join(dir, LATEST_FILE);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await copyFile(resultFile, tmp, constants.COPYFILE_EXCL);
    await rename(tmp, file);
  } catch (err) {
    await removeTemporary(nodeFs, tmp, err);
    throw err;
  }
  return file;
}
