/**
 * The container image and the Kubernetes manifests of a sharded run (Dockerfile,
 * deploy/kubernetes/*.yaml), checked with no cluster and no network:
 *
 * - every YAML document is validated against the Kubernetes 1.30 schema of its kind, strictly:
 *   an unknown or misplaced field fails, as `kubectl apply --validate=strict` would refuse it.
 *   The schemas are generated here from the kubernetes-types package (TypeScript declarations
 *   generated from the Kubernetes 1.30 OpenAPI spec) with ts-json-schema-generator, every object
 *   closed (additionalProperties: false), and validated with ajv;
 * - the invariants the sharded run depends on hold between the files: the Indexed Job's shard
 *   count, its mqbench arguments and the env they expand, the mounts, the broker Service, the
 *   merge Job's wildcard and the shards' directories;
 * - the Dockerfile builds on a pinned official Node.js image and runs the CLI as a non-root user.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import type { ConfigMap, Container, PersistentVolumeClaim, PodSpec, PodTemplateSpec, Service } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy/kubernetes');
const Ajv = AjvModule.default;

// --- the Kubernetes schemas ----------------------------------------------------------------

/** apiVersion/kind -> the type of kubernetes-types that describes it. */
const KINDS: Readonly<Record<string, { file: string; type: string }>> = {
  'v1/ConfigMap': { file: 'core/v1.d.ts', type: 'ConfigMap' },
  'v1/Service': { file: 'core/v1.d.ts', type: 'Service' },
  'v1/PersistentVolumeClaim': { file: 'core/v1.d.ts', type: 'PersistentVolumeClaim' },
  'v1/Pod': { file: 'core/v1.d.ts', type: 'Pod' },
  'apps/v1/Deployment': { file: 'apps/v1.d.ts', type: 'Deployment' },
  'batch/v1/Job': { file: 'batch/v1.d.ts', type: 'Job' },
};

type Schema = Record<string, unknown> & { definitions?: Record<string, Record<string, unknown>>; required?: string[] };

/** Every kind's JSON Schema, generated once from the declarations (about 3 s). */
function kubernetesSchemas(): Map<string, ValidateFunction> {
  const types = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
  const files = [...new Set(Object.values(KINDS).map((k) => k.file))];
  const generator = createGenerator({
    path: join(types, files.length === 1 ? files[0]! : `{${files.map((f) => dirname(f)).join(',')}}/v1.d.ts`),
    additionalProperties: false,
    expose: 'export',
    topRef: false,
    jsDoc: 'none',
    skipTypeCheck: true,
  });
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const out = new Map<string, ValidateFunction>();
  for (const [key, { type }] of Object.entries(KINDS)) {
    const schema = generator.createSchema(type) as Schema;
    // A manifest names its kind (optional in the API types, which also describe API responses).
    schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind', 'metadata'])];
    // resource.Quantity is an int-or-string in the OpenAPI spec (`cpu: 2` is as valid as `cpu: "2"`).
    if (schema.definitions?.['Quantity'] !== undefined) schema.definitions['Quantity'] = { type: ['string', 'number'] };
    out.set(key, ajv.compile(schema));
  }
  return out;
}

const VALIDATORS = kubernetesSchemas();

function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(top level)' : e.instancePath;
  if (e.keyword === 'additionalProperties') return `${at}: unknown field "${String((e.params as { additionalProperty: unknown }).additionalProperty)}"`;
  if (e.keyword === 'required') return `${at}: missing required field "${String((e.params as { missingProperty: unknown }).missingProperty)}"`;
  return `${at}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
}

/** What is wrong with one manifest in Kubernetes' eyes: [] when it is valid. */
function manifestProblems(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [`not a mapping: ${JSON.stringify(doc)}`];
  const { apiVersion, kind } = doc as { apiVersion?: unknown; kind?: unknown };
  const validate = VALIDATORS.get(`${String(apiVersion)}/${String(kind)}`);
  if (validate === undefined) return [`no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)} (known: ${Object.keys(KINDS).join(', ')})`];
  return validate(doc) ? [] : (validate.errors ?? []).map(describeError);
}

// --- the manifests -------------------------------------------------------------------------

interface Manifest {
  file: string;
  doc: { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

const FILES = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f)).sort();
const MANIFESTS: Manifest[] = FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d, i) => {
    assert.deepEqual(d.errors, [], `${file} document ${i + 1} is not valid YAML`);
    return { file, doc: d.toJS() as Manifest['doc'] };
  }),
);

function find<T>(kind: string, name: string): T {
  const m = MANIFESTS.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  assert.ok(m, `deploy/kubernetes/ has a ${kind} named ${name}`);
  return m.doc as unknown as T;
}

const shardJob = find<Job>('Job', 'mqbench-shards');
const mergeJob = find<Job>('Job', 'mqbench-merge');
const scenarioMap = find<ConfigMap>('ConfigMap', 'mqbench-scenario');
const resultsClaim = find<PersistentVolumeClaim>('PersistentVolumeClaim', 'mqbench-results');

function podSpec(job: Job): PodSpec {
  const spec = job.spec?.template.spec;
  assert.ok(spec, `${job.metadata?.name} has a pod template`);
  return spec;
}

function container(job: Job, name = 'mqbench'): Container {
  const c = podSpec(job).containers.find((x) => x.name === name);
  assert.ok(c, `${job.metadata?.name} has a container ${name}`);
  return c;
}

/** The value after `flag` in args. */
function flagValue(args: readonly string[], flag: string): string {
  const i = args.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < args.length, `args have ${flag} with a value: ${args.join(' ')}`);
  return args[i + 1]!;
}

/** A shell wildcard (*, [0-9]) as a regular expression over a whole path. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

describe('Kubernetes manifests: every document against the schema of its kind', () => {
  test('deploy/kubernetes/ has the files of a sharded run', () => {
    for (const f of ['configmap-scenario.yaml', 'job-shards.yaml', 'job-merge.yaml', 'broker-target.yaml', 'pvc-results.yaml']) assert.ok(FILES.includes(f), `${f} in ${FILES.join(', ')}`);
    assert.equal(MANIFESTS.filter((m) => m.file === 'broker-target.yaml').length, 3, 'broker-target.yaml: ConfigMap, Deployment, Service');
  });
  for (const { file, doc } of MANIFESTS) {
    test(`${file}: ${doc?.kind} ${doc?.metadata?.name} is valid (strict)`, () => {
      assert.deepEqual(manifestProblems(doc), []);
    });
  }
});

describe('the validator refuses what Kubernetes refuses', () => {
  const copy = (): Job => structuredClone(shardJob);
  test('an unknown field in a container (there is no ulimits field: README.md, open files)', () => {
    const bad = copy();
    (bad.spec!.template.spec!.containers[0] as unknown as Record<string, unknown>)['ulimits'] = [{ name: 'nofile', soft: 65536, hard: 65536 }];
    assert.deepEqual(manifestProblems(bad), ['/spec/template/spec/containers/0: unknown field "ulimits"']);
  });
  test('a field in the wrong place, a misspelt field, an unknown top-level field', () => {
    const bad = copy() as unknown as { spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } } & Record<string, unknown>;
    bad.spec.template.spec['podAntiAffinity'] = bad.spec.template.spec['affinity'];
    bad.spec['paralellism'] = 3;
    bad['extra'] = true;
    const problems = manifestProblems(bad);
    assert.ok(problems.includes('/spec/template/spec: unknown field "podAntiAffinity"'), problems.join('\n'));
    assert.ok(problems.includes('/spec: unknown field "paralellism"'), problems.join('\n'));
    assert.ok(problems.includes('(top level): unknown field "extra"'), problems.join('\n'));
  });
  test('a wrong type, a missing required field, an unknown kind', () => {
    const bad = copy() as unknown as { spec: Record<string, unknown> & { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    bad.spec['completions'] = 'three';
    delete bad.spec.template.spec.containers[0]!['name'];
    const problems = manifestProblems(bad);
    assert.ok(problems.some((p) => p.startsWith('/spec/completions: must be number')), problems.join('\n'));
    assert.ok(problems.includes('/spec/template/spec/containers/0: missing required field "name"'), problems.join('\n'));
    assert.match(manifestProblems({ apiVersion: 'batch/v1', kind: 'Jobb', metadata: { name: 'x' } })[0] ?? '', /no schema for apiVersion batch\/v1, kind Jobb/);
    assert.deepEqual(manifestProblems({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { n: 1 } }), ['/data/n: must be string {"type":"string"}']);
  });
});

describe('the shard Job', () => {
  const spec = shardJob.spec!;
  const c = container(shardJob);
  const args = c.args ?? [];
  test('is an Indexed Job with completions == parallelism == --shards, all pods at once, no retry of a shard', () => {
    assert.equal(spec.completionMode, 'Indexed');
    const shards = Number(flagValue(args, '--shards'));
    assert.ok(Number.isInteger(shards) && shards >= 2, `--shards ${shards}`);
    assert.equal(spec.completions, shards);
    assert.equal(spec.parallelism, shards);
    assert.equal(spec.backoffLimitPerIndex, 0, 'a retried shard would start after --start-at');
    assert.equal(spec.backoffLimit, undefined, "backoffLimit 0 would stop the other shards at the first one's failure");
    assert.equal(podSpec(shardJob).restartPolicy, 'Never');
  });
  test("runs `mqbench run` with --shards, --run-id, --start-at and a per-shard --out from the Job's env", () => {
    assert.equal(args[0], 'run');
    assert.equal(c.command, undefined, "the image's ENTRYPOINT runs mqbench");
    for (const f of ['--shards', '--run-id', '--start-at', '--out', '--target']) assert.ok(args.includes(f), `${f} in ${args.join(' ')}`);
    assert.equal(flagValue(args, '--run-id'), '$(RUN_ID)');
    assert.equal(flagValue(args, '--start-at'), '$(START_AT)');
    assert.ok(!args.includes('--shard'), '--shards takes the shard from JOB_COMPLETION_INDEX; --shard i/N would be the same in every pod');
    assert.match(flagValue(args, '--out'), /\$\(JOB_COMPLETION_INDEX\)/, 'each shard its own directory');
  });
  test('every $(VAR) in the args is in the env (Kubernetes leaves an unknown one as it is)', () => {
    const env = new Map((c.env ?? []).map((e) => [e.name, e]));
    const used = new Set([...args.join(' ').matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)].map((m) => m[1]!));
    assert.deepEqual([...used].sort(), ['JOB_COMPLETION_INDEX', 'RUN_ID', 'START_AT']);
    for (const v of used) assert.ok(env.has(v), `${v} in env`);
    assert.equal(env.get('JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    // The placeholders are refused by mqbench (exit 2): a Job created without setting them stops at once.
    assert.doesNotMatch(env.get('RUN_ID')?.value ?? '', /^[A-Za-z0-9_-]{1,24}$/);
    assert.ok(Number.isNaN(Date.parse(env.get('START_AT')?.value ?? '')), 'START_AT placeholder is not a time');
  });
  test('--workers equals the CPU request, which equals the limit (Guaranteed QoS)', () => {
    const cpu = c.resources?.requests?.['cpu'];
    assert.equal(Number(flagValue(args, '--workers')), Number(cpu));
    assert.equal(c.resources?.limits?.['cpu'], cpu);
    assert.equal(c.resources?.limits?.['memory'], c.resources?.requests?.['memory']);
  });
  test('prefers one shard per node: podAntiAffinity on kubernetes.io/hostname over its own pods', () => {
    const terms = podSpec(shardJob).affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const own = shardJob.spec!.template.metadata?.labels ?? {};
    const self = terms.find((t) => Object.entries(t.podAffinityTerm.labelSelector?.matchLabels ?? { none: '' }).every(([k, v]) => own[k] === v));
    assert.ok(self, 'a term selecting the shard pods themselves');
    assert.equal(self.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.equal(podSpec(shardJob).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, undefined, 'preferred only: fewer nodes than shards still run');
  });
  test('mounts the scenario ConfigMap the args name and the results claim --out writes to', () => {
    const volumes = new Map((podSpec(shardJob).volumes ?? []).map((v) => [v.name, v]));
    const mount = (path: string) => (c.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
    const scenario = args[1] ?? '';
    const sm = mount(scenario);
    assert.ok(sm, `a mount holds ${scenario}`);
    assert.equal(volumes.get(sm.name)?.configMap?.name, scenarioMap.metadata?.name);
    assert.ok(Object.keys(scenarioMap.data ?? {}).includes(scenario.slice(sm.mountPath.length + 1)), `${scenario} is a key of the ConfigMap`);
    const rm = mount(flagValue(args, '--out'));
    assert.ok(rm, 'a mount holds --out');
    assert.equal(volumes.get(rm.name)?.persistentVolumeClaim?.claimName, resultsClaim.metadata?.name);
    assert.ok(resultsClaim.spec?.accessModes?.includes('ReadWriteMany'), 'pods on several nodes write at once');
  });
  test('the ConfigMap holds the same scenario as scenarios/point-to-point.yaml', () => {
    const file = (args[1] ?? '').split('/').pop() ?? '';
    assert.deepEqual(parse(scenarioMap.data?.[file] ?? ''), parse(readFileSync(join(ROOT, 'scenarios', file), 'utf8')));
  });
  test('--target is the example broker Service, which selects the broker pods and port', () => {
    const url = new URL(flagValue(args, '--target'));
    const service = find<Service>('Service', url.hostname);
    const port = service.spec?.ports?.find((p) => p.port === Number(url.port));
    assert.ok(port, `Service ${url.hostname} has port ${url.port}`);
    const broker = MANIFESTS.map((m) => m.doc).find((d) => d.kind === 'Deployment') as unknown as Deployment;
    const labels = broker.spec?.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(service.spec?.selector ?? {})) assert.equal(labels[k], v, `selector ${k}`);
    assert.deepEqual(broker.spec?.selector.matchLabels, service.spec?.selector);
    const ports = broker.spec?.template.spec?.containers.flatMap((x) => x.ports ?? []) ?? [];
    assert.ok(ports.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort), `targetPort ${String(port.targetPort)}`);
    const conf = find<ConfigMap>('ConfigMap', 'mosquitto-config').data?.['mosquitto.conf'] ?? '';
    assert.match(conf, new RegExp(`^listener ${url.port}$`, 'm'));
    assert.match(conf, /^allow_anonymous true$/m);
  });
});

describe('the merge Job', () => {
  const c = container(mergeJob);
  const args = c.args ?? [];
  test('runs `mqbench merge` through /bin/sh, which expands the wildcard Kubernetes leaves alone', () => {
    assert.equal(args[0], 'merge');
    assert.deepEqual(c.command, ['/bin/sh', '-c', 'exec node /app/dist/src/cli/bin.js $@', 'mqbench']);
    assert.equal(container(shardJob).image, c.image, 'the same image as the shards');
    assert.deepEqual(flagValue(args, '--report').split(',').sort(), ['html', 'md']);
  });
  test("its wildcard takes every shard's directory and not its own --out", () => {
    const shardOut = flagValue(container(shardJob).args ?? [], '--out');
    const pattern = args[1] ?? '';
    const files = globRegExp(pattern);
    for (const index of ['0', '1', '2', '10']) {
      const file = `${shardOut.replace('$(JOB_COMPLETION_INDEX)', index)}/mqbench-20261201T180000Z-abc123.json`;
      assert.match(file, files, `${file} is merged`);
    }
    assert.doesNotMatch(`${flagValue(args, '--out')}/mqbench-20261201T180000Z-abc123.json`, files, 'an earlier merged result is not taken in again');
    const volumes = podSpec(mergeJob).volumes ?? [];
    assert.ok(volumes.some((v) => v.persistentVolumeClaim?.claimName === resultsClaim.metadata?.name));
  });
});

describe('every pod: non-root, read-only root filesystem, no privilege escalation, resources', () => {
  const templates: Array<{ name: string; spec: PodSpec }> = MANIFESTS.flatMap(({ file, doc }) => {
    if (doc.kind === 'Pod') return [{ name: `${file} ${doc.metadata.name}`, spec: (doc as unknown as { spec: PodSpec }).spec }];
    const template = (doc as unknown as { spec?: { template?: PodTemplateSpec } }).spec?.template;
    return template?.spec === undefined ? [] : [{ name: `${file} ${doc.metadata.name}`, spec: template.spec }];
  });
  test('there are four pod specs: shards, merge, broker, results reader', () => {
    assert.equal(templates.length, 4, templates.map((t) => t.name).join(', '));
  });
  for (const { name, spec } of templates) {
    test(name, () => {
      assert.equal(spec.securityContext?.runAsNonRoot, true, 'runAsNonRoot');
      assert.ok((spec.securityContext?.runAsUser ?? 0) > 0, 'a non-zero runAsUser');
      for (const c of spec.containers) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: drops all capabilities`);
        assert.ok(c.resources?.requests?.['memory'] !== undefined && c.resources?.limits?.['memory'] !== undefined, `${c.name}: memory request and limit`);
        assert.ok(c.image !== undefined && /:[\w.-]+$/.test(c.image) && !c.image.endsWith(':latest'), `${c.name}: a tagged image, not latest: ${c.image}`);
      }
    });
  }
});

// --- the Dockerfile ------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

/** The instructions of a Dockerfile: comments dropped, continuation lines joined. */
function instructions(text: string): Instruction[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** Whether a Node.js version meets package.json engines (`^20.19.0 || ^22.12.0 || >=23`). */
function meetsEngines(version: string, engines: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return engines.split('||').some((range) => {
    const r = range.trim();
    const caret = /^\^(\d+)\.(\d+)\.\d+$/.exec(r);
    if (caret !== null) return major === Number(caret[1]) && minor >= Number(caret[2]);
    const atLeast = /^>=\s*(\d+)/.exec(r);
    return atLeast !== null && major >= Number(atLeast[1]);
  });
}

/** What is wrong with a Dockerfile for the mqbench image: [] when nothing. */
function dockerfileProblems(text: string, engines: string): string[] {
  const problems: string[] = [];
  const all = instructions(text);
  const stages: string[] = [];
  let finalStart = -1;
  all.forEach((ins, i) => {
    if (ins.op !== 'FROM') return;
    finalStart = i;
    const [image = '', as, stage] = ins.args.split(/\s+/);
    if (as?.toUpperCase() === 'AS' && stage !== undefined) stages.push(stage);
    if (stages.includes(image)) return;
    const m = /^(?:docker\.io\/(?:library\/)?)?node:(\d+\.\d+\.\d+)-(bookworm-slim|bookworm|slim|alpine[\d.]*)(?:@sha256:[0-9a-f]{64})?$/.exec(image);
    if (m === null) problems.push(`FROM ${image}: not the official node image with a pinned version tag (node:20.x.y-bookworm-slim)`);
    else if (!meetsEngines(m[1]!, engines)) problems.push(`FROM ${image}: Node.js ${m[1]} does not meet package.json engines ${engines}`);
  });
  const final = all.slice(finalStart);
  const entry = final.findIndex((i) => i.op === 'ENTRYPOINT');
  const user = final.findIndex((i) => i.op === 'USER');
  if (entry < 0) problems.push('the final stage has no ENTRYPOINT');
  else {
    let argv: unknown = null;
    try {
      argv = JSON.parse(final[entry]!.args);
    } catch {
      problems.push(`ENTRYPOINT ${final[entry]!.args}: not the exec (JSON) form`);
    }
    if (Array.isArray(argv) && (argv[0] !== 'node' || !/^\/app\/dist\/src\/cli\/bin\.js$/.test(String(argv[1])))) problems.push(`ENTRYPOINT ${final[entry]!.args}: not node /app/dist/src/cli/bin.js`);
  }
  if (user < 0 || (entry >= 0 && user > entry)) problems.push('the final stage has no USER before its ENTRYPOINT: it would run as root');
  else {
    const name = final[user]!.args.split(':')[0]!;
    if (name !== 'node' && !(/^\d+$/.test(name) && Number(name) > 0)) problems.push(`USER ${final[user]!.args}: not the node user or a non-root uid`);
  }
  const has = (op: string, re: RegExp) => final.some((i) => i.op === op && re.test(i.args));
  if (!has('WORKDIR', /^\/app$/)) problems.push('the final stage has no WORKDIR /app');
  if (!has('RUN', /npm ci\b.*--omit=dev/)) problems.push('the final stage does not install production dependencies alone (npm ci --omit=dev)');
  if (!has('COPY', /^--from=\S+\s+\/app\/dist\/?\S*\s/)) problems.push('the final stage does not copy dist/ from the build stage');
  for (const dir of ['scenarios', 'schemas', 'package.json']) if (!has('COPY', new RegExp(`(^|\\s)${dir}(\\s|$)`))) problems.push(`the final stage does not copy ${dir} (read at run time)`);
  return problems;
}

describe('the Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  test('a pinned official node base, non-root USER before ENTRYPOINT node /app/dist/src/cli/bin.js, dev dependencies pruned', () => {
    assert.deepEqual(dockerfileProblems(text, engines), []);
  });
  test('the manifests run as the image user', () => {
    const user = instructions(text).filter((i) => i.op === 'USER').pop()?.args.split(':')[0];
    if (user !== undefined && /^\d+$/.test(user)) assert.equal(podSpec(shardJob).securityContext?.runAsUser, Number(user));
  });
  test('the checks refuse a floating or unofficial base, root, and a missing or shell-form ENTRYPOINT', () => {
    const bad = (from: string, to: string) => dockerfileProblems(text.replace(from, to), engines);
    assert.match(bad('FROM node:20.20.2-bookworm-slim\n', 'FROM node:latest\n').join('\n'), /FROM node:latest: not the official node image with a pinned version tag/);
    assert.match(bad('FROM node:20.20.2-bookworm-slim AS build', 'FROM node:20-bookworm-slim AS build').join('\n'), /FROM node:20-bookworm-slim: not the official node image/);
    assert.match(bad('FROM node:20.20.2-bookworm-slim AS build', 'FROM example.com/node:20.20.2-bookworm-slim AS build').join('\n'), /not the official node image/);
    assert.match(bad('FROM node:20.20.2-bookworm-slim\n', 'FROM node:20.11.1-bookworm-slim\n').join('\n'), /does not meet package.json engines/);
    assert.match(bad('USER 1000:1000', 'USER 0').join('\n'), /USER 0: not the node user or a non-root uid/);
    assert.match(bad('USER 1000:1000', '').join('\n'), /no USER before its ENTRYPOINT/);
    assert.match(bad('ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]', 'ENTRYPOINT node /app/dist/src/cli/bin.js').join('\n'), /not the exec \(JSON\) form/);
    assert.match(bad('ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]', 'ENTRYPOINT ["node", "/app/bin.js"]').join('\n'), /not node \/app\/dist\/src\/cli\/bin\.js/);
    assert.match(bad('npm ci --omit=dev', 'npm ci').join('\n'), /npm ci --omit=dev/);
  });
  test('.dockerignore keeps the host node_modules and dist out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(p), p);
  });
});
