import { afterAll, describe, expect, it } from 'vitest';
import { CodeFactExtractor } from '../../src/code/index.js';
import { createTempTree } from '../helpers/tempTree.js';
import { REFERENCE_SITES } from './fixture.js';

/**
 * The reference sites of src/code/referenceSites.ts (and the aliases in occurrences.ts) on
 * REFERENCE_SITES (./fixture.ts): every row at a new kind of site — symbol id, role, span —
 * checked by hand against the fixture's lines.
 */
const tree = createTempTree(REFERENCE_SITES, { prefix: 'relspec-sites-' });
afterAll(() => tree.dispose());

const ex = new CodeFactExtractor(tree.root);
const f = ex.extractAll(Object.keys(REFERENCE_SITES).sort());
ex.dispose();
const rows = (path: string, line: number) =>
  f.references
    .filter((r) => r.path === path && r.start_line === line)
    .map(
      (r) => `${r.start_col}-${r.end_line === line ? '' : `${r.end_line}:`}${r.end_col} ${r.name} ${r.role} → ${r.symbol ?? 'unresolved'}`,
    );

const T = 'src/types.ts';
const U = 'src/use.ts';

describe('reference sites beyond identifier uses', () => {
  it('object-literal keys contextually typed by an interface: a write of its property (identifier, shorthand, string, method)', () => {
    // `opts` is tracked, so its keys also declare `opts.retries`, …; the shorthand `name` reads the variable too.
    expect(rows(U, 4)).toEqual([
      '20-24 Opts type → src/types.ts#interface:Options',
      '29-33 name read → src/use.ts#variable:name',
      '29-33 name write → src/types.ts#property:Options.name',
      '35-42 retries write → src/types.ts#property:Options.retries',
      '47-58 log-level write → src/types.ts#property:Options.log-level',
      '68-71 run write → src/types.ts#method:Options.run',
    ]);
    // No contextual type: the key only declares the literal's own property.
    expect(rows(U, 12)).toEqual([]);
  });

  it('destructured names: a read of the property, in declarations, parameters and assignments', () => {
    expect(rows(U, 6)).toEqual([
      '11-18 retries read → src/types.ts#property:Options.retries',
      '20-24 name read → src/types.ts#property:Options.name',
      '32-33 o read → src/use.ts#parameter:read.o',
    ]);
    expect(rows(U, 8)).toEqual([
      '6-13 retries read → src/types.ts#property:Options.retries',
      '15-16 r write → src/use.ts#variable:read.r',
      '21-22 o read → src/use.ts#parameter:read.o',
    ]);
    // The bound names are variables/parameters of their own; their uses resolve to those.
    expect(rows(U, 9).slice(0, 2)).toEqual([
      '10-17 retries read → src/use.ts#variable:read.retries',
      '20-21 n read → src/use.ts#variable:read.n',
    ]);
    expect(rows(U, 11)).toEqual([
      '25-29 name read → src/types.ts#property:Options.name',
      '33-37 Opts type → src/types.ts#interface:Options',
      '50-54 name read → src/use.ts#parameter:first.name',
    ]);
  });

  it('aliases: both names of `import { a as b }` and `export { a as b }`', () => {
    expect(rows(U, 1)).toEqual([
      '15-22 Options import → src/types.ts#interface:Options',
      '26-30 Opts import → src/types.ts#interface:Options',
      '38-50 ./types.js import → src/types.ts#module',
    ]);
    expect(rows(U, 15)).toEqual([
      '10-14 read export → src/use.ts#function:read',
      '18-29 readOptions export → src/use.ts#function:read',
      '31-36 loose export → src/use.ts#variable:loose',
    ]);
  });

  it('`export * as ns` and module specifiers (import, re-export, `import()` call and type): the module', () => {
    expect(rows(U, 16)).toEqual(['13-16 all export → src/types.ts#module', '22-34 ./types.js export → src/types.ts#module']);
    expect(rows(U, 13)).toEqual(['27-39 ./types.js import → src/types.ts#module', '41-48 Options type → src/types.ts#interface:Options']);
    expect(rows(U, 14)).toEqual(['34-46 ./types.js import → src/types.ts#module']);
  });

  it('a string literal in an indexed access type: a type reference to the property', () => {
    expect(rows(T, 7)).toEqual([
      '21-28 Options type → src/types.ts#interface:Options',
      '29-40 log-level type → src/types.ts#property:Options.log-level',
    ]);
  });

  it('nothing else in the declarations file is a reference', () => {
    expect(f.references.filter((r) => r.path === T && r.start_line !== 7)).toEqual([]);
  });
});
