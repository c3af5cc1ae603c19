/** Source-address planning and the open-files check, table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRunConfig, type RawRunFlags } from '../src/config/run-config.js';
import { FD_RESERVE, openFilesLimit, preflight } from '../src/coordinator/preflight.js';
import { CONNECTIONS_PER_SOURCE, planSources } from '../src/plan/sources.js';

test('planSources: one source until the per-source budget, then 127.0.0.x against loopback', () => {
  const cases: Array<{ given: string[]; host: string; n: number; want: string[] | 'error' }> = [
    { given: [], host: '127.0.0.1', n: 10, want: [] },
    { given: [], host: '127.0.0.1', n: CONNECTIONS_PER_SOURCE, want: [] },
    { given: [], host: '127.0.0.1', n: CONNECTIONS_PER_SOURCE + 1, want: ['127.0.0.1', '127.0.0.2'] },
    { given: [], host: '127.0.0.1', n: 60_000, want: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] },
    { given: [], host: '10.1.2.3', n: 60_000, want: 'error' },
    { given: [], host: '::1', n: 60_000, want: 'error' },
    { given: ['127.0.0.5'], host: '127.0.0.1', n: 10, want: ['127.0.0.5'] },
    { given: ['10.0.0.1'], host: '10.1.2.3', n: 60_000, want: 'error' },
    { given: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], host: '10.1.2.3', n: 60_000, want: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
  ];
  for (const c of cases) {
    const r = planSources(c.given, c.host, c.n);
    if (c.want === 'error') {
      assert.equal(r.ok, false, JSON.stringify(c));
      if (!r.ok) assert.match(r.message, /--local-address/);
    } else {
      assert.deepEqual(r, { ok: true, addresses: c.want }, JSON.stringify(c));
    }
  }
});

test('openFilesLimit reads the soft and hard limit from /proc/self/limits text', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n';
  assert.deepEqual(openFilesLimit(text), { soft: 1024, hard: 4096 });
  assert.deepEqual(openFilesLimit('Max open files            unlimited            unlimited            files\n'), { soft: Infinity, hard: Infinity });
  assert.equal(openFilesLimit('nothing here'), null);
  const live = openFilesLimit();
  if (process.platform === 'linux') assert.ok(live !== null && live.soft > 0);
});

function config(flags: RawRunFlags) {
  const built = buildRunConfig(flags, false);
  if ('issues' in built) throw new Error(JSON.stringify(built.issues));
  return built.config;
}

test('preflight: too few open files names the need, the limit and the fix', () => {
  const c = config({ publishers: 0, subscribers: 0, connections: 5000 });
  const low = preflight(c, { soft: 1024, hard: 1024 });
  assert.equal(low.issues.length, 1);
  const msg = low.issues[0]!.message;
  assert.match(msg, new RegExp(`5000 clients need about ${5000 + FD_RESERVE} open files`));
  assert.match(msg, /may open 1024/);
  assert.match(msg, /hard limit is 1024/);
  const soft = preflight(c, { soft: 1024, hard: 65536 });
  assert.match(soft.issues[0]!.message, new RegExp(`ulimit -n ${5000 + FD_RESERVE}`));
  assert.deepEqual(preflight(c, { soft: 65536, hard: 65536 }).issues, []);
  assert.deepEqual(preflight(c, null).issues, [], 'no limit known: nothing to check');
});
