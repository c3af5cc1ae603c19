/**
 * Running the files of scenarios/ in a short mode and reading their per-group results, for the
 * scenario end-to-end tests. The files are split between two test files; FILES_TESTED_IN lists
 * which tests which scenario, so a new scenario without a test fails (e2e-scenarios.test.ts) and
 * so does a listed one without a case.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { GroupResult, PhaseResult, ResultDocument } from '../../src/metrics/result.js';
import { runCli, tempDir } from './cli.js';
import { assertMatchesSchema } from './schema.js';

export const SCENARIO_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

export const FILES_TESTED_IN = {
  'e2e-scenarios.test': ['quickstart.yaml', 'protocol-comparison.yaml', 'broker-comparison.yaml', 'fan-in.yaml', 'fan-out.yaml', 'point-to-point.yaml', 'connection-storm.yaml', 'ws-echo.yaml', 'ws-broadcast.yaml'],
  'e2e-scenarios-sessions.test': ['retained.yaml', 'offline-queue.yaml', 'last-will.yaml', 'shared-subscription.yaml', 'mqtt5-sessions.yaml'],
  'ci-workflow.test': ['ci-gate.yaml'],
  'e2e-capacity.test': ['capacity.yaml'],
} as const;

export interface ScenarioCase {
  /** Flag overrides on top of SHORT, e.g. a longer duration so the file's time offsets happen, or --broker mosquitto. */
  flags?: Record<string, string>;
  /**
   * QoS 1 redelivery is allowed: a client that went offline with deliveries not yet acknowledged
   * gets them again on resume (at least once), so duplicates are counted, not failed.
   */
  redelivery?: boolean;
  /** Phase names in order. */
  phases: string[];
  check(phases: PhaseResult[]): void;
}

/** The short mode: each flag given once (a repeated flag would become a list). */
const SHORT: Record<string, string> = { duration: '1s', warmup: '0s', drain: '3s', workers: '2' };

/**
 * Runs scenarios/<file> with the case's flags and checks what holds for every scenario here
 * (QoS 0 and 1, or plain WebSocket, on loopback): a passing run, no connect failures, every expected
 * message delivered, none lost, none twice (unless the case allows redelivery), every QoS 1
 * publish acknowledged. Returns the phases for the case's check.
 */
export async function runScenario(file: string, c: ScenarioCase): Promise<PhaseResult[]> {
  const flags: Record<string, string> = { ...SHORT, ...c.flags, out: await tempDir() };
  const args = ['run', `${SCENARIO_DIR}${file}`, '--json', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
  const r = await runCli(args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `mqbench ${args.join(' ')}\n${r.stderr}`);
  const doc = JSON.parse(r.stdout) as ResultDocument;
  assertMatchesSchema(doc);
  assert.equal(doc.status, 'completed');
  if (flags['driver'] !== undefined) assert.equal(doc.sockets.driver, flags['driver'], 'the result records the driver asked for');
  assert.equal(doc.verdict.passed, true, doc.verdict.failures.join('; '));
  const phases = doc.phases;
  assert.deepEqual(phases.map((p) => p.name), c.phases);
  for (const p of phases) {
    assert.equal(p.status, 'completed', `${p.name}: ${p.error ?? ''}`);
    assert.deepEqual(p.deliveryFailures, [], p.name);
    for (const g of p.groups) {
      const where = `${p.name}/${g.name}`;
      assert.equal(g.connectFailures, 0, `${where}: connect failures`);
      assert.equal(g.lost, 0, `${where}: lost`);
      if (c.redelivery !== true) assert.equal(g.duplicated, 0, `${where}: duplicated`);
      assert.equal(g.received - g.duplicated, g.expected, `${where}: every expected message arrived once (received ${g.received}, duplicated ${g.duplicated})`);
      if (g.sent > 0 && g.qos !== null && g.qos > 0) assert.equal(g.acked, g.sent, `${where}: every publish acknowledged`);
    }
  }
  return phases;
}

/** The phase of a scenario without a matrix (one phase, the empty cell). */
export function only(phases: PhaseResult[]): PhaseResult {
  assert.equal(phases.length, 1);
  assert.deepEqual(phases[0]!.cell, {});
  return phases[0]!;
}

/** The named group of a phase; fails the test, naming the groups there are, when missing. */
export function group(phase: PhaseResult, name: string): GroupResult {
  const g = phase.groups.find((x) => x.name === name);
  assert.ok(g, `${phase.name}: no group ${name} in ${phase.groups.map((x) => x.name).join(', ')}`);
  return g;
}
