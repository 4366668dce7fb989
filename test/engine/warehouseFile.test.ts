import { appendFileSync, openSync, readSync, closeSync, statSync, truncateSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { checkWarehouseNotTruncated } from '../../src/engine/warehouseFile.js';
import { useTempTree } from '../helpers/tempTree.js';

/**
 * The truncation check on a real DuckDB file: a partial block inside the counted blocks is a cut; a
 * partial block past them is what a checkpoint that met a full disk leaves (DuckDB reopens it whole).
 */
const HEADER = 4096;

async function warehouse(file: string): Promise<{ blocks: number; alloc: number }> {
  const inst = await DuckDBInstance.create(file);
  const c = await inst.connect();
  await c.run('CREATE TABLE t AS SELECT range AS i, md5(range::varchar) AS s FROM range(200000)');
  await c.run('CHECKPOINT');
  c.closeSync();
  inst.closeSync();
  const head = Buffer.alloc(3 * HEADER);
  const fd = openSync(file, 'r');
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const cur = [HEADER, 2 * HEADER].map((o) => ({
    it: head.readBigUInt64LE(o + 8),
    blocks: head.readBigUInt64LE(o + 32),
    alloc: head.readBigUInt64LE(o + 40),
  }));
  const h = cur[0]!.it >= cur[1]!.it ? cur[0]! : cur[1]!;
  return { blocks: Number(h.blocks), alloc: Number(h.alloc) };
}

async function readAll(file: string): Promise<unknown> {
  const inst = await DuckDBInstance.create(file);
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll('SELECT count(*)::INT, sum(hash(t))::VARCHAR FROM t')).getRows()[0];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

describe('checkWarehouseNotTruncated', () => {
  it('a partial block past the counted blocks (a full disk while extending) is accepted, and DuckDB reads every row', async () => {
    const tree = useTempTree({}, { prefix: 'relspec-whfile-' });
    const file = tree.path('warehouse.duckdb');
    const { blocks, alloc } = await warehouse(file);
    const before = await readAll(file);
    const end = 3 * HEADER + blocks * alloc;
    if (statSync(file).size < end) appendFileSync(file, Buffer.alloc(end - statSync(file).size));
    appendFileSync(file, Buffer.alloc(alloc / 2, 7));
    expect((statSync(file).size - 3 * HEADER) % alloc).toBe(alloc / 2);
    expect(() => checkWarehouseNotTruncated(file)).not.toThrow();
    expect(await readAll(file)).toEqual(before);
  });

  it('a partial block within the counted blocks is a cut: E_STATE corrupt naming the sizes and the fix', async () => {
    const tree = useTempTree({}, { prefix: 'relspec-whfile-' });
    const file = tree.path('warehouse.duckdb');
    const { alloc } = await warehouse(file);
    truncateSync(file, statSync(file).size - alloc / 2);
    expect(() => checkWarehouseNotTruncated(file)).toThrow(
      /the warehouse is corrupt \(truncated: its \d+ bytes end \d+ bytes into a \d+-byte block\)/,
    );
  });
});
