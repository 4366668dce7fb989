/**
 * What every command shares, kept free of heavy imports: `relspec status` must not load DuckDB or
 * TypeScript just to print (the project loader is in src/project/open.ts).
 */
export interface GlobalOptions {
  config?: string;
}

export const print = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
