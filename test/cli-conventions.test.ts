/**
 * CLI conventions (issue #15): -h/--help on every command, each with examples; an unknown command
 * or option answered with the name it was meant to be (exit 2); short aliases on run and
 * capacity; MQBENCH_ environment variables as a layer between the scenario file and the flags;
 * the completion script; durations and ports that must be written whole. Most cases run in
 * memory (main() with a memory Io: the bin's code path); the help, unknown-command, environment
 * and completion cases that depend on the process go through the built CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import yargs, { type Argv } from 'yargs';
import { capacityOptions } from '../src/cli/capacity-command.js';
import { main } from '../src/cli/main.js';
import { runOptions } from '../src/cli/run-command.js';
import { layerEnv, RUN_ENV_FLAGS } from '../src/config/env-flags.js';
import { runFlagsOf, type RawRunFlags } from '../src/config/run-flags.js';
import { buildScenarioRun } from '../src/config/scenario-run.js';
import { readOnlyResult, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { memoryIo } from './helpers/io.js';

let dir = '';
before(async () => {
  dir = await tempDir('mqbench-cli-conventions-');
});
after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** The command in memory, with these environment variables: exit code and output as the built CLI gives them. */
async function inMemory(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const t = memoryIo();
  const code = await main(args, { ...t.io, env: { ...t.io.env, ...env } });
  return { code, signal: null, stdout: t.out(), stderr: t.err() };
}

/** The commands the top-level help lists (every registered one). */
async function listedCommands(): Promise<string[]> {
  const r = await inMemory(['--help']);
  const section = r.stdout.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}mqbench (\w+)/gm)].map((m) => m[1] as string);
}

describe('help', () => {
  test('-h and --help at the top: the commands, the environment and completion, exit 0', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await runCli([flag], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^mqbench <command> \[options\]/);
      for (const c of ['run', 'compare', 'report', 'capacity', 'broker', 'echo', 'completion']) assert.match(r.stdout, new RegExp(`\\n {2}mqbench ${c}\\b`), `${flag} lists ${c}`);
      assert.match(r.stdout, /MQBENCH_<OPTION>/);
      assert.match(r.stdout, /mqbench completion >> ~\/\.bashrc/);
    }
  });

  test('every command has -h and --help with an Examples section, exit 0, nothing run', async () => {
    const commands = await listedCommands();
    assert.ok(commands.length >= 7, `commands listed: ${commands.join(', ')}`);
    for (const c of commands) {
      for (const flag of ['-h', '--help']) {
        const r = await inMemory([c, flag]);
        assert.equal(r.code, 0, `${c} ${flag}: ${r.stderr}`);
        assert.equal(r.stderr, '', `${c} ${flag}`);
        assert.match(r.stdout, new RegExp(`^mqbench ${c}\\b`), `${c} ${flag} shows the command's own help`);
        assert.match(r.stdout, new RegExp(`\\nExamples:\\n {2}mqbench ${c}\\b`), `${c} ${flag} has examples`);
      }
    }
  });

  test('run --help (the built CLI): examples, short aliases, --no-nodelay, the environment', async () => {
    const r = await runCli(['run', '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.match(r.stdout, /\nExamples:\n {2}mqbench run /);
    assert.ok(help.includes('mqbench run -t mqtt://127.0.0.1:1883 -q 1 -p 10 -s 10'), 'an example with the short aliases');
    for (const [short, long] of [['t', 'target'], ['q', 'qos'], ['d', 'duration'], ['p', 'publishers'], ['s', 'subscribers'], ['r', 'rate'], ['w', 'workers']]) {
      assert.ok(help.includes(`-${short}, --${long} `), `-${short}, --${long}`);
    }
    assert.ok(help.includes('--no-nodelay Turn Nagle'), 'the README form of the flag');
    assert.doesNotMatch(r.stdout, /^\s+--nodelay\b/m, 'the plain form is hidden');
    assert.ok(help.includes('Every flag can be set as MQBENCH_<FLAG> (e.g. MQBENCH_TARGET'), 'the environment');
    assert.ok(help.includes('flags win over the environment, the environment over the scenario file'));
  });

  test('--version prints the version; no command at all is exit 2 naming the commands', async () => {
    const v = await inMemory(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    const none = await inMemory([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name a command: run, compare, report, merge, capacity, broker, echo or completion/);
  });
});

describe('unknown commands and options', () => {
  test('a mistyped command: exit 2, did you mean', async () => {
    for (const [typed, meant] of [['rnu', 'run'], ['reprot', 'report'], ['capacty', 'capacity'], ['comapre', 'compare']]) {
      const r = await inMemory([typed as string, 'x']);
      assert.equal(r.code, 2, typed);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.includes(`unknown command "${typed}"; did you mean "${meant}"?`), r.stderr);
    }
  });

  test('an unknown command with --help (the built CLI) is exit 2 naming the commands, not the top help', async () => {
    const r = await runCli(['frobnicate', '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown command "frobnicate"; the commands are run, compare, report, merge, capacity, broker, echo and completion/);
  });

  const TYPOS: Array<[string[], string, string]> = [
    [['run', '--duraton', '1s'], '--duraton', '--duration'],
    [['run', '--connect-rat', '5/s'], '--connect-rat', '--connect-rate'],
    [['run', '--no-nodely'], '--no-nodely', '--no-nodelay'],
    [['capacity', '--dimensoin', 'rate'], '--dimensoin', '--dimension'],
    [['compare', 'a.json', 'b.json', '--max-regresion', '5%'], '--max-regresion', '--max-regression'],
    // A typo is named even when a positional is missing too.
    [['compare', 'a.json', '--metrc', 'e2e.p99'], '--metrc', '--metric'],
    [['report', 'r.json', '--formt', 'md'], '--formt', '--format'],
    [['broker', '--tsl', '8883'], '--tsl', '--tls'],
    [['echo', '--hots', '0.0.0.0'], '--hots', '--host'],
    [['completion', '--hepl'], '--hepl', '--help'],
    [['--hlep'], '--hlep', '--help'],
  ];
  for (const [args, typed, meant] of TYPOS) {
    test(`${args.join(' ')}: did you mean ${meant}?`, async () => {
      const r = await inMemory(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '', 'nothing ran');
      assert.ok(r.stderr.includes(`unknown option ${typed}; did you mean ${meant}?`), r.stderr);
    });
  }

  test('an option like none of them, or an unknown short one: exit 2, where to look', async () => {
    const far = await inMemory(['run', '--zzzzzzzz']);
    assert.equal(far.code, 2);
    assert.match(far.stderr, /unknown option --zzzzzzzz \('mqbench run --help' lists them\)/);
    assert.doesNotMatch(far.stderr, /did you mean/);
    const short = await inMemory(['run', '-z']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /unknown option -z; the short options are -t, -p, -s, -q, -r, -d, -w, -h/);
    const before = await inMemory(['--duration', '5s', 'run']);
    assert.equal(before.code, 2);
    assert.match(before.stderr, /unknown option --duration; a command's options go after it/);
  });

  test('what is known is not refused: camel case, --no- forms, the hidden plain form, values with a minus sign', async () => {
    // Each reaches the flag reader, which finds the one bad value: the option itself was accepted.
    for (const args of [['run', '--connectRate', 'abc'], ['run', '--nodelay', '--connect-rate', 'abc'], ['run', '--no-json', '--connect-rate', 'abc'], ['run', '-d', '-2s', '--connect-rate', 'abc']]) {
      const r = await inMemory(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.doesNotMatch(r.stderr, /unknown option|Unknown argument/, args.join(' '));
      assert.match(r.stderr, /--connect-rate: 'abc'/, args.join(' '));
    }
  });
});

/** `<command> <args>` through the command's yargs options, read by the table's names as the handler does. */
async function parsed(options: (y: Argv) => Argv, args: string[]): Promise<RawRunFlags> {
  let seen: Record<string, unknown> = {};
  await yargs(['x', ...args])
    .command('x [scenario]', 'x', options, (argv) => {
      seen = argv as Record<string, unknown>;
    })
    .strict()
    .parseAsync();
  return runFlagsOf(seen);
}

describe('short aliases', () => {
  const SHORT = ['-t', 'mqtt://127.0.0.1:1', '-q', '1', '-d', '3s', '-p', '2', '-s', '3', '-r', '100/s', '-w', '2'];
  const LONG = ['--target', 'mqtt://127.0.0.1:1', '--qos', '1', '--duration', '3s', '--publishers', '2', '--subscribers', '3', '--rate', '100/s', '--workers', '2'];

  test('run and capacity read -t -q -d -p -s -r -w as their long flags', async () => {
    for (const options of [runOptions, capacityOptions] as Array<(y: Argv) => Argv>) {
      const short = await parsed(options, SHORT);
      assert.deepEqual(short, await parsed(options, LONG));
      assert.deepEqual(short, { target: 'mqtt://127.0.0.1:1', qos: '1', duration: '3s', publishers: '2', subscribers: '3', rate: '100/s', workers: '2' });
    }
  });

  test('no letter stands for two options (nor for -h)', () => {
    for (const options of [runOptions, capacityOptions] as Array<(y: Argv) => Argv>) {
      const o = (options(yargs([])) as unknown as { getOptions(): { alias: Record<string, string[]> } }).getOptions();
      const letters = Object.values(o.alias).flat().filter((a) => a.length === 1);
      assert.deepEqual(letters, [...new Set(letters)], 'each alias once');
      assert.ok(!letters.includes('h'), '-h is help');
    }
  });

  test('a bad value given by its alias is named by its flag', async () => {
    const r = await inMemory(['run', '-p', 'many', '-d', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--publishers: 'many' must be a whole number/);
    assert.match(r.stderr, /--duration: '5' has no unit; write 5s/);
  });
});

const GROUPS = 'groups:\n  - { name: p, role: publish, clients: 1, qos: 1 }\n  - { name: s, role: subscribe, clients: 1, qos: 1 }\n';

describe('MQBENCH_ environment variables: flags > environment > scenario file > defaults', () => {
  test('resolved: the file over the defaults, the environment over the file, a flag over the environment', async () => {
    const file = join(dir, 'layers.yaml');
    await writeFile(file, `load: { duration: 3s }\nnoDelay: true\n${GROUPS}`);
    const resolved = async (env: NodeJS.ProcessEnv, args: string[]) => {
      const layered = layerEnv(await parsed(runOptions as (y: Argv) => Argv, args), RUN_ENV_FLAGS, env);
      const r = buildScenarioRun(file, layered.flags, false);
      if ('issues' in r) assert.fail(JSON.stringify(r.issues));
      return { durationMs: r.config.load.durationMs, noDelay: r.config.noDelay, connectRate: r.config.connectRate };
    };
    assert.deepEqual(await resolved({}, []), { durationMs: 3000, noDelay: true, connectRate: 500 });
    const env = { MQBENCH_DURATION: '4s', MQBENCH_NODELAY: 'false', MQBENCH_CONNECT_RATE: '50/s' };
    assert.deepEqual(await resolved(env, []), { durationMs: 4000, noDelay: false, connectRate: 50 });
    assert.deepEqual(await resolved(env, ['-d', '5s', '--nodelay', '--connect-rate', '60/s']), { durationMs: 5000, noDelay: true, connectRate: 60 });
    // An empty variable is unset.
    assert.deepEqual(await resolved({ MQBENCH_DURATION: '' }, []), { durationMs: 3000, noDelay: true, connectRate: 500 });
  });

  test('the built CLI: MQBENCH_DURATION over the file, -d over MQBENCH_DURATION (the result document)', async () => {
    const file = join(dir, 'env-run.yaml');
    await writeFile(file, `workers: 1\nload: { warmup: 0s, duration: 5s, drain: 1s }\n${GROUPS}`);
    const envOut = join(dir, 'env-out');
    // Variables that are not flags (a test knob, one of another command) are left alone.
    const fromEnv = await runCli(['run', file], { timeoutMs: 60_000, env: { MQBENCH_DURATION: '1s', MQBENCH_OUT: envOut, MQBENCH_NOT_A_FLAG: 'x', MQBENCH_TEST_SEND_COST_US: '' } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const a = await readOnlyResult(envOut);
    assert.equal((a.doc.scenario as { load: { durationSeconds: number } }).load.durationSeconds, 1, 'the environment over the file');
    const flagOut = join(dir, 'flag-out');
    const fromFlag = await runCli(['run', file, '-d', '1s', '--out', flagOut], { timeoutMs: 60_000, env: { MQBENCH_DURATION: '4s', MQBENCH_OUT: envOut } });
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    const b = await readOnlyResult(flagOut);
    assert.equal((b.doc.scenario as { load: { durationSeconds: number } }).load.durationSeconds, 1, 'the flag over the environment');
    assert.equal(b.doc.phases[0]?.params.warmupSeconds, 0);
  });

  test('a bad value from the environment is named by its variable, exit 2', async () => {
    const r = await inMemory(['run', '-p', '1'], { MQBENCH_DURATION: '5', MQBENCH_JSON: 'maybe', MQBENCH_CONNECT_RATE: 'fast' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /3 problem\(s\) with the flags, nothing was run/);
    assert.match(r.stderr, /\n {2}MQBENCH_DURATION: '5' has no unit; write 5s/);
    assert.match(r.stderr, /\n {2}MQBENCH_JSON: 'maybe' is not true or false; set MQBENCH_JSON=true or MQBENCH_JSON=false/);
    assert.match(r.stderr, /\n {2}MQBENCH_CONNECT_RATE: 'fast'/);
    const cap = await inMemory(['capacity'], { MQBENCH_STEP_DURATION: '5', MQBENCH_FROM: 'lots' });
    assert.equal(cap.code, 2);
    assert.match(cap.stderr, /\n {2}MQBENCH_STEP_DURATION: '5' has no unit/);
    assert.match(cap.stderr, /\n {2}MQBENCH_FROM: 'lots'/);
  });

  test('variables that are not flags do not trip strict mode (the built CLI)', async () => {
    const r = await runCli(['run', '--duration', '10ms'], { timeoutMs: 30_000, env: { MQBENCH_NOT_A_FLAG: '1', MQBENCH_TEST_SEND_COST_US: '5', MQBENCH_CERT_DIR: join(dir, 'certs') } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /1 problem\(s\) with .*quickstart\.yaml and the flags, nothing was run:\n {2}--duration: 10ms is too short/);
    assert.doesNotMatch(r.stderr, /Unknown argument|unknown option|NOT_A_FLAG/i);
  });
});

describe('completion', () => {
  test('mqbench completion prints a bash/zsh script with every command', async () => {
    const r = await runCli(['completion'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const c of await listedCommands()) assert.match(r.stdout, new RegExp(`\\b${c}\\b`), c);
    assert.match(r.stdout, /complete -o default -F _mqbench_completions mqbench/);
    assert.match(r.stdout, /bashcompinit/, 'zsh loads bash completion');
    assert.equal((await inMemory(['completion', 'fish'])).code, 2, 'only bash and zsh');
  });

  test('bash completes commands and each command\'s options from it', async () => {
    const script = join(dir, 'completion.bash');
    await writeFile(script, (await inMemory(['completion', 'bash'])).stdout);
    const complete = (words: string[]): string => {
      const line = `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mqbench_completions; echo "\${COMPREPLY[*]}"`;
      const out = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      return out.stdout.trim();
    };
    assert.equal(complete(['mqbench', 'r']), 'run report');
    assert.equal(complete(['mqbench', 'run', '--dur']), '--duration');
    assert.equal(complete(['mqbench', 'run', '--no-n']), '--no-nodelay');
    assert.equal(complete(['mqbench', 'broker', '--t']), '--tcp --tls');
    assert.equal(complete(['mqbench', 'capacity', '--step']), '--step --step-duration');
  });
});

describe('values written whole', () => {
  test('a duration flag needs a unit (0 needs none); --step-duration is named as given', async () => {
    const r = await inMemory(['run', '--warmup', '3', '--drain', '2.5', '--connect-timeout', '4', '-d', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--warmup: '3' has no unit; write 3s \(or 3ms, 3m\)/);
    assert.match(r.stderr, /--drain: '2\.5' has no unit; write 2\.5s/);
    assert.match(r.stderr, /--connect-timeout: '4' has no unit; write 4s/);
    // -d 0 is read (0 is 0 in any unit) and then too short to measure.
    assert.match(r.stderr, /--duration: 0ms is too short/);
    const zero = await inMemory(['run', '--warmup', '0', '--duration', '10ms']);
    assert.match(zero.stderr, /1 problem\(s\)[^\n]*\n {2}--duration: 10ms is too short/);
    const cap = await inMemory(['capacity', '--step-duration', '5']);
    assert.equal(cap.code, 2);
    assert.match(cap.stderr, /--step-duration: '5' has no unit; write 5s/);
  });

  test('broker and echo ports: decimal digits from 0 to 65535, a value given', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['broker', '--tcp', '0x10'], /--tcp '0x10' must be a whole number from 0 to 65535/],
      [['broker', '--ws', '1e3'], /--ws '1e3' must be a whole number/],
      [['broker', '--tls', 'abc'], /--tls 'abc' must be a whole number/],
      [['broker', '--wss'], /--wss needs a port number \(0 picks a free one\)/],
      [['echo', '--ws', '70000'], /--ws '70000' must be a whole number from 0 to 65535/],
      [['echo', '--ws', '0', '--wss'], /--wss needs a port number/],
    ];
    for (const [args, message] of cases) {
      const r = await inMemory(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', `${args.join(' ')}: nothing listened`);
    }
  });
});
