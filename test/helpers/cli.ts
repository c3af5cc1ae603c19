/** Runs the built CLI as a real child process, the way a user runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultDocument } from '../../src/metrics/result.js';

export const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Hard limit for the child; it is killed (by its pid) and the test fails past it. */
  timeoutMs?: number;
  /** Called for each stderr chunk with the child, e.g. to send SIGINT at a given point. */
  onStderr?: (soFar: string, child: ChildProcess) => void;
  env?: NodeJS.ProcessEnv;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    opts.onStderr?.(stderr, child);
  });
  const limit = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`mqbench ${args.join(' ')} did not finish in ${limit} ms; stderr:\n${stderr}`));
    }, limit);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Every directory tempDir() made in this process, removed when the process exits. */
const made: string[] = [];
let cleanupArmed = false;

/**
 * A new directory under the system's temporary directory, removed with everything in it when
 * this process exits (a test file runs in a process of its own), so runs leave no litter.
 */
export async function tempDir(prefix = 'mqbench-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  if (!cleanupArmed) {
    cleanupArmed = true;
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** The one result file a run wrote into dir (beside latest.json, its copy), parsed. */
export async function readOnlyResult(dir: string): Promise<{ file: string; doc: ResultDocument }> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'latest.json');
  if (files.length !== 1) throw new Error(`expected one result file in ${dir}, found ${JSON.stringify(files)}`);
  const file = join(dir, files[0]!);
  return { file, doc: JSON.parse(await readFile(file, 'utf8')) as ResultDocument };
}

/** A loopback port that refuses connections for as long as the test holds it. */
export interface RefusedPort {
  port: number;
  /** Releases the port (and the listener and connection that hold it). */
  close(): Promise<void>;
}

/**
 * A loopback port where nothing listens and nothing can start listening until close(): the
 * local end of a connection from this process to a listener of its own on port 0. A connect to
 * 127.0.0.1:port finds no listener and is refused (ECONNREFUSED), and any listen on it fails
 * with EADDRINUSE, so another process's server cannot take it between the test picking it and
 * the code under test connecting to it (as a port bound, closed and reused could be).
 */
export async function refusedPort(): Promise<RefusedPort> {
  const server = createServer((s) => s.on('error', () => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const held = connect(address.port, '127.0.0.1');
  await once(held, 'connect');
  const port = held.localPort;
  if (port === undefined) throw new Error('no local port');
  return {
    port,
    close: async () => {
      held.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
