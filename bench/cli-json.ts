/** Runs the built CLI with --json for the benchmarks, and installs mosquitto when missing. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultDocument } from '../src/metrics/result.js';
import { BIN } from '../test/helpers/cli.js';
import { mosquittoBinary } from '../test/helpers/mosquitto.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a Node script of the project to its end: its exit code and everything it printed. */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function runJson(args: string[]): Promise<{ code: number | null; doc: ResultDocument | null; stderr: string }> {
  const { code, stdout, stderr } = await runNode(BIN, args, { ...process.env, NO_COLOR: '1' });
  let doc: ResultDocument | null = null;
  let parseError = '';
  try {
    doc = JSON.parse(stdout) as ResultDocument;
  } catch (err) {
    // No document: the caller prints the exit code and stderr; say why parsing failed too.
    parseError = err instanceof Error ? err.message : String(err);
  }
  return { code, doc, stderr: parseError === '' ? stderr : `${stderr}\n(stdout was not a result document: ${parseError})` };
}

export function ensureMosquitto(): boolean {
  if (mosquittoBinary() !== null) return true;
  console.error('mosquitto is not installed; installing it with scripts/install-mosquitto.sh');
  const r = spawnSync('bash', [join(ROOT, 'scripts/install-mosquitto.sh')], { stdio: 'inherit' });
  return r.status === 0 && mosquittoBinary() !== null;
}
