/**
 * A small code base for the extractor and CPG tests: functions, a class with a constructor
 * parameter property and a method, a used and an unused export, a call to a function outside the
 * code base (`console.log`), a call the checker finds no declaration of (`.run()` on `any`), an
 * import cycle (shapes.ts ⇄ registry.ts) and re-exports (index.ts).
 * Every expected fact in the tests was checked by hand against these lines.
 */
export const FIXTURE: Record<string, string> = {
  'src/math.ts': [
    'export function add(a: number, b: number): number {',
    '  return a + b;',
    '}',
    '',
    'export function unusedHelper(): number {',
    '  return 0;',
    '}',
    '',
  ].join('\n'),
  'src/registry.ts': ["import type { Circle } from './shapes.js';", '', 'export const registry: Circle[] = [];', ''].join('\n'),
  'src/shapes.ts': [
    "import { add } from './math.js';",
    "import { registry } from './registry.js';",
    '',
    'export class Circle {',
    '  constructor(private r: number) {}',
    '  area(): number {',
    '    return add(this.r, this.r) * 3;',
    '  }',
    '}',
    '',
    'export function describe(c: Circle): string {',
    '  registry.push(c);',
    '  return String(c.area());',
    '}',
    '',
  ].join('\n'),
  'src/index.ts': [
    "export { add } from './math.js';",
    "export * from './shapes.js';",
    "import { describe, Circle } from './shapes.js';",
    '',
    'function main(): void {',
    '  console.log(describe(new Circle(2)));',
    '}',
    '',
    'main();',
    "JSON.parse('{}').run();",
    '',
  ].join('\n'),
};

/**
 * Reference sites that are not plain identifier uses (src/code/referenceSites.ts): object-literal
 * keys contextually typed by an interface (identifier, shorthand, string, method), destructured
 * names (declaration, parameter, assignment), aliases on both sides, `export * as ns`, module
 * specifiers (import, re-export, `import()` call and type) and an indexed access type.
 */
export const REFERENCE_SITES: Record<string, string> = {
  'src/types.ts': [
    'export interface Options {',
    '  name: string;',
    '  retries: number;',
    "  'log-level': string;",
    '  run(): void;',
    '}',
    "export type Level = Options['log-level'];",
    '',
  ].join('\n'),
  'src/use.ts': [
    "import { type Options as Opts } from './types.js';",
    '',
    "const name = 'x';",
    "export const opts: Opts = { name, retries: 1, 'log-level': 'info', run() {} };",
    'export function read(o: Opts): number {',
    '  const { retries, name: n } = o;',
    '  let r = 0;',
    '  ({ retries: r } = o);',
    '  return retries + n.length + r;',
    '}',
    'export const first = ({ name }: Opts): string => name;',
    "const loose = { name: 'z' };",
    "export type Lazy = import('./types.js').Options;",
    "export const load = () => import('./types.js');",
    'export { read as readOptions, loose };',
    "export * as all from './types.js';",
    '',
  ].join('\n'),
};
