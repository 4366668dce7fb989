import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { RelspecError } from '../../src/errors.js';
import { createTempTree } from '../helpers/tempTree.js';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
export const CORPUS = path.resolve(PROJECT_ROOT, '../shared/delta-corpus');
export const HAS_CORPUS = existsSync(path.join(CORPUS, 'catalog.json'));
export const NO_CORPUS_MESSAGE = `Delta corpus not found at ${CORPUS}: corpus conformance tests are skipped`;

export interface CatalogCdfVersion {
  version: number;
  op: string;
  cdfEnabled: boolean;
  ict: number | null;
  counts: Record<string, number>;
  method: string;
}

export interface CatalogEntry {
  rel: string;
  notes: string[];
  latestVersion: number;
  latestRows: number | null;
  latestRowsFromStats: number | null;
  latestFiles: number;
  versionRows: Record<string, number | null | 'ERR'>;
  minCommit: number;
  maxCommit: number;
  cdfEverEnabled: boolean;
  cdfByVersion: Record<string, boolean>;
  ictVersions: number[];
  partitionColumns: string[];
  cmMode: string;
  protocol: { r: number; w: number; rf?: string[] | null; wf?: string[] | null };
  cdf?: CatalogCdfVersion[];
  expected: string[];
}

export function loadCatalog(): CatalogEntry[] {
  return HAS_CORPUS ? (JSON.parse(readFileSync(path.join(CORPUS, 'catalog.json'), 'utf8')) as CatalogEntry[]) : [];
}

export async function openDuck(): Promise<{ conn: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  return {
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export async function rows(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRows() as unknown[][];
}

export async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  const [[n]] = await rows(conn, `SELECT count(*) FROM (${sql})`);
  return Number(n);
}

/** Runs `fn`, returning the RelspecError it throws; anything else (TypeError, success) fails. */
export async function relspecErrorOf(fn: () => Promise<unknown>): Promise<RelspecError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof RelspecError) return e;
    throw new Error(`expected a RelspecError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
  throw new Error('expected a RelspecError, but the call succeeded');
}

/** A scratch directory for hand-built Delta tables. */
export function tempTable(): {
  dir: string;
  log(version: number, actions: object[]): void;
  write(rel: string, data: string | Uint8Array): string;
  cleanup(): void;
} {
  const tree = createTempTree({}, { prefix: 'relspec-delta-' });
  tree.mkdir('_delta_log');
  return {
    dir: tree.root,
    write: tree.write,
    log: (version, actions) => {
      tree.write(`_delta_log/${String(version).padStart(20, '0')}.json`, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
    },
    cleanup: tree.dispose,
  };
}

export const sqlPath = (p: string): string => `'${p.replace(/'/g, "''")}'`;
