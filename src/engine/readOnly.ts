import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { RelspecError, errorMessage } from '../errors.js';
import { classifyStateFault, describeFault } from '../state/faults.js';
import { WAREHOUSE_FILE } from './warehouse.js';
import { checkWarehouseNotTruncated } from './warehouseFile.js';
import { DUCK_OPTIONS } from './duckOptions.js';

/**
 * The warehouse opened read-only, for `show` and `query` when no daemon serves them. DuckDB lets
 * one process write a file; while another holds it this fails with the daemon hint.
 */
export async function openWarehouseReadOnly(stateDir: string): Promise<{ conn: DuckDBConnection; close(): void }> {
  const file = path.join(stateDir, WAREHOUSE_FILE);
  if (!existsSync(file)) throw new RelspecError('E_STATE', 'no warehouse yet', { file, fix: 'run `relspec run` first' });
  let instance: DuckDBInstance;
  try {
    checkWarehouseNotTruncated(file);
    instance = await DuckDBInstance.create(file, { ...DUCK_OPTIONS, access_mode: 'READ_ONLY' });
  } catch (e) {
    if (e instanceof RelspecError) throw e;
    // The daemon hint only when DuckDB reports the lock held; a corrupt file says so (state/faults.ts).
    const fault = classifyStateFault(e);
    if (fault && fault.kind !== 'locked') throw describeFault({ ...fault, store: 'warehouse', file }, stateDir, e);
    throw new RelspecError('E_STATE', `cannot open the warehouse read-only: ${errorMessage(e).split('\n')[0]}`, {
      file,
      fix: fault
        ? 'a running `relspec watch` holds it; stop it, or query the Delta outputs under the outputs directory'
        : 'check the file, or move it aside and run again to rebuild it',
    });
  }
  const conn = await instance.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
