import { RelspecError } from '../errors.js';
import type { Materialize, TaskOptions } from './types.js';
import { datasetName, datasetNameProblem, isDatasetName } from './names.js';
import { parseContract, parseUnique, type HeaderValue } from './contract.js';
import { splitTopLevel, unquoteIdent } from './duckTypes.js';

const HEADER_LINE = /^\s*--\s*@([A-Za-z_][\w-]*)\s*(.*?)\s*$/;
const MATERIALIZE: readonly Materialize[] = ['table', 'view', 'delta'];
const KEYS = ['materialize', 'output', 'priority', 'tags', 'description', 'volatile', 'contract', 'unique', 'key'] as const;
/** Options that may be given on several lines, each adding to the last. */
const REPEATABLE: readonly string[] = ['contract', 'unique'];

export interface ParsedHeader {
  options: TaskOptions;
  sql: string;
  sqlLine: number;
}

/**
 * Header options are the leading `-- @key value` lines; blank lines and plain comments may sit
 * between them. The header ends at the first line that is neither.
 */
export function parseHeader(text: string, taskName: string, file: string): ParsedHeader {
  return parseHeaderWith(text, taskName, file, (e) => {
    throw e;
  });
}

/**
 * Like parseHeader, but a bad option is reported to `onError` and replaced by its default, so a
 * task file with a broken header still has a name, an output and a body (the catalog keeps such a
 * task in the graph, failed, so that its output and its consumers' are not dropped).
 */
export function parseHeaderLenient(text: string, taskName: string, file: string): ParsedHeader & { errors: RelspecError[] } {
  const errors: RelspecError[] = [];
  return { ...parseHeaderWith(text, taskName, file, (e) => void errors.push(e)), errors };
}

function parseHeaderWith(text: string, taskName: string, file: string, fail: (e: RelspecError) => void): ParsedHeader {
  const lines = text.split(/\r?\n/);
  const raw = new Map<string, HeaderValue>();
  const repeated = new Map<string, HeaderValue[]>(REPEATABLE.map((k) => [k, []]));
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const m = HEADER_LINE.exec(line);
    if (m) {
      const key = m[1]!;
      if (!(KEYS as readonly string[]).includes(key)) {
        fail(
          new RelspecError('E_TASK', `unknown header option '@${key}' on line ${i + 1}`, {
            file,
            fix: `use one of ${KEYS.map((k) => '@' + k).join(', ')}`,
          }),
        );
        continue;
      }
      if (repeated.has(key)) {
        repeated.get(key)!.push({ value: m[2]!, line: i + 1 });
        continue;
      }
      if (raw.has(key)) {
        fail(
          new RelspecError('E_TASK', `header option '@${key}' given twice (line ${raw.get(key)!.line} and ${i + 1})`, {
            file,
            fix: 'keep one',
          }),
        );
        continue;
      }
      raw.set(key, { value: m[2]!, line: i + 1 });
      continue;
    }
    if (/^\s*$/.test(line) || /^\s*--/.test(line)) continue;
    break;
  }
  // Keep the body's line numbers: blank out the header instead of cutting it off.
  const sql = lines.map((l, j) => (j < i && HEADER_LINE.test(l) ? '' : l)).join('\n');

  const opt = (k: string) => raw.get(k);
  let materialize = (opt('materialize')?.value ?? 'table') as Materialize;
  if (!MATERIALIZE.includes(materialize)) {
    fail(
      new RelspecError('E_TASK', `bad @materialize '${materialize}' on line ${opt('materialize')!.line}`, {
        file,
        fix: `use one of ${MATERIALIZE.join(', ')}`,
      }),
    );
    materialize = 'table';
  }
  let output = datasetName(opt('output')?.value || taskName);
  if (!isDatasetName(output)) {
    const rule = 'a name is NAME or SCHEMA.NAME, each part letters (any script), digits, _, $ and -, starting with a letter or _';
    fail(
      new RelspecError('E_TASK', `bad output name '${output}'${opt('output') ? '' : ' (from the file path)'}`, {
        file,
        fix: opt('output')
          ? rule
          : datasetNameProblem(output) === 'depth'
            ? 'nest task files at most one directory deep (the directory is the schema), or set `-- @output NAME`'
            : `${rule}: rename the file (e.g. ${(file.split(/[\\/]/).pop() ?? '').replace(/\.sql$/i, '').replace(/[^\p{L}\p{M}\p{N}_$-]+/gu, '_')}.sql), or set \`-- @output NAME\``,
      }),
    );
    output = datasetName(taskName);
  }
  const pr = opt('priority');
  let priority = pr ? Number(pr.value) : 100;
  if (!Number.isInteger(priority)) {
    fail(
      new RelspecError('E_TASK', `bad @priority '${pr!.value}' on line ${pr!.line}`, {
        file,
        fix: 'use an integer; lower runs first among ready tasks',
      }),
    );
    priority = 100;
  }
  const tags = (opt('tags')?.value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .sort();
  const vol = opt('volatile');
  if (vol && vol.value !== '' && vol.value !== 'true') {
    fail(
      new RelspecError('E_TASK', `bad @volatile '${vol.value}' on line ${vol.line}`, {
        file,
        fix: 'write `-- @volatile` alone: it takes no value',
      }),
    );
  }
  const contract = parseContract(repeated.get('contract')!, file, fail);
  const unique = parseUnique(repeated.get('unique')!, contract, file, fail);
  const key = parseKey(opt('key'), file, fail);
  return {
    options: Object.freeze({
      materialize,
      output,
      priority,
      tags: Object.freeze(tags),
      description: opt('description')?.value,
      volatile: vol !== undefined,
      ...(contract ? { contract } : {}),
      ...(unique ? { unique: Object.freeze(unique) } : {}),
      ...(key ? { key: Object.freeze(key) } : {}),
    }),
    sql,
    sqlLine: i + 1,
  };
}

/**
 * `-- @key col[, col]`: the key the task is refreshed by (lineage/keys.ts proves it). A bad key is
 * reported and dropped: the task then runs in full, which is always correct.
 */
function parseKey(h: HeaderValue | undefined, file: string, fail: (e: RelspecError) => void): string[] | undefined {
  if (!h) return undefined;
  const parts = h.value === '' ? [] : splitTopLevel(h.value);
  const cols = parts.map(unquoteIdent);
  const dup = cols.find((c, i) => cols.findIndex((d) => d.toLowerCase() === c.toLowerCase()) !== i);
  // An unquoted name with a space is two words missing a comma (`@key a b`), not a column.
  const bad = parts.some((p, i) => cols[i] === '' || (p === cols[i] && /\s|"/.test(p)));
  if (cols.length === 0 || bad || dup !== undefined) {
    const why = dup !== undefined ? ` (${dup} twice)` : '';
    fail(new RelspecError('E_TASK', `bad @key '${h.value}' on line ${h.line}${why}`, { file, fix: 'write `-- @key col[, col]`' }));
    return undefined;
  }
  return cols;
}
