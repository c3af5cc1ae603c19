/** Validates result documents against the published JSON Schema (schemas/result.schema.json). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const schemaPath = fileURLToPath(new URL('../../../schemas/result.schema.json', import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

/** Throws with every schema violation listed when doc does not match. */
export function assertMatchesSchema(doc: unknown): void {
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('\n  ');
    throw new Error(`result does not match schemas/result.schema.json:\n  ${problems}`);
  }
}
