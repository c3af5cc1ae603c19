/** Runs the built CLI with --json for the benchmarks, and installs mosquitto when missing. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultDocument } from '../src/metrics/result.js';
import { BIN } from '../test/helpers/cli.js';
import { mosquittoBinary } from '../test/helpers/mosquitto.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function runJson(args: string[]): Promise<{ code: number | null; doc: ResultDocument | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let doc: ResultDocument | null = null;
      let parseError = '';
      try {
        doc = JSON.parse(out) as ResultDocument;
      } catch (err) {
        // No document: the caller prints the exit code and stderr; say why parsing failed too.
        parseError = err instanceof Error ? err.message : String(err);
      }
      resolve({ code, doc, stderr: parseError === '' ? errText : `${errText}\n(stdout was not a result document: ${parseError})` });
    });
  });
}

export function ensureMosquitto(): boolean {
  if (mosquittoBinary() !== null) return true;
  console.error('mosquitto is not installed; installing it with scripts/install-mosquitto.sh');
  const r = spawnSync('bash', [join(ROOT, 'scripts/install-mosquitto.sh')], { stdio: 'inherit' });
  return r.status === 0 && mosquittoBinary() !== null;
}
