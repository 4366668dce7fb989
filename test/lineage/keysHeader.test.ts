import { describe, expect, it } from 'vitest';
import { parseHeader } from '../../src/catalog/index.js';
import { parseHeaderLenient } from '../../src/catalog/header.js';

const header = (lines: string[]) => parseHeader([...lines, 'select 1 as path'].join('\n'), 't', '/p/tasks/t.sql');
const errorsOf = (lines: string[]) =>
  parseHeaderLenient([...lines, 'select 1 as path'].join('\n'), 't', '/p/tasks/t.sql').errors.map((e) => e.oneLine());

describe('-- @key', () => {
  it('parses one column or several, quoted names unquoted', () => {
    expect(header(['-- @key path']).options.key).toEqual(['path']);
    expect(header(['-- @key path, "Odd Col"']).options.key).toEqual(['path', 'Odd Col']);
    expect('key' in header(['-- @tags x']).options).toBe(false);
  });

  it('reports a malformed key as the other header options do, and drops it', () => {
    expect(errorsOf(['-- @key', '-- @key path'])).toEqual([
      "E_TASK /p/tasks/t.sql: header option '@key' given twice (line 1 and 2) — keep one",
      "E_TASK /p/tasks/t.sql: bad @key '' on line 1 — write `-- @key col[, col]`",
    ]);
    expect(errorsOf(['-- @key'])).toEqual(["E_TASK /p/tasks/t.sql: bad @key '' on line 1 — write `-- @key col[, col]`"]);
    expect(errorsOf(['-- @key path,'])).toEqual(["E_TASK /p/tasks/t.sql: bad @key 'path,' on line 1 — write `-- @key col[, col]`"]);
    expect(errorsOf(['-- @key path sym'])).toEqual(["E_TASK /p/tasks/t.sql: bad @key 'path sym' on line 1 — write `-- @key col[, col]`"]);
    expect(errorsOf(['-- @key path, PATH'])).toEqual([
      "E_TASK /p/tasks/t.sql: bad @key 'path, PATH' on line 1 (PATH twice) — write `-- @key col[, col]`",
    ]);
    expect('key' in parseHeaderLenient('-- @key a,,b\nselect 1', 't', '/p/t.sql').options).toBe(false);
  });
});
