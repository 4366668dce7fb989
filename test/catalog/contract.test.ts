import { describe, expect, it } from 'vitest';
import { parseHeader } from '../../src/catalog/index.js';
import { parseHeaderLenient } from '../../src/catalog/header.js';
import { normalizeType } from '../../src/catalog/duckTypes.js';
import { contractProblems } from '../../src/catalog/contractCheck.js';
import { withContractFingerprint } from '../../src/catalog/contract.js';
import { RelspecError } from '../../src/errors.js';

const header = (lines: string[]) => parseHeader([...lines, 'select 1 as id'].join('\n'), 't', '/p/tasks/t.sql');
const errorsOf = (lines: string[]) =>
  parseHeaderLenient([...lines, 'select 1 as id'].join('\n'), 't', '/p/tasks/t.sql').errors.map((e) => e.oneLine());

describe('-- @contract and -- @unique', () => {
  it('parses columns over several lines, normalizing type aliases, and unique keys', () => {
    const { options } = header([
      '-- @contract id INT NOT NULL, name text, amount numeric(10,2)',
      '-- @contract "Odd Col" varchar(20) not null, tags string[], meta STRUCT(a int, "b c" bool)',
      '-- @unique id',
      '-- @unique name, amount',
    ]);
    expect(options.contract).toEqual({
      columns: [
        { name: 'id', type: 'INTEGER', notNull: true },
        { name: 'name', type: 'VARCHAR', notNull: false },
        { name: 'amount', type: 'DECIMAL(10,2)', notNull: false },
        { name: 'Odd Col', type: 'VARCHAR', notNull: true },
        { name: 'tags', type: 'VARCHAR[]', notNull: false },
        { name: 'meta', type: 'STRUCT(a INTEGER, "b c" BOOLEAN)', notNull: false },
      ],
    });
    expect(options.unique).toEqual([['id'], ['name', 'amount']]);
  });

  it('leaves tasks without a contract as they were (no keys, same fingerprint)', () => {
    const { options } = header(['-- @materialize view']);
    expect('contract' in options).toBe(false);
    expect('unique' in options).toBe(false);
    expect(withContractFingerprint('abc', options)).toBe('abc');
    const withOne = header(['-- @contract id INTEGER']).options;
    const other = header(['-- @contract id BIGINT']).options;
    expect(withContractFingerprint('abc', withOne)).not.toBe('abc');
    expect(withContractFingerprint('abc', withOne)).not.toBe(withContractFingerprint('abc', other));
    // An alias is the same contract: not a plan change.
    expect(withContractFingerprint('abc', header(['-- @contract id int4']).options)).toBe(withContractFingerprint('abc', withOne));
  });

  it('normalizes DuckDB type spellings the way DESCRIBE prints them', () => {
    expect(normalizeType('int')).toBe('INTEGER');
    expect(normalizeType('Double Precision')).toBe('DOUBLE');
    expect(normalizeType('timestamptz')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(normalizeType('decimal')).toBe('DECIMAL(18,3)');
    expect(normalizeType('numeric(5)')).toBe('DECIMAL(5,0)');
    expect(normalizeType('bigint[][]')).toBe('BIGINT[][]');
    expect(normalizeType('MAP(text, int)')).toBe('MAP(VARCHAR, INTEGER)');
    expect(normalizeType('INTEGR')).toBeUndefined();
  });

  it('reports bad contracts as E_TASK with the line and a fix, and keeps the good columns', () => {
    expect(errorsOf(['-- @contract id INTEGR NOT NULL, name VARCHAR', '-- @contract name TEXT, broken', '-- @unique nme', '-- @unique ,']))
      .toMatchInlineSnapshot(`
      [
        "E_TASK /p/tasks/t.sql: @contract column id: unknown type 'INTEGR' on line 1 — use a DuckDB type name (INTEGER, BIGINT, VARCHAR, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, T[], STRUCT(…)); did you mean 'INTEGER', 'UINTEGER', 'INT'?",
        "E_TASK /p/tasks/t.sql: @contract declares column name twice (line 1 and 2) — keep one declaration per column",
        "E_TASK /p/tasks/t.sql: bad @contract column 'broken' on line 2 — write \`-- @contract col TYPE [NOT NULL], col2 TYPE, …\`",
        "E_TASK /p/tasks/t.sql: @unique on line 3 names nme, not declared in @contract — did you mean 'name'?",
        "E_TASK /p/tasks/t.sql: bad @unique ',' on line 4 — write \`-- @unique col[, col]\`",
      ]
    `);
    const lenient = parseHeaderLenient('-- @contract id INTEGR, name VARCHAR\nselect 1', 't', '/p/tasks/t.sql');
    expect(lenient.options.contract?.columns.map((c) => c.name)).toEqual(['name']);
  });

  it('throws the first error from the strict parser', () => {
    expect(() => header(['-- @contract id'])).toThrow(RelspecError);
    expect(() => header(['-- @contract id'])).toThrow(/bad @contract column 'id' on line 1/);
  });

  it('compares a schema with the contract: missing, other type, undeclared, unique key absent', () => {
    const { options } = header(['-- @contract id INTEGER NOT NULL, name VARCHAR, day DATE', '-- @unique id, day']);
    const contract = { columns: options.contract!.columns, unique: options.unique };
    expect(
      contractProblems({ contract }, [
        { name: 'ID', type: 'INTEGER' },
        { name: 'name', type: 'BIGINT' },
        { name: 'extra', type: 'DOUBLE' },
      ]),
    ).toEqual([
      { kind: 'type', column: 'name', expected: 'VARCHAR', actual: 'BIGINT' },
      { kind: 'missing', column: 'day', expected: 'DATE' },
      { kind: 'undeclared', column: 'extra', actual: 'DOUBLE' },
    ]);
    expect(contractProblems({ contract: { unique: [['k']] } }, [{ name: 'id', type: 'INTEGER' }])).toEqual([
      { kind: 'unique_missing', column: 'k' },
    ]);
  });
});
