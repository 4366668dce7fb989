import type { RelspecError } from '../errors.js';
import { contractError, contractProblems } from '../catalog/contractCheck.js';
import { tasksOf, type RelGraph } from './model.js';

/**
 * Before anything runs: every task with a contract against the output schema lineage inferred. A
 * task whose schema is not known (lineage blocked) is checked on the data after its build instead.
 */
export function validateContracts(g: RelGraph): RelspecError[] {
  const errors: RelspecError[] = [];
  for (const t of tasksOf(g)) {
    if (!t.contract || !t.outputSchema) continue;
    const e = contractError(t, contractProblems(t, t.outputSchema), '(inferred schema)');
    if (e) errors.push(e);
  }
  return errors;
}
