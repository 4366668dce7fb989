import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { columnSetKey, tokenSelect, tokensFromRow } from '../src/engine/tokens.js';
import { deltaTokens } from '../src/incremental/delta.js';
import { loadSnapshot, snapshotQuery } from '../src/delta/index.js';
import { duckType } from '../src/delta/schema.js';
import type { Row } from './report.js';

/**
 * Change detection on a Delta table of `rows` rows in `files` files, after an UPDATE of `updated`
 * rows written as Spark does with CDF on: the touched files are rewritten and a `cdc` file holds the
 * pre- and post-images. relspec reads the change rows only; the alternative is projected tokens of
 * both full snapshots.
 */
export async function benchDeltaChanges(log: (s: string) => void, rows = 1_000_000, files = 20, updated = 1000): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-delta-'));
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    mkdirSync(path.join(dir, '_delta_log'));
    const per = rows / files;
    const q = (p: string) => `'${p.replace(/'/g, "''")}'`;
    const data = (i: number, bump: string) =>
      `SELECT range AS id, 'name ' || range AS name, (range % 1000)::DOUBLE ${bump} AS price, range % 7 AS bucket FROM range(${i * per}, ${(i + 1) * per})`;
    const add = (p: string, n: number, dataChange = true) =>
      JSON.stringify({
        add: {
          path: p,
          partitionValues: {},
          size: statSync(path.join(dir, p)).size,
          modificationTime: 0,
          dataChange,
          stats: JSON.stringify({ numRecords: n }),
        },
      });
    const v0: string[] = [
      JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 4 } }),
      JSON.stringify({
        metaData: {
          id: 'bench',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify({
            type: 'struct',
            fields: ['id:long', 'name:string', 'price:double', 'bucket:long'].map((f) => ({
              name: f.split(':')[0],
              type: f.split(':')[1],
              nullable: true,
              metadata: {},
            })),
          }),
          partitionColumns: [],
          configuration: { 'delta.enableChangeDataFeed': 'true' },
          createdTime: 0,
        },
      }),
      JSON.stringify({ commitInfo: { operation: 'WRITE' } }),
    ];
    for (let i = 0; i < files; i++) {
      await c.run(`COPY (${data(i, '')}) TO ${q(path.join(dir, `part-${i}.parquet`))} (FORMAT parquet)`);
      v0.push(add(`part-${i}.parquet`, per));
    }
    writeFileSync(path.join(dir, '_delta_log', `${'0'.padStart(20, '0')}.json`), v0.join('\n') + '\n');
    // v1: UPDATE price of `updated` rows spread over the first files (copy-on-write + cdc file).
    const touched = Math.max(1, Math.ceil(updated / per));
    const step = Math.floor((touched * per) / updated);
    const cond = `(range % ${step} = 0 AND range < ${touched * per})`;
    const v1: string[] = [JSON.stringify({ commitInfo: { operation: 'UPDATE' } })];
    for (let i = 0; i < touched; i++) {
      await c.run(
        `COPY (${data(i, `+ CASE WHEN ${cond} THEN 1 ELSE 0 END`)}) TO ${q(path.join(dir, `part-${i}-v1.parquet`))} (FORMAT parquet)`,
      );
      v1.push(
        JSON.stringify({ remove: { path: `part-${i}.parquet`, deletionTimestamp: 0, dataChange: true } }),
        add(`part-${i}-v1.parquet`, per),
      );
    }
    mkdirSync(path.join(dir, '_change_data'));
    await c.run(`COPY (
      SELECT * FROM (SELECT range AS id, 'name ' || range AS name, (range % 1000)::DOUBLE AS price, range % 7 AS bucket, 'update_preimage' AS _change_type FROM range(${touched * per}) WHERE ${cond})
      UNION ALL SELECT * FROM (SELECT range AS id, 'name ' || range AS name, (range % 1000)::DOUBLE + 1 AS price, range % 7 AS bucket, 'update_postimage' AS _change_type FROM range(${touched * per}) WHERE ${cond})
    ) TO ${q(path.join(dir, '_change_data', 'cdc-1.parquet'))} (FORMAT parquet)`);
    v1.push(
      JSON.stringify({
        cdc: {
          path: '_change_data/cdc-1.parquet',
          partitionValues: {},
          size: statSync(path.join(dir, '_change_data', 'cdc-1.parquet')).size,
          dataChange: false,
        },
      }),
    );
    writeFileSync(path.join(dir, '_delta_log', `${'1'.padStart(20, '0')}.json`), v1.join('\n') + '\n');

    const s0 = await loadSnapshot(c, dir, { version: 0 });
    const s1 = await loadSnapshot(c, dir);
    const schema = s1.schema.fields.map((f) => ({ name: f.name, type: duckType(f.type) }));
    const sets = [
      ['id', 'price'],
      ['bucket', 'id'],
      ['id', 'name'],
    ];
    const names = schema.map((x) => x.name);
    const full = async (snap: typeof s0) =>
      tokensFromRow(
        (await c.runAndReadAll(`SELECT ${tokenSelect(sets, names)} FROM (${await snapshotQuery(c, snap)})`)).getRows()[0]!,
        sets,
        schema,
      );

    const old = (await full(s0)).tokens;
    let t = performance.now();
    const inc = await deltaTokens(c, s1, 0, old, sets, schema);
    const incMs = performance.now() - t;
    t = performance.now();
    const a = await full(s0);
    const b = await full(s1);
    const fullMs = performance.now() - t;
    // Same answer both ways: tokens are exact, so maintained = recomputed.
    for (const s of sets)
      if (inc.tokens[columnSetKey(s)] !== b.tokens[columnSetKey(s)]) throw new Error(`delta token mismatch for ${s.join(', ')}`);
    const changedSets = sets.filter((s) => a.tokens[columnSetKey(s)] !== b.tokens[columnSetKey(s)]).map((s) => s.join('+'));
    const cdcBytes = statSync(path.join(dir, '_change_data', 'cdc-1.parquet')).size;
    const fullBytes = [...s0.files, ...s1.files].reduce((n, f) => n + statSync(f.absPath).size, 0);
    const fullRows = a.rows + b.rows;
    log(
      `  delta: ${rows} rows, ${updated} updated: incremental read ${inc.rowsRead} rows / ${cdcBytes} B in ${incMs.toFixed(0)} ms; full read ${fullRows} rows / ${fullBytes} B in ${fullMs.toFixed(0)} ms; changed sets: ${changedSets.join(', ')} (${inc.changed.size} by the incremental path)`,
    );
    const ratio = inc.rowsRead / fullRows;
    return [
      {
        metric: `Delta change detection, ${rows / 1e6}M rows, ${updated} updated: rows read (incremental / both full snapshots)`,
        value: ratio,
        unit: '×',
        goal: '≤ 0.01',
        ok: ratio <= 0.01,
        anchor: `${inc.rowsRead} vs ${fullRows} rows`,
      },
      { metric: '  bytes read (incremental / full)', value: cdcBytes / fullBytes, unit: '×', anchor: `${cdcBytes} vs ${fullBytes} B` },
      { metric: '  time, incremental', value: incMs, unit: 'ms' },
      { metric: '  time, projected tokens of both snapshots', value: fullMs, unit: 'ms' },
    ];
  } finally {
    c.closeSync();
    inst.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
