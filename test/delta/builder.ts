import { statSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPath, tempTable } from './helpers.js';

/** Hand-built Delta tables: JSON commits written as the protocol describes, parquet via DuckDB. */

type Field = [name: string, type: unknown, metadata?: Record<string, unknown>];

export const field = (name: string, type: unknown, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  type,
  nullable: true,
  metadata,
});

export const protocol = (minReaderVersion = 1, minWriterVersion = 2, readerFeatures?: string[], writerFeatures?: string[]): object => ({
  protocol: {
    minReaderVersion,
    minWriterVersion,
    ...(readerFeatures ? { readerFeatures } : {}),
    ...(writerFeatures ? { writerFeatures } : {}),
  },
});

export const metaData = (
  fields: (Field | Record<string, unknown>)[],
  partitionColumns: string[] = [],
  configuration: Record<string, string> = {},
): object => ({
  metaData: {
    id: 'test-table',
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify({ type: 'struct', fields: fields.map((f) => (Array.isArray(f) ? field(f[0], f[1], f[2]) : f)) }),
    partitionColumns,
    configuration,
    createdTime: 0,
  },
});

export const add = (p: string, partitionValues: Record<string, string | null> = {}, extra: Record<string, unknown> = {}): object => ({
  add: { path: p, partitionValues, size: 1, modificationTime: 0, dataChange: true, ...extra },
});

export const remove = (p: string, extra: Record<string, unknown> = {}): object => ({
  remove: { path: p, deletionTimestamp: 0, dataChange: true, ...extra },
});

export const commitInfo = (operation: string, extra: Record<string, unknown> = {}): object => ({
  commitInfo: { timestamp: 0, operation, ...extra },
});

const CHECKPOINT_COLUMNS = `{
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  metaData: 'STRUCT(id VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, deletionVector STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT))',
  remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN)',
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  checkpointMetadata: 'STRUCT(version BIGINT, tags MAP(VARCHAR, VARCHAR))',
  sidecar: 'STRUCT(path VARCHAR, sizeInBytes BIGINT, modificationTime BIGINT)'
}`;

export function tableBuilder(conn: DuckDBConnection) {
  const t = tempTable();
  return {
    ...t,
    /** Writes a parquet data file from a query; returns an add action for it. */
    async file(
      rel: string,
      query: string,
      opts: { partitionValues?: Record<string, string | null>; fieldIds?: string; extra?: Record<string, unknown> } = {},
    ): Promise<object> {
      const p = path.join(t.dir, rel);
      t.write(rel, '');
      const ids = opts.fieldIds ? `, FIELD_IDS ${opts.fieldIds}` : '';
      await conn.run(`COPY (${query}) TO ${sqlPath(p)} (FORMAT parquet${ids})`);
      const [[n]] = (
        await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlPath(p.replace(/[[*?]/g, (c) => `[${c}]`))})`)
      ).getRows();
      const encoded = rel.split('/').map(encodeURIComponent).join('/');
      return add(encoded, opts.partitionValues ?? {}, {
        size: statSync(p).size,
        stats: JSON.stringify({ numRecords: Number(n) }),
        ...opts.extra,
      });
    },
    /** Parquet with the checkpoint action columns, at `rel` (e.g. a v2 checkpoint or a sidecar). */
    async actionsParquet(rel: string, actions: object[]): Promise<string> {
      const json = t.write(`tmp/${rel.replace(/\//g, '_')}.json`, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
      const out = t.write(rel, '');
      await conn.run(
        `COPY (SELECT * FROM read_json(${sqlPath(json)}, columns = ${CHECKPOINT_COLUMNS})) TO ${sqlPath(out)} (FORMAT parquet)`,
      );
      return out;
    },
    /** A classic (parts=1) or multi-part checkpoint; actions are split round-robin over the parts. */
    async checkpoint(version: number, actions: object[], parts = 1): Promise<string[]> {
      const files: string[] = [];
      for (let part = 1; part <= parts; part++) {
        const mine = actions.filter((_, i) => i % parts === part - 1);
        const json = t.write(`tmp/cp-${version}-${part}.json`, mine.map((a) => JSON.stringify(a)).join('\n') + '\n');
        const v = String(version).padStart(20, '0');
        const name =
          parts === 1
            ? `${v}.checkpoint.parquet`
            : `${v}.checkpoint.${String(part).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`;
        const out = path.join(t.dir, '_delta_log', name);
        await conn.run(
          `COPY (SELECT * FROM read_json(${sqlPath(json)}, columns = ${CHECKPOINT_COLUMNS})) TO ${sqlPath(out)} (FORMAT parquet)`,
        );
        files.push(out);
      }
      return files;
    },
  };
}
