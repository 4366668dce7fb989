import type { CodeSyncResult } from './sync.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const list = (xs: readonly string[], n = 3): string => `${xs.slice(0, n).join(', ')}${xs.length > n ? ` and ${xs.length - n} more` : ''}`;

/**
 * One line per code source after a run: what the tables hold, and what this run's observe step
 * extracted and committed — `source code: 99 files, 5921 symbols, … — modified src/x.ts; re-extracted 2
 * files in 0.06s; committed files@3, symbols@3`.
 */
export function describeCodeSync(c: CodeSyncResult): string {
  const r = c.rows;
  const holds = `${plural(r.files, 'file')}, ${plural(r.symbols, 'symbol')}, ${plural(r.references, 'reference')}, ${plural(r.calls, 'call')}, ${plural(r.imports, 'import')}`;
  const what: string[] = [];
  if (c.modified.length) what.push(`modified ${list(c.modified)}`);
  if (c.added.length)
    what.push(`added ${c.mode === 'full' && c.added.length === c.files ? plural(c.added.length, 'file') : list(c.added)}`);
  if (c.removed.length) what.push(`removed ${list(c.removed)}`);
  let tail: string;
  if (c.mode === 'noop') tail = 'unchanged';
  else {
    const secs = `${(c.ms / 1000).toFixed(2)}s`;
    const commits =
      c.commits.length > 0
        ? `committed ${c.commits.map((x) => `${x.table}@${x.version}`).join(', ')}`
        : 'no fact changed: nothing committed';
    tail = `${what.length ? `${what.join('; ')}; ` : ''}${c.mode === 'full' ? 'extracted' : 're-extracted'} ${plural(c.extracted, 'file')} in ${secs}; ${commits}`;
  }
  const failed = c.failures.length > 0 ? `; could not analyze ${list(c.failures.map((f) => f.path))}` : '';
  return `source ${c.source}: ${holds} — ${tail}${failed}`;
}
