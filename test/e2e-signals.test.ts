/**
 * SIGTERM and SIGHUP (CI runners, Kubernetes, a closed terminal) stop a run like the first
 * Ctrl-C: the phase stops, drains, and a valid result marked interrupted is written (exit 130);
 * the bundled server child goes with the run without a stack trace. A signal during the connect
 * stage does not wait out --connect-timeout. The built CLI runs as a real process; signals go to
 * its pid only.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { readOnlyResult, runCli, tempDir } from './helpers/cli.js';
import { assertMatchesSchema } from './helpers/schema.js';

/** The phase stops at the signal, so a long steady window costs nothing and the signal always lands inside it. */
const LONG_RUN = ['--duration', '60s', '--warmup', '0s', '--drain', '1s', '--workers', '1', '--publishers', '1', '--subscribers', '1'];

/** A stack frame line or an IPC error: what a child or the CLI must never print on the way out. */
const CRASH = /ERR_IPC_DISCONNECTED|ERR_IPC_CHANNEL_CLOSED|^\s+at .+[:(]\d+:\d+\)?$|Uncaught|node:internal/m;

/** Whether `pid` is a live process: gone, or a zombie waiting for its new parent to reap it, counts as ended. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state after the command's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function assertEnds(pid: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, `${what} (pid ${pid}) still runs`);
}

/** The pid of the bundled server from its "listening on ..., pid N" note. */
function serverPid(stderr: string): number {
  const m = /bundled (?:broker \(aedes\)|WebSocket echo server) listening on .*, pid (\d+)/.exec(stderr);
  assert.ok(m, `no bundled server note in:\n${stderr}`);
  return Number(m[1]);
}

// Each case has its own CLI, server and --out, and signals go to its own pids: the cases go side by side.
describe('signals, case by case', { concurrency: true }, () => {
  for (const { signal, args, server } of [
    { signal: 'SIGTERM', args: ['--qos', '1'], server: 'bundled broker' },
    { signal: 'SIGHUP', args: ['--protocol', 'ws'], server: 'bundled echo server' },
  ] as const) {
    test(`${signal} mid-load (${server}): exit 130, a valid result marked interrupted, no stack trace`, { timeout: 90_000 }, async () => {
      const out = await tempDir();
      let sent = false;
      try {
        const r = await runCli(['run', ...LONG_RUN, ...args, '--out', out], {
          timeoutMs: 60_000,
          onStderr: (soFar, child) => {
            if (!sent && soFar.includes('load started')) {
              sent = true;
              child.kill(signal);
            }
          },
        });
        assert.ok(sent, `the load never started:\n${r.stderr}`);
        assert.equal(r.signal, null, `the CLI was killed by ${r.signal ?? ''} instead of handling it`);
        assert.equal(r.code, 130, r.stderr);
        assert.match(r.stderr, new RegExp(`interrupted \\(${signal}\\); finishing the current phase and writing results`));
        assert.doesNotMatch(r.stderr, CRASH);
        const { doc } = await readOnlyResult(out);
        assertMatchesSchema(doc);
        assert.equal(doc.status, 'interrupted');
        assert.equal(doc.phases.length, 1);
        const p = doc.phases[0]!;
        assert.equal(p.status, 'interrupted');
        assert.ok(p.durationSeconds < 60, 'the steady window was cut short');
        assert.ok(p.counters.connects >= 1, 'the clients that ran are in the result');
        assert.match(r.stdout, /^INTERRUPTED/m);
        await assertEnds(serverPid(r.stderr), `the ${server}`);
        assert.deepEqual((await readdir(out)).filter((f) => !f.endsWith('.json')), [], 'no temporary file left');
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    });
  }

  test('a second signal quits at once without a result file; the bundled broker goes too, without a stack trace', { timeout: 90_000 }, async () => {
    const out = await tempDir();
    let sent = 0;
    try {
      const r = await runCli(['run', ...LONG_RUN, '--qos', '1', '--out', out], {
        timeoutMs: 60_000,
        onStderr: (soFar, child) => {
          if (sent === 0 && soFar.includes('load started')) {
            sent = 1;
            child.kill('SIGTERM');
          } else if (sent === 1 && soFar.includes('interrupted (SIGTERM)')) {
            sent = 2;
            child.kill('SIGHUP');
          }
        },
      });
      assert.equal(sent, 2, `the second signal was never sent:\n${r.stderr}`);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /SIGHUP, a second signal: quitting without a result file/);
      // runCli returns once every holder of the CLI's stderr closed it, the broker child included.
      assert.doesNotMatch(r.stderr, CRASH);
      await assertEnds(serverPid(r.stderr), 'the bundled broker');
      assert.deepEqual(await readdir(out), [], 'no result and no temporary file');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  /** A target that accepts TCP and never answers a CONNECT: clients wait for CONNACK until --connect-timeout. */
  async function silentTarget(onConnection: (count: number) => void): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    let count = 0;
    const server: Server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
      onConnection(++count);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return {
      url: `mqtt://127.0.0.1:${address.port}`,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} while clients wait for CONNACK: exit 130 without waiting out --connect-timeout 10m, result interrupted`, { timeout: 90_000 }, async () => {
      const out = await tempDir();
      let child: ChildProcess | null = null;
      let stderr = '';
      let clientSockets = 0;
      let sent = false;
      // Sent once the run is in its connect stage and a client's socket (not only the reachability probe) is open.
      const maybeSend = (): void => {
        if (!sent && child !== null && stderr.includes('connecting clients') && clientSockets >= 1) {
          sent = true;
          child.kill(signal);
        }
      };
      const target = await silentTarget((count) => {
        // The first connection is the reachability probe (it closes at once); later ones are clients.
        clientSockets = count - 1;
        maybeSend();
      });
      try {
        // 10 minutes: a run that waited it out would overrun runCli's 60 s limit and fail there.
        const r = await runCli(['run', '--target', target.url, '--connect-timeout', '10m', '--qos', '1', '--duration', '1s', '--warmup', '0s', '--drain', '1s', '--workers', '1', '--out', out], {
          timeoutMs: 60_000,
          onStderr: (soFar, c) => {
            child = c;
            stderr = soFar;
            maybeSend();
          },
        });
        assert.ok(sent, `the signal was never sent:\n${r.stderr}`);
        assert.equal(r.code, 130, r.stderr);
        assert.doesNotMatch(r.stderr, CRASH);
        const { doc } = await readOnlyResult(out);
        assertMatchesSchema(doc);
        assert.equal(doc.status, 'interrupted');
        const p = doc.phases[0];
        assert.ok(p, 'the interrupted phase is in the result');
        assert.equal(p.status, 'interrupted');
        assert.match(p.error ?? '', /interrupted while connecting clients/);
        assert.equal(p.counters.connects, 0, 'no client ever got a CONNACK');
        // The connecting was abandoned, not timed out: no attempt failed, no timeout counted.
        assert.equal(p.counters.connectFailures, 0, JSON.stringify(p.counters));
        assert.deepEqual(p.counters.errors, {}, 'no connect error of any kind');
        assert.equal(p.counters.sent, 0);
      } finally {
        await target.close();
        await rm(out, { recursive: true, force: true });
      }
    });
  }
});
