import type { DuckDBConnection } from '@duckdb/node-api';
import type { LiveFile } from '../read/snapshot.js';
import { duckType, type DeltaField } from '../schema.js';
import type { Where } from '../util.js';
import { taggedFile } from './owner.js';
import { run } from './stage.js';
import { quoteIdent, sqlString } from '../../util/sql.js';

/**
 * Which live files may hold any of the staged key tuples, from the files' own statistics (Delta
 * protocol, **Per-file Statistics**): a file is skipped only when, for every key tuple, some key
 * column's value lies outside the file's [minValues, maxValues] (or is NULL where the file's
 * nullCount is 0). Bounds are used only where they are exact lower/upper bounds of the column:
 * integers that JSON numbers carry exactly, dates and strings. A string min is a lower bound even
 * when truncated (a prefix); a string max is trusted only in this writer's files (owner.ts tag),
 * which record it exactly or not at all (files.ts) — other writers truncate it in ways of their
 * own. Anything else counts as unbounded, so a file without statistics is always a candidate.
 * Comparison is DuckDB's, the order the bounds were computed in.
 */

const PRUNABLE = new Set(['string', 'long', 'integer', 'short', 'byte', 'date']);

interface Bounds {
  lo: string | null;
  hi: string | null;
  /** nullCount, when recorded. */
  nulls: number | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bound(v: unknown, type: string): string | null {
  if (type === 'string' || type === 'date') return typeof v === 'string' ? v : null;
  return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null;
}

function boundsOf(file: LiveFile, fields: readonly DeltaField[]): Bounds[] | undefined {
  const exactMax = taggedFile(file.path);
  if (file.stats === undefined) return undefined;
  let s: unknown;
  try {
    s = JSON.parse(file.stats);
  } catch {
    return undefined;
  }
  if (!isObj(s)) return undefined;
  const pick = (k: string): Record<string, unknown> => (isObj(s[k]) ? s[k] : {});
  const [mins, maxs, nulls] = [pick('minValues'), pick('maxValues'), pick('nullCount')];
  return fields.map((f) => {
    const type = f.type.kind === 'primitive' ? f.type.name : '';
    const n = nulls[f.name];
    const hi = type === 'string' && !exactMax ? null : bound(maxs[f.name], type);
    return { lo: bound(mins[f.name], type), hi, nulls: typeof n === 'number' ? n : null };
  });
}

/**
 * Indices into `files` of the files that may hold a key of `keysTable`, in order; every index when
 * no key column can be bounded (partition columns are not: their rows live in the partition's files).
 */
export async function candidateFiles(
  conn: DuckDBConnection,
  w: Where,
  files: readonly LiveFile[],
  keyFields: readonly DeltaField[],
  partitionColumns: readonly string[],
  keysTable: string,
): Promise<number[]> {
  const all = files.map((_, i) => i);
  const cols = keyFields.filter((f) => f.type.kind === 'primitive' && PRUNABLE.has(f.type.name) && !partitionColumns.includes(f.name));
  if (!cols.length || !files.length) return all;
  const bounds = files.map((f) => boundsOf(f, cols));
  const known = all.filter((i) => bounds[i]?.some((b) => b.lo !== null || b.hi !== null || b.nulls === 0));
  if (!known.length) return all;
  const lit = (v: string | null, t: string): string => (v === null ? `CAST(NULL AS ${t})` : `CAST(${sqlString(v)} AS ${t})`);
  const types = cols.map((f) => duckType(f.type));
  const rows = known.map(
    (i) =>
      `(${[String(i), ...bounds[i]!.flatMap((b, c) => [lit(b.lo, types[c]!), lit(b.hi, types[c]!), b.nulls === null ? 'NULL' : String(b.nulls)])].join(', ')})`,
  );
  const names = ['i', ...cols.flatMap((_, c) => [`lo${c}`, `hi${c}`, `n${c}`])];
  const match = cols
    .map((f, c) => {
      const k = `__k.${quoteIdent(f.name)}`;
      return `((${k} IS NULL AND (__f.n${c} IS NULL OR __f.n${c} > 0)) OR (${k} IS NOT NULL AND (__f.lo${c} IS NULL OR ${k} >= __f.lo${c}) AND (__f.hi${c} IS NULL OR ${k} <= __f.hi${c})))`;
    })
    .join(' AND ');
  const hits = await run(
    conn,
    w,
    'cannot match the keys against the file statistics',
    `SELECT DISTINCT __f.i FROM (VALUES ${rows.join(', ')}) AS __f(${names.join(', ')}) JOIN ${keysTable} AS __k ON ${match}`,
  );
  const keep = new Set(hits.map(([i]) => Number(i)));
  const knownSet = new Set(known);
  return all.filter((i) => !knownSet.has(i) || keep.has(i));
}
