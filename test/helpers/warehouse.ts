/**
 * A project's results read back for assertions: its state database's rows, every relation of its
 * warehouse, and a stateless copy to build from scratch for a clean-build comparison.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { useTempTree } from './tempTree.js';
import { internalSchemaList } from '../../src/engine/warehouse.js';

/** Runs and task runs from the state database, read-only (works while the daemon writes). */
export function stateRows<T>(dir: string, sql: string): T[] {
  const db = new Database(path.join(dir, 'state/relspec.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every relation of a warehouse (outside relspec's slices) with its rows, sorted. Open only when no process holds it. */
export async function dumpWarehouse(file: string): Promise<Record<string, unknown[]>> {
  const inst = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    const rels = (
      await c.runAndReadAll(
        `SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name NOT IN (${internalSchemaList()})
         UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal AND schema_name NOT IN (${internalSchemaList()}) AND view_name NOT LIKE '__view__%'`,
      )
    )
      .getRows()
      .map((r) => String(r[0]))
      .sort();
    const out: Record<string, unknown[]> = {};
    for (const r of rels) {
      const [s, t] = r.split('.');
      out[r] = (await c.runAndReadAll(`SELECT * FROM "${s}"."${t}" ORDER BY ALL`)).getRowsJson();
    }
    return out;
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

/** A copy of the project without its state, for a clean-build comparison: call it inside a test, which deletes it when finished. */
export function copyWithoutState(dir: string): string {
  const to = useTempTree({}, { prefix: 'relspec-clean-' }).root;
  cpSync(dir, to, { recursive: true, filter: (src) => !src.startsWith(path.join(dir, 'state')) });
  return to;
}
