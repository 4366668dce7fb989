/**
 * Save-to-fresh latency of the embedded default: `relspec watch` keeping the code property graph of
 * relspec's own src/ fresh. A copy of src/ (with tsconfig.json, and node_modules linked so types
 * resolve as in the repository) is watched with examples/cpg/tasks; each edit rewrites one file the
 * way an editor save does, and the latency is from the write until the daemon logs the end of the
 * run that made every task fresh.
 *
 * Edits cycle over a leaf module, a mid-level one and `errors.ts` (imported by most of src/): a
 * body edit that keeps every span (`body`), a line inserted at the top so every span below moves
 * (`line`), and for errors.ts a new export (`api`), which changes what its ~40 importers could
 * resolve to, so they are re-extracted too.
 *
 *   node --import tsx bench/cpg.ts [--edits N]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnWatch } from './daemon.js';
import type { Row } from './report.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!;

interface Edit {
  file: string;
  kind: 'body' | 'line' | 'api';
  apply: (text: string, i: number) => string;
}

const body = (file: string): Edit => ({
  file,
  kind: 'body',
  // A comment at the end of the first line: the content (sha, size) changes, no span moves.
  apply: (t, i) => t.replace(/^([^\n]*?)( \/\/ bench edit \d+)?\n/, `$1 // bench edit ${i}\n`),
});
const line = (file: string): Edit => ({
  file,
  kind: 'line',
  // A line inserted at the top (or removed again): every symbol, reference and call below moves.
  apply: (t) => (t.startsWith('// bench line\n') ? t.slice('// bench line\n'.length) : `// bench line\n${t}`),
});
const api = (file: string): Edit => ({
  file,
  kind: 'api',
  // A new export (or its removal): the file's surface changes, so its importers are re-resolved.
  apply: (t) =>
    t.includes('export const benchApi = 1;\n') ? t.replace('export const benchApi = 1;\n', '') : `${t}export const benchApi = 1;\n`,
});

export async function benchCpgWatch(log: (s: string) => void, edits = 21): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-cpg-'));
  cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  cpSync(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'watch.config.ts'),
    `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: ${JSON.stringify(path.join(ROOT, 'examples/cpg/tasks'))}, state: 'state' };\n`,
  );
  const plan: Edit[] = [
    body('src/graph/select.ts'),
    line('src/graph/select.ts'),
    body('src/incremental/observe.ts'),
    line('src/incremental/observe.ts'),
    body('src/errors.ts'),
    line('src/errors.ts'),
    api('src/errors.ts'),
  ];
  const d = spawnWatch(dir);
  const next = d.next;
  try {
    const t0 = performance.now();
    await next((e) => String(e.message ?? '').startsWith('watching'), 300_000);
    const startMs = performance.now() - t0;
    log(`  cpg watch: start-up (extract src/, build the CPG) ${(startMs / 1000).toFixed(1)} s`);
    const all: number[] = [];
    const byKind = new Map<string, number[]>();
    for (let i = 0; i < edits; i++) {
      const edit = plan[i % plan.length]!;
      const file = path.join(dir, edit.file);
      const finished = next((e) => e.tag === 'run' && e.event === 'finished');
      const w0 = performance.now();
      writeFileSync(file, edit.apply(readFileSync(file, 'utf8'), i));
      const { e, at } = await finished;
      const ms = at - w0;
      all.push(ms);
      const key = `${edit.file} (${edit.kind})`;
      byKind.set(key, [...(byKind.get(key) ?? []), ms]);
      log(`  edit ${i + 1}: ${key}: ${ms.toFixed(0)} ms — ${String(e.message ?? '')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const rows: Row[] = [
      { metric: 'cpg watch: start-up, extract src/ and build the CPG (cold)', value: startMs, unit: 'ms' },
      {
        metric: `cpg watch: save → fresh CPG of src/, p50 over ${edits} edits (debounce 100 ms)`,
        value: pct(all, 0.5),
        unit: 'ms',
        goal: '< 1 s',
        ok: pct(all, 0.5) < 1000,
      },
      { metric: 'cpg watch: save → fresh, max', value: Math.max(...all), unit: 'ms' },
    ];
    for (const [k, xs] of byKind) rows.push({ metric: `cpg watch: save → fresh, ${k}, median`, value: pct(xs, 0.5), unit: 'ms' });
    return rows;
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--edits');
  const rows = await benchCpgWatch((s) => process.stderr.write(s + '\n'), i > 0 ? Number(process.argv[i + 1]) : 21);
  for (const r of rows)
    process.stdout.write(`${r.metric}: ${r.value.toFixed(0)} ${r.unit}${r.goal ? ` (goal ${r.goal}: ${r.ok ? 'met' : 'NOT met'})` : ''}\n`);
}
