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
