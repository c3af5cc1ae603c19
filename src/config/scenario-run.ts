/**
 * What `mqbench run [scenario]` runs, as one resolved Scenario: a base (a scenario file, or the
 * defaults with the clients the flags describe) and the flags' overlay on top (defaults < file
 * < flags), with every problem of the file and the flags at once.
 */
import { loadScenarioFile } from './load.js';
import type { Scenario } from './model.js';
import { applyOverlay, type RunExtras } from './flag-overlay.js';
import { readFlags } from './read-flags.js';
import { readRunExtras } from './run-extras.js';
import type { ConfigIssue } from './issue.js';
import { buildRunConfig } from './run-config.js';
import { given, WORKLOAD_FLAGS, type RawRunFlags } from './run-flags.js';
import { finishDraft, readDocument } from './validate.js';

export type RunSource = 'file' | 'quickstart' | 'flags';

/** A resolved run: the scenario or every problem, and what `run` does besides (repeats, baseline, reports). */
export type ResolvedRun = ({ config: Scenario } | { issues: ConfigIssue[] }) & { run: RunExtras };

/**
 * What `mqbench run [scenario]` runs: the file when given; flags alone when any workload flag is
 * given; else the quickstart scenario (its path from the package), with the remaining flags on top.
 */
export function resolveRun(file: string | undefined, flags: RawRunFlags, interactive: boolean, quickstart: string): ResolvedRun & { source: RunSource } {
  if (file !== undefined && file !== '') return { ...buildScenarioRun(file, flags, interactive), source: 'file' };
  if (WORKLOAD_FLAGS.some((k) => given(flags[k]))) return { ...buildRunConfig(flags, interactive), source: 'flags' };
  return { ...buildScenarioRun(quickstart, flags, interactive), source: 'quickstart' };
}

/** A scenario file, read and validated, with the overlay on top; every problem at once. */
export function buildScenarioRun(file: string, flags: RawRunFlags, interactive: boolean): ResolvedRun {
  const loaded = loadScenarioFile(file);
  if ('issues' in loaded) {
    // Nothing to put the flags on: the file's problem, and those of the run's own flags (--repeat, --baseline, ...).
    const issues = [...loaded.issues];
    const run = readRunExtras(flags, (where, message) => issues.push({ where, message }));
    return { issues, run };
  }
  const draft = readDocument(loaded.source, interactive);
  const base = { file, targets: draft.scenario.targets, wsTargets: draft.scenario.wsTargets };
  const { overlay } = readFlags(flags, base, (where, m) => draft.problems.addAt(where, m));
  applyOverlay(draft, overlay);
  return { ...finishDraft(draft), run: overlay.run };
}
