import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DUCK_OPTIONS } from './duckOptions.js';

/** A scratch in-memory DuckDB connection for the duration of `fn` (closed after, even on error). */
export async function withMemoryDuck<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const inst = await DuckDBInstance.create(':memory:', { ...DUCK_OPTIONS });
  const c = await inst.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}
