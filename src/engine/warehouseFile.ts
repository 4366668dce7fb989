import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { RelspecError } from '../errors.js';

const HEADER = 4096;

/**
 * A warehouse file cut short (a copy in progress, a truncation) can still open: DuckDB reads only
 * the blocks a query touches, so `relspec run` would say "noop" over outputs it can no longer read.
 * The file layout (DuckDB's single-file block manager): a main header ("DUCK" at byte 8), then two
 * database headers at 4096 and 8192 — the one with the higher iteration is current — each holding
 * `block_alloc_size` (byte 40) after an 8-byte checksum, then whole blocks. `block_count` (byte 32) is
 * not the file's length: it counts free blocks too, and DuckDB trims free blocks off the end of the
 * file after a checkpoint, so a healthy file is often shorter than `3 × 4096 + count × size` (seen in
 * the differential: 9 blocks on disk, 14 counted). What DuckDB never writes is a partial block, so a
 * length that is not `3 × 4096 + k × size` is a cut (a copy in progress, a truncation) — unless the
 * partial block lies past every counted block: a checkpoint that met a full disk while extending the
 * file leaves that (the header still names the previous checkpoint, the WAL holds the rest, and DuckDB
 * reopens it whole; test/state/faults.test.ts "DuckDB cannot write"). Anything unexpected (another
 * format version) is left to DuckDB to judge.
 */
export function checkWarehouseNotTruncated(file: string): void {
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined || size < 3 * HEADER) return;
  const head = Buffer.alloc(3 * HEADER);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1', 8, 12) !== 'DUCK') return;
  const db = (off: number) => ({
    iteration: head.readBigUInt64LE(off + 8),
    blocks: head.readBigUInt64LE(off + 32),
    alloc: head.readBigUInt64LE(off + 40),
  });
  const [a, b] = [db(HEADER), db(2 * HEADER)];
  const cur = a.iteration >= b.iteration ? a : b;
  const alloc = Number(cur.alloc);
  if (cur.blocks > 1n << 32n || alloc < 4096 || alloc > 1 << 26 || (alloc & (alloc - 1)) !== 0) return;
  const partial = (size - 3 * HEADER) % alloc;
  const extending = size > 3 * HEADER + Number(cur.blocks) * alloc;
  if (partial !== 0 && !extending) {
    throw new RelspecError(
      'E_STATE',
      `the warehouse is corrupt (truncated: its ${size} bytes end ${partial} bytes into a ${alloc}-byte block)`,
      {
        file,
        fix: 'move it aside (mv warehouse.duckdb warehouse.duckdb.bad; also warehouse.duckdb.wal if present) and run again: relspec rebuilds every output from the sources',
      },
    );
  }
}
