import { canonicalType } from './duckTypes.js';
import type { OutputContract } from './types.js';
import { RelspecError } from '../errors.js';
import type { Column } from '../lineage/types.js';

/** One way an output's columns differ from its contract, as data (printed by contractProblemText). */
export type ContractProblem =
  | { kind: 'missing'; column: string; expected: string }
  | { kind: 'type'; column: string; expected: string; actual: string }
  | { kind: 'undeclared'; column: string; actual: string }
  | { kind: 'unique_missing'; column: string };

/**
 * The differences between a task's contract and an output schema (inferred by lineage before the
 * run, or described from the built relation after it). Names compare as DuckDB does, ignoring case;
 * types after normalizing aliases on both sides.
 */
export function contractProblems(task: { contract?: OutputContract }, schema: readonly Column[]): ContractProblem[] {
  const c = task.contract;
  if (!c) return [];
  const problems: ContractProblem[] = [];
  const actual = new Map(schema.map((col) => [col.name.toLowerCase(), col]));
  if (c.columns) {
    const declared = new Set(c.columns.map((col) => col.name.toLowerCase()));
    for (const col of c.columns) {
      const have = actual.get(col.name.toLowerCase());
      if (!have) problems.push({ kind: 'missing', column: col.name, expected: col.type });
      else if (canonicalType(have.type) !== col.type)
        problems.push({ kind: 'type', column: col.name, expected: col.type, actual: canonicalType(have.type) });
    }
    for (const col of schema) {
      if (!declared.has(col.name.toLowerCase())) problems.push({ kind: 'undeclared', column: col.name, actual: canonicalType(col.type) });
    }
  }
  for (const key of c.unique ?? []) {
    for (const col of key) {
      if (!actual.has(col.toLowerCase()) && !problems.some((p) => p.kind === 'missing' && p.column === col))
        problems.push({ kind: 'unique_missing', column: col });
    }
  }
  return problems;
}

export function contractProblemText(p: ContractProblem): string {
  switch (p.kind) {
    case 'missing':
      return `column ${p.column} (${p.expected}) is missing from the output`;
    case 'type':
      return `column ${p.column} is ${p.actual}, expected ${p.expected}`;
    case 'undeclared':
      return `output column ${p.column} (${p.actual}) is not declared`;
    case 'unique_missing':
      return `@unique column ${p.column} is not in the output`;
  }
}

const FIX: Record<ContractProblem['kind'], string> = {
  missing: 'select the column in the query, or drop it from @contract',
  type: 'cast the column in the query (e.g. `x::TYPE`), or change its type in @contract',
  undeclared: 'declare the column in @contract, or drop it from the query',
  unique_missing: 'select the key columns in the query, or change @unique',
};

/** The E_CONTRACT error for a task's problems, or undefined when there are none. */
export function contractError(
  task: { name: string; file: string },
  problems: readonly ContractProblem[],
  when: string,
): RelspecError | undefined {
  if (problems.length === 0) return undefined;
  const fixes = [...new Set(problems.map((p) => FIX[p.kind]))];
  return new RelspecError('E_CONTRACT', `task ${task.name} breaks its contract ${when}: ${problems.map(contractProblemText).join('; ')}`, {
    file: task.file,
    fix: fixes.join('; '),
  });
}
