import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

/**
 * A scratch in-memory DuckDB for lineage: holds empty stub tables with the inputs' schemas. It never
 * sees data; it is only DuckDB's parser and planner.
 */
export class Scratch {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(): Promise<Scratch> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    // With statistics propagation on, empty stubs let DuckDB prove filters false and drop whole
    // scans, hiding inputs (measured: 48% of a 98-query corpus had wrong table sets; 0% with it off).
    await conn.run("SET disabled_optimizers = 'statistics_propagation'");
    return new Scratch(instance, conn);
  }

  async connect(): Promise<DuckDBConnection> {
    const c = await this.instance.connect();
    await c.run("SET disabled_optimizers = 'statistics_propagation'");
    return c;
  }

  async rows(sql: string, params?: DuckDBValue[], conn: DuckDBConnection = this.conn): Promise<unknown[][]> {
    const r = await conn.runAndReadAll(sql, params);
    return r.getRows() as unknown[][];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
