/** Builds and writes the result document. Writes go to a temporary file renamed into place, so no reader sees half a file. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { RunConfig } from '../config/run-config.js';
import { settleVerdict } from '../gates/verdict.js';
import type { Threshold } from '../gates/threshold.js';
import { SCHEMA_VERSION, type PhaseResult, type ResultDocument, type RunStatus } from './schema.js';

const require = createRequire(import.meta.url);
export const TOOL_VERSION: string = (require('../../../package.json') as { version: string }).version;

export function newDocument(runId: string, config: RunConfig, command: string[], startedAt: Date): ResultDocument {
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
    command,
    scenario: scenarioOf(config),
    sockets: { noDelay: config.noDelay, workers: config.workers },
    phases: [],
    verdict: { passed: false, failures: [] },
  };
}

/** The resolved run as plain data (what a scenario file holds, defaults filled in and flags applied). */
function scenarioOf(c: RunConfig): Record<string, unknown> {
  return {
    name: c.name,
    description: c.description,
    file: c.file,
    targets: c.targets.map((t) => t.url),
    wsTargets: c.wsTargets.map((t) => t.url),
    localAddresses: c.localAddresses,
    ca: c.caPath,
    insecure: c.insecure,
    workers: c.workers,
    connectRate: c.connectRate,
    connectTimeoutSeconds: c.connectTimeoutMs / 1000,
    noDelay: c.noDelay,
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

/** Settles status and verdict: delivery failures and thresholds fail the verdict; an unfinished run never passes. */
export function finalize(doc: ResultDocument, status: RunStatus, error: string | undefined, phases: PhaseResult[], endedAt: Date, thresholds: readonly Threshold[] = []): ResultDocument {
  const out: ResultDocument = { ...doc, status, phases, endedAt: endedAt.toISOString() };
  if (error !== undefined) out.error = error;
  return settleVerdict(out, thresholds);
}

export function resultFileName(doc: ResultDocument): string {
  const stamp = doc.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  return `mqbench-${stamp}-${doc.runId}.json`;
}

export async function writeResult(dir: string, doc: ResultDocument): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, resultFileName(doc));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}
