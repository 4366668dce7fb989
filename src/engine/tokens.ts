import { createHash } from 'node:crypto';
import { quoteIdent } from '../util/sql.js';
import type { Column } from '../lineage/types.js';

/**
 * A change token of a dataset over a column set S changes iff the multiset of its rows projected on
 * S changes: `count(*)` and the SUM of `hash(S)` over rows — order-independent and, unlike XOR,
 * duplicate-sensitive. The types of S are folded in, so a retyped column is a change too.
 */
export const columnSetKey = (cols: readonly string[]): string => JSON.stringify([...cols].sort());

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

/**
 * `count:hashSum:types` with the exact integers, so tokens can be maintained arithmetically (a Delta
 * commit adds its signed change rows) and equal a full scan's; `displayToken` shortens it.
 */
export function makeToken(count: string | number | bigint, hashSum: string | null, types: string): string {
  return `${count}:${hashSum ?? '0'}:${short(types).slice(0, 8)}`;
}

export function parseToken(token: string): { count: bigint; sum: bigint; types: string } | undefined {
  const m = /^(-?\d+):(-?\d+):([0-9a-f]+)$/.exec(token);
  return m ? { count: BigInt(m[1]!), sum: BigInt(m[2]!), types: m[3]! } : undefined;
}

/** Adds signed change counts and hash sums to a token (the projection is unchanged iff both are 0). */
export function addToToken(token: string, dCount: bigint, dSum: bigint): string | undefined {
  const t = parseToken(token);
  return t ? `${t.count + dCount}:${t.sum + dSum}:${t.types}` : undefined;
}

/** `10 rows #a1b2c3d4` for people: the rows and a short hash of the rest. */
export function displayToken(token: string | null | undefined): string {
  if (!token) return '∅';
  const t = parseToken(token);
  return t ? `${t.count} rows #${short(`${t.sum}:${t.types}`).slice(0, 8)}` : token;
}

export function typesOf(cols: readonly string[], schema: readonly Column[]): string {
  const byName = new Map(schema.map((c) => [c.name, c.type]));
  return [...cols]
    .sort()
    .map((c) => `${c}=${byName.get(c) ?? 'NULL'}`)
    .join(',');
}

/** Select-list expressions computing count and one hash sum per column set in one scan. */
export function tokenSelect(sets: readonly (readonly string[])[], available: readonly string[]): string {
  const has = new Set(available);
  const exprs = ['count(*)::BIGINT'];
  for (const s of sets) {
    // A slice without a column of S reads it as NULL, as the union BY NAME of slices does.
    const args = [...s].sort().map((c) => (has.has(c) ? quoteIdent(c) : 'NULL'));
    exprs.push(args.length === 0 ? '0::HUGEINT' : `coalesce(sum(hash(${args.join(', ')}))::HUGEINT, 0)`);
  }
  return exprs.join(', ');
}

/**
 * Signed count and hash sums over change rows (column `_change_type`): inserted and post-image rows
 * count +1, deleted and pre-image rows −1 (docs/ARCHITECTURE.md, "Change detection from Delta commits").
 */
export function signedTokenSelect(sets: readonly (readonly string[])[], available: readonly string[]): string {
  const has = new Set(available);
  const sign = `(CASE WHEN _change_type IN ('insert', 'update_postimage') THEN 1 ELSE -1 END)`;
  const exprs = [`coalesce(sum(${sign}), 0)::HUGEINT`];
  for (const s of sets) {
    const args = [...s].sort().map((c) => (has.has(c) ? quoteIdent(c) : 'NULL'));
    exprs.push(args.length === 0 ? '0::HUGEINT' : `coalesce(sum(${sign} * hash(${args.join(', ')})::HUGEINT), 0)::HUGEINT`);
  }
  return exprs.join(', ');
}

/** Row of `tokenSelect` → tokens by column-set key. */
export function tokensFromRow(
  row: readonly unknown[],
  sets: readonly (readonly string[])[],
  schema: readonly Column[],
): { rows: number; tokens: Record<string, string> } {
  const count = String(row[0]);
  const tokens: Record<string, string> = {};
  sets.forEach((s, i) => {
    tokens[columnSetKey(s)] = makeToken(count, String(row[i + 1]), typesOf(s, schema));
  });
  return { rows: Number(count), tokens };
}

/** A view is not scanned: its token is its definition plus its own inputs' tokens. */
export function derivedToken(fingerprint: string, inputTokens: Record<string, string>): string {
  const parts = Object.keys(inputTokens)
    .sort()
    .map((k) => `${k}=${inputTokens[k]}`);
  return `view:${short(`${fingerprint}\0${parts.join('\0')}`)}`;
}

/** The union of slices: counts and hash sums add up; with any view slice, hash the parts. */
export function combineTokens(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0]!;
  return `union:${short([...parts].sort().join('\0'))}`;
}
