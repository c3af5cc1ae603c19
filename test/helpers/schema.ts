/** Validates result documents against the published JSON Schema (schemas/result.schema.json), with the loader the CLI uses. */
import { schemaProblems } from '../../src/metrics/result-file.js';

/** Throws with every schema violation listed when doc does not match. */
export function assertMatchesSchema(doc: unknown): void {
  const problems = schemaProblems(doc);
  if (problems.length > 0) throw new Error(`result does not match schemas/result.schema.json:\n  ${problems.join('\n  ')}`);
}
