import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { physicalName, sqlName } from '../catalog/names.js';
import { quoteIdent, splitQualified } from '../util/sql.js';
import type { EngineConfig } from '../config/types.js';
import { RelspecError, errorMessage } from '../errors.js';
import { stateFaultError } from '../state/faults.js';
import { checkWarehouseNotTruncated } from './warehouseFile.js';
import { DUCK_OPTIONS } from './duckOptions.js';
import type { Column } from '../lineage/types.js';
import { tokenSelect, tokensFromRow } from './tokens.js';
import { CHANGES_SCHEMA } from './keyed.js';
import { checkContractData, type ContractCheck } from './contracts.js';

export const WAREHOUSE_FILE = 'warehouse.duckdb';
export const SLICE_SCHEMA = 'relspec_slices';
/** relspec's own schemas in the warehouse: slices of shared outputs and key-scoped change rows (not outputs). */
export const INTERNAL_SCHEMAS: readonly string[] = [SLICE_SCHEMA, CHANGES_SCHEMA];
/** A SQL list of INTERNAL_SCHEMAS, for `schema_name NOT IN (…)`. */
export const internalSchemaList = (): string => INTERNAL_SCHEMAS.map((s) => `'${s}'`).join(', ');

/** Where a task's result lives: the output itself, or its slice when the output has several producers. */
export const sliceName = (task: string): string => `${quoteIdent(SLICE_SCHEMA)}.${quoteIdent(task)}`;

export interface MaterializeResult {
  rows?: number;
  tokens: Record<string, string>;
  /** The values of `extra` select expressions, from the same scan as the tokens (tables only). */
  extra?: unknown[];
}

/** The project's DuckDB database (`state/warehouse.duckdb`): sources as views, outputs as tables/views. */
/** `"schema"."table"` → the key `Warehouse.relations()` lists it under: unquoted, lower case. */
export const relationKey = (relation: string): string => splitQualified(relation).join('.').toLowerCase();

/**
 * What every connection's handle on one warehouse shares: the catalog as relspec knows it, and the
 * pool of handles tasks lease (engine.concurrency tasks build at once, each on its own connection:
 * DuckDB runs one query at a time per connection).
 */
interface Shared {
  /** Relations by lower-case `schema.table`: DuckDB refuses to replace a view by a table and vice versa. */
  kinds: Map<string, 'table' | 'view'>;
  /**
   * Schemas created (or being created): CREATE SCHEMA IF NOT EXISTS per build is a catalog write and a
   * commit, and two connections creating one schema at once conflict (a write-write conflict on it).
   */
  schemas: Map<string, Promise<void>>;
  /** Handles not leased right now; the first is the warehouse itself, so one task at a time uses `conn`. */
  idle: Warehouse[];
  /** Every handle opened for a lease (closed with the warehouse). */
  leased: Warehouse[];
}

export class Warehouse {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly file: string,
    private readonly shared: Shared,
  ) {}

  private get kinds(): Map<string, 'table' | 'view'> {
    return this.shared.kinds;
  }

  static async open(stateDir: string, engine: Readonly<EngineConfig> = {}): Promise<Warehouse> {
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, WAREHOUSE_FILE);
    let instance: DuckDBInstance;
    try {
      const options: Record<string, string> = { ...DUCK_OPTIONS };
      if (engine.threads) options.threads = String(engine.threads);
      if (engine.memoryLimit) options.memory_limit = engine.memoryLimit;
      checkWarehouseNotTruncated(file);
      instance = await DuckDBInstance.create(file, options);
    } catch (e) {
      if (e instanceof RelspecError) throw e;
      // "Another process may hold it" only when DuckDB says a lock is held; a corrupt file or a
      // full disk says what it is (src/state/faults.ts).
      throw (
        stateFaultError(e, stateDir) ??
        new RelspecError('E_STATE', `cannot open warehouse: ${errorMessage(e).split('\n')[0]}`, {
          file,
          fix: 'check the state directory and the file, or move the file aside to rebuild',
        })
      );
    }
    try {
      const conn = await instance.connect();
      // Created here, once: CREATE SCHEMA inside concurrent key-scoped refreshes is a write-write conflict.
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(SLICE_SCHEMA)}; CREATE SCHEMA IF NOT EXISTS ${quoteIdent(CHANGES_SCHEMA)}`);
      const shared: Shared = { kinds: new Map(), schemas: new Map([['main', Promise.resolve()]]), idle: [], leased: [] };
      const w = new Warehouse(instance, conn, file, shared);
      shared.idle.push(w);
      return w;
    } catch (e) {
      instance.closeSync();
      throw stateFaultError(e, stateDir) ?? e;
    }
  }

  async version(): Promise<string> {
    const r = await this.conn.runAndReadAll('SELECT version()');
    return String(r.getRows()[0]![0]);
  }

  /** Every relation in the warehouse as `schema.table` (lower-case) → its kind. */
  async relations(): Promise<Map<string, 'table' | 'view'>> {
    const r = await this.conn.runAndReadAll(
      `SELECT schema_name, table_name, 'table' FROM duckdb_tables() WHERE database_name = current_database()
       UNION ALL SELECT schema_name, view_name, 'view' FROM duckdb_views() WHERE NOT internal AND database_name = current_database()`,
    );
    this.kinds.clear();
    for (const [s, t, k] of r.getRows() as [string, string, 'table' | 'view'][]) this.kinds.set(`${s}.${t}`.toLowerCase(), k);
    return new Map(this.kinds);
  }

  /**
   * Runs `fn` with a handle of its own on this warehouse: the same catalog, its own connection (this
   * one first, more opened on demand and kept for the next lease). A connection sees what the others
   * committed, so a task reads the outputs its finished producers wrote.
   */
  async lease<T>(fn: (w: Warehouse) => Promise<T>): Promise<T> {
    const { idle, leased } = this.shared;
    let w = idle.pop();
    if (!w) {
      w = new Warehouse(this.instance, await this.instance.connect(), this.file, this.shared);
      leased.push(w);
    }
    try {
      return await fn(w);
    } finally {
      idle.push(w);
    }
  }

  /** Interrupts the query running on every connection (the daemon's stop after its grace period). */
  interrupt(): void {
    for (const w of [this, ...this.shared.leased]) w.conn.interrupt();
  }

  /** `"schema"."table"` → `schema.table`, as shown in messages. */
  private shown(relation: string): string {
    return splitQualified(relation).join('.');
  }

  private key(relation: string): string {
    return relationKey(relation);
  }

  /** The DROP that must precede CREATE OR REPLACE when `relation` exists as the other kind ('' when none). */
  private otherKindDrop(relation: string, kind: 'table' | 'view'): string {
    const have = this.kinds.get(this.key(relation));
    return have && have !== kind ? `DROP ${have === 'table' ? 'TABLE' : 'VIEW'} ${relation};\n` : '';
  }

  /**
   * Runs `fn`'s statements as one transaction when `needed`: a reader on another connection (the
   * daemon serving `relspec query`) sees the relation before or after, never dropped between a DROP
   * and its CREATE, nor a view body without its public view. A failure rolls back: the old output stands.
   */
  private async atomically<T>(needed: boolean, fn: () => Promise<T>): Promise<T> {
    if (!needed) return fn();
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.conn.run('COMMIT');
      return out;
    } catch (e) {
      try {
        await this.conn.run('ROLLBACK');
      } catch {
        /* DuckDB already ended the failed transaction */
      }
      throw e;
    }
  }

  /** (Re)points every source view at its pinned reader (file list) in one call. */
  async registerSources(sources: readonly { name: string; reader: string }[]): Promise<void> {
    if (sources.length === 0) return;
    const schemas = new Set(sources.map((s) => physicalName(s.name)[0]).filter((s) => s !== 'main'));
    await this.conn.run(
      [
        ...[...schemas].map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s)};`),
        ...sources.map((s) => `CREATE OR REPLACE VIEW ${sqlName(s.name)} AS SELECT * FROM ${s.reader};`),
      ].join('\n'),
    );
  }

  async ensureSchema(dataset: string): Promise<void> {
    const [schema] = physicalName(dataset);
    const { schemas } = this.shared;
    let made = schemas.get(schema);
    if (!made) {
      made = this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`).then(() => undefined);
      schemas.set(schema, made);
      // A failure is retried by the next build that needs the schema.
      made.catch(() => schemas.delete(schema));
    }
    await made;
  }

  /**
   * Materializes a query into `target` and, for a table, computes its tokens over `sets` in the same
   * round trip (the last statement's rows come back).
   */
  async materialize(
    target: string,
    kind: 'table' | 'view',
    sql: string,
    sets: readonly (readonly string[])[],
    schema: readonly Column[],
    /** The task's contract: checked on the new rows before the commit, so a violation keeps the old output. */
    contract?: ContractCheck,
    /** More aggregates over the new table, computed in the token scan (a key count: keyedBuild.ts). */
    extra: readonly string[] = [],
  ): Promise<MaterializeResult> {
    try {
      return await this.materializeInner(target, kind, sql, sets, schema, contract, extra);
    } catch (e) {
      if (e instanceof RelspecError && e.code === 'E_CONTRACT') throw e;
      // The query failed on the data (a bad cast, an overflow, error()): the caller adds the task
      // file. CREATE OR REPLACE failed as a whole, so the old output stands. A full disk or an
      // invalidated database is the state's fault, not the task's: E_STATE stops the run.
      throw (
        stateFaultError(e, path.dirname(this.file)) ??
        new RelspecError('E_TASK_RUN', `the query failed while building ${this.shown(target)}: ${errorMessage(e).split('\n')[0]}`, {
          fix: 'fix the query or the input rows it fails on; the previous output is kept and the next run retries',
          cause: e,
        })
      );
    }
  }

  private async materializeInner(
    target: string,
    kind: 'table' | 'view',
    sql: string,
    sets: readonly (readonly string[])[],
    schema: readonly Column[],
    contract: ContractCheck | undefined,
    extra: readonly string[],
  ): Promise<MaterializeResult> {
    // The newline keeps a trailing `-- comment` in the task from swallowing the terminator.
    const drop = this.otherKindDrop(target, kind);
    const hidden = kind === 'view' && splitQualified(target)[0] !== 'main';
    const out = await this.atomically(drop !== '' || hidden || contract !== undefined, async (): Promise<MaterializeResult> => {
      if (kind === 'view') {
        if (!hidden) {
          await this.conn.run(`${drop}CREATE OR REPLACE VIEW ${target} AS\n${sql}\n;`);
        } else {
          // DuckDB binds a view's body with the view's own schema searched first: `staging.orders`
          // reading the source `orders` would bind to itself. The body lives in main under a hidden
          // name; the public view only names it fully qualified.
          const body = `main.${quoteIdent(`__view__${this.shown(target)}`)}`;
          await this.conn.run(
            `${drop}CREATE OR REPLACE VIEW ${body} AS\n${sql}\n;\nCREATE OR REPLACE VIEW ${target} AS SELECT * FROM ${body};`,
          );
        }
        // A view is checked by querying it, inside the transaction that (re)defines it.
        if (contract) await checkContractData(this.conn, target, contract);
        return { tokens: {} };
      }
      const r = await this.conn.runAndReadAll(
        `${drop}CREATE OR REPLACE TABLE ${target} AS\n${sql}\n;\nSELECT ${[
          tokenSelect(
            sets,
            schema.map((c) => c.name),
          ),
          ...extra,
        ].join(', ')} FROM ${target}`,
      );
      if (contract) await checkContractData(this.conn, target, contract);
      const row = r.getRows()[0]!;
      return { ...tokensFromRow(row, sets, schema), ...(extra.length > 0 ? { extra: row.slice(sets.length + 1) } : {}) };
    });
    this.kinds.set(this.key(target), kind);
    return out;
  }

  /** Tokens of an existing relation (a source reader, an output table, a slice). */
  async tokens(
    relation: string,
    sets: readonly (readonly string[])[],
    schema: readonly Column[],
  ): Promise<{ rows: number; tokens: Record<string, string> }> {
    const r = await this.conn.runAndReadAll(
      `SELECT ${tokenSelect(
        sets,
        schema.map((c) => c.name),
      )} FROM ${relation}`,
    );
    return tokensFromRow(r.getRows()[0]!, sets, schema);
  }

  /** `CREATE OR REPLACE VIEW target AS query`, replacing a table of that name in the same transaction. */
  async replaceView(target: string, query: string): Promise<void> {
    const drop = this.otherKindDrop(target, 'view');
    await this.atomically(drop !== '', () => this.conn.run(`${drop}CREATE OR REPLACE VIEW ${target} AS\n${query}`));
    this.kinds.set(this.key(target), 'view');
  }

  /** The output of several producers: a view over their slices, unioned BY NAME. */
  async unionView(output: string, tasks: readonly string[]): Promise<void> {
    await this.ensureSchema(output);
    const body = tasks.map((t) => `SELECT * FROM ${sliceName(t)}`).join('\nUNION ALL BY NAME\n');
    await this.replaceView(sqlName(output), body);
  }

  async drop(relation: string): Promise<void> {
    const have = this.kinds.get(this.key(relation));
    if (!have) return;
    await this.conn.run(`DROP ${have === 'table' ? 'TABLE' : 'VIEW'} IF EXISTS ${relation}`);
    this.kinds.delete(this.key(relation));
  }

  has(relation: string): boolean {
    return this.kinds.has(this.key(relation));
  }

  close(): void {
    for (const w of this.shared.leased.splice(0)) w.conn.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
