/**
 * scenarios/schema.json (JSON Schema draft-07, for editors): it is a valid schema, every scenario
 * that comes with mqbench matches it and passes validation, and it refuses what validation refuses
 * at the level of shapes (unknown keys, wrong enums).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { buildScenarioRun } from '../src/config/scenario-run.js';

const Ajv = AjvModule.default;
const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const schema = JSON.parse(readFileSync(join(SCENARIOS, 'schema.json'), 'utf8')) as Record<string, unknown>;
// strictRequired off: a stage's oneOf names rate/clients required, defined beside it in properties.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });

test('schema.json is a valid draft-07 JSON Schema', () => {
  assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
  assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
});

const validate = ajv.compile(schema);
const files = readdirSync(SCENARIOS).filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'schema.json');

describe('every scenario in scenarios/', () => {
  test('there are scenarios, quickstart among them', () => {
    assert.ok(files.includes('quickstart.yaml'), JSON.stringify(files));
  });
  for (const f of files) {
    test(`${f} matches schema.json`, () => {
      const doc: unknown = parse(readFileSync(join(SCENARIOS, f), 'utf8'));
      assert.equal(validate(doc), true, `${f}:\n${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n')}`);
    });
    test(`${f} passes validation (with an external target where it needs one)`, () => {
      let r = buildScenarioRun(join(SCENARIOS, f), {}, false);
      // MQTT 5 and shared subscriptions need mosquitto (the files that use them say broker: mosquitto) or a target: give one, nothing connects here.
      if ('issues' in r && r.issues.every((i) => /embedded broker \(aedes\)/.test(i.message))) r = buildScenarioRun(join(SCENARIOS, f), { target: 'mqtt://127.0.0.1:1883' }, false);
      assert.ok('config' in r, JSON.stringify('issues' in r ? r.issues : null, null, 1));
    });
  }
});

describe('schema.json refuses wrong shapes', () => {
  const ok = { groups: [{ name: 'a', role: 'publish', clients: 1 }] };
  const cases: Array<[string, unknown]> = [
    ['unknown top-level key', { ...ok, targt: 'mqtt://h' }],
    ['unknown group key', { groups: [{ name: 'a', role: 'publish', clients: 1, qso: 1 }] }],
    ['bad role', { groups: [{ name: 'a', role: 'sub', clients: 1 }] }],
    ['bad qos', { groups: [{ name: 'a', role: 'publish', clients: 1, qos: 3 }] }],
    ['bad duration', { ...ok, load: { duration: 'ten seconds' } }],
    ['stage of both kinds', { ...ok, load: { stages: [{ duration: '1s', rate: '50%', clients: '50%' }] } }],
    ['unknown matrix key', { ...ok, matrix: { qos: [0], size: ['1KiB'] } }],
    ['no groups', { name: 'x' }],
  ];
  for (const [name, doc] of cases) {
    test(name, () => assert.equal(validate(doc), false));
  }
  test('a minimal scenario and a JSON-style one match', () => {
    assert.equal(validate(ok), true, JSON.stringify(validate.errors));
    assert.equal(validate({ $schema: './schema.json', ...ok, matrix: { qos: [0, 1], payload: ['16B', 1024], exclude: [{ qos: 0, payload: 1024 }] } }), true, JSON.stringify(validate.errors));
  });
});
