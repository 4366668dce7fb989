import type { DuckDBConnection } from '@duckdb/node-api';
import { errorMessage } from '../errors.js';
import { physicalName } from '../catalog/names.js';
import type { Column, ColumnLineage } from './types.js';

interface PlanNode {
  name?: string;
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

const asList = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : String(v) === '' ? [] : [String(v)];

/** A projection entry is a column, or `col.field…` for struct access (which counts as `col`). */
function projectionColumn(entry: string, columns: readonly string[], byLength: readonly string[]): string | undefined {
  if (columns.includes(entry)) return entry;
  return byLength.find((c) => entry.startsWith(c + '.'));
}

const IDENT_CHAR = /[A-Za-z0-9_]/;
/** Columns a filter text mentions. Substring matching over-approximates, which is the safe side. */
function filterColumns(filter: string, columns: readonly string[]): string[] {
  const lower = filter.toLowerCase();
  return columns.filter((c) => {
    const needle = c.toLowerCase();
    for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, i + 1)) {
      const before = lower[i - 1];
      const after = lower[i + needle.length];
      if ((!before || !IDENT_CHAR.test(before)) && (!after || !IDENT_CHAR.test(after))) return true;
    }
    return false;
  });
}

export async function describeQuery(conn: DuckDBConnection, sql: string): Promise<Column[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${sql}`);
  return (r.getRows() as unknown[][]).map(([name, type]) => ({ name: String(name), type: String(type) }));
}

/**
 * Required columns per input from DuckDB's physical plan over stub tables: per scan, the union of
 * its `Projections` and the columns its pushed-down `Filters` mention (a column used only in a
 * filter is absent from Projections). Where the plan cannot tell, the input needs all its columns —
 * over-approximation costs a rebuild, under-approximation a wrong result.
 */
export async function requiredColumns(
  conn: DuckDBConnection,
  sql: string,
  inputs: ReadonlyMap<string, readonly Column[]>,
): Promise<Pick<ColumnLineage, 'inputs' | 'notes'>> {
  const notes: string[] = [];
  const required = new Map<string, Set<string>>();
  const all = (ds: string, why: string) => {
    required.set(ds, new Set(inputs.get(ds)!.map((c) => c.name)));
    notes.push(`${ds}: all columns required (${why})`);
  };
  const byTable = new Map<string, string>();
  for (const ds of inputs.keys()) {
    const [schema, table] = physicalName(ds);
    byTable.set(`memory.${schema}.${table}`.toLowerCase(), ds);
  }

  let plan: PlanNode[];
  try {
    const r = await conn.runAndReadAll(`EXPLAIN (FORMAT JSON) ${sql}`);
    const row = (r.getRows() as unknown[][]).find((x) => x[0] === 'physical_plan');
    plan = JSON.parse(String(row?.[1] ?? '[]')) as PlanNode[];
  } catch (e) {
    for (const ds of inputs.keys()) all(ds, `EXPLAIN failed: ${errorMessage(e).split('\n')[0]}`);
    return finish(required, notes);
  }

  const unknownScans = new Set<string>();
  const walk = (n: PlanNode) => {
    const info = n.extra_info ?? {};
    const table = typeof info.Table === 'string' ? info.Table : undefined;
    if (table !== undefined) {
      const ds = byTable.get(table.toLowerCase());
      if (ds === undefined) unknownScans.add(table);
      else if (!notesAll(ds)) scan(ds, info);
    }
    for (const c of n.children ?? []) walk(c);
  };
  const notesAll = (ds: string) => notes.some((x) => x.startsWith(`${ds}: all columns`));
  const scan = (ds: string, info: Record<string, unknown>) => {
    const cols = inputs.get(ds)!.map((c) => c.name);
    const byLength = [...cols].sort((a, b) => b.length - a.length);
    const set = required.get(ds) ?? new Set<string>();
    required.set(ds, set);
    if (!('Projections' in info)) return all(ds, 'the plan lists no projections for its scan');
    for (const p of asList(info.Projections)) {
      const c = projectionColumn(p, cols, byLength);
      if (c === undefined) return all(ds, `unrecognised projection '${p}'`);
      set.add(c);
    }
    for (const key of ['Filters', 'Dynamic Filters']) {
      for (const f of asList(info[key])) {
        const found = filterColumns(f, cols);
        if (found.length === 0 && !/^(true|false|optional:.*)$/i.test(f.trim())) {
          return all(ds, `filter '${f}' names no known column`);
        }
        for (const c of found) set.add(c);
      }
    }
  };
  for (const root of plan) walk(root);

  for (const ds of inputs.keys()) {
    if (!required.has(ds)) all(ds, 'the optimized plan does not scan it');
  }
  for (const t of unknownScans) notes.push(`the plan scans ${t}, which is not a known input`);
  return finish(required, notes);
}

function finish(required: Map<string, Set<string>>, notes: string[]): Pick<ColumnLineage, 'inputs' | 'notes'> {
  const inputs: Record<string, string[]> = {};
  for (const ds of [...required.keys()].sort()) inputs[ds] = [...required.get(ds)!].sort();
  return { inputs, notes };
}

/**
 * The inputs a plan actually scans, among `candidates` (used to narrow the name-based inputs of a
 * dynamic PIVOT: its plan over empty stubs has the right tables, though not the right columns).
 */
export async function scannedInputs(conn: DuckDBConnection, sql: string, candidates: readonly string[]): Promise<Set<string> | undefined> {
  const byTable = new Map(candidates.map((ds) => [`memory.${physicalName(ds).join('.')}`.toLowerCase(), ds]));
  try {
    const r = await conn.runAndReadAll(`EXPLAIN (FORMAT JSON) ${sql}`);
    const row = (r.getRows() as unknown[][]).find((x) => x[0] === 'physical_plan');
    const found = new Set<string>();
    const walk = (n: PlanNode) => {
      const t = n.extra_info?.Table;
      if (typeof t === 'string' && byTable.has(t.toLowerCase())) found.add(byTable.get(t.toLowerCase())!);
      for (const c of n.children ?? []) walk(c);
    };
    for (const root of JSON.parse(String(row?.[1] ?? '[]')) as PlanNode[]) walk(root);
    return found.size > 0 ? found : undefined;
  } catch {
    return undefined;
  }
}
