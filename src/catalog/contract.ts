import { createHash } from 'node:crypto';
import { RelspecError } from '../errors.js';
import { didYouMean, suggest } from '../util/suggest.js';
import { KNOWN_TYPES, normalizeType, splitTopLevel, unquoteIdent } from './duckTypes.js';
import type { Contract, ContractColumn, OutputContract, TaskOptions } from './types.js';

export interface HeaderValue {
  value: string;
  line: number;
}

type Fail = (e: RelspecError) => void;

const ITEM = /^("(?:[^"]|"")*"|[^\s"]+)\s+(.+?)(\s+NOT\s+NULL)?$/is;

/**
 * `-- @contract` lines, each adding columns: `id INTEGER NOT NULL, name VARCHAR`. A bad item is
 * reported and left out; the rest of the contract stands.
 */
export function parseContract(lines: readonly HeaderValue[], file: string, fail: Fail): Contract | undefined {
  if (lines.length === 0) return undefined;
  const columns: ContractColumn[] = [];
  const seen = new Map<string, number>();
  for (const { value, line } of lines) {
    for (const item of splitTopLevel(value)) {
      const m = ITEM.exec(item);
      if (!m) {
        fail(
          new RelspecError('E_TASK', `bad @contract column '${item}' on line ${line}`, {
            file,
            fix: 'write `-- @contract col TYPE [NOT NULL], col2 TYPE, …`',
          }),
        );
        continue;
      }
      const name = unquoteIdent(m[1]!);
      const type = normalizeType(m[2]!);
      if (type === undefined) {
        const hint = didYouMean(suggest(m[2]!.toUpperCase(), KNOWN_TYPES));
        fail(
          new RelspecError('E_TASK', `@contract column ${name}: unknown type '${m[2]}' on line ${line}`, {
            file,
            fix: `use a DuckDB type name (INTEGER, BIGINT, VARCHAR, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, T[], STRUCT(…))${hint ? `; ${hint}` : ''}`,
          }),
        );
        continue;
      }
      const key = name.toLowerCase();
      if (seen.has(key)) {
        fail(
          new RelspecError('E_TASK', `@contract declares column ${name} twice (line ${seen.get(key)} and ${line})`, {
            file,
            fix: 'keep one declaration per column',
          }),
        );
        continue;
      }
      seen.set(key, line);
      columns.push(Object.freeze({ name, type, notNull: m[3] !== undefined }));
    }
  }
  return Object.freeze({ columns: Object.freeze(columns) });
}

/** `-- @unique` lines, one key each: `col` or `col1, col2`. Columns must be declared when a contract is. */
export function parseUnique(
  lines: readonly HeaderValue[],
  contract: Contract | undefined,
  file: string,
  fail: Fail,
): string[][] | undefined {
  if (lines.length === 0) return undefined;
  const keys: string[][] = [];
  for (const { value, line } of lines) {
    const cols = splitTopLevel(value).map(unquoteIdent);
    if (cols.some((c) => c === '')) {
      fail(new RelspecError('E_TASK', `bad @unique '${value}' on line ${line}`, { file, fix: 'write `-- @unique col[, col]`' }));
      continue;
    }
    const declared = contract?.columns.map((c) => c.name);
    const missing = declared ? cols.filter((c) => !declared.some((d) => d.toLowerCase() === c.toLowerCase())) : [];
    if (missing.length > 0) {
      const hint = didYouMean(suggest(missing[0]!, declared!));
      fail(
        new RelspecError('E_TASK', `@unique on line ${line} names ${missing.join(', ')}, not declared in @contract`, {
          file,
          fix: hint ?? `declare ${missing.join(', ')} in @contract, or drop it from the key`,
        }),
      );
      continue;
    }
    keys.push(cols);
  }
  return keys;
}

/** The contract and unique keys of a task, or undefined when it declares neither. */
export function contractOf(options: TaskOptions): OutputContract | undefined {
  if (!options.contract && !options.unique) return undefined;
  return {
    ...(options.contract ? { columns: options.contract.columns } : {}),
    ...(options.unique ? { unique: options.unique } : {}),
  };
}

/**
 * The plan fingerprint with the contract mixed in: a contract edit is a plan change (`why` says
 * plan_changed). A task without one keeps its fingerprint as it was.
 */
export function withContractFingerprint(fingerprint: string | undefined, options: TaskOptions): string | undefined {
  const c = contractOf(options);
  if (fingerprint === undefined || c === undefined) return fingerprint;
  const cols = (c.columns ?? []).map((x) => `${x.name}:${x.type}:${x.notNull ? 'nn' : ''}`).join(',');
  const uniq = (c.unique ?? []).map((k) => k.join(',')).join(';');
  return createHash('sha256').update(`${fingerprint}\0contract=${cols}\0unique=${uniq}`).digest('hex');
}
