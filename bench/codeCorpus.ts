/**
 * Issue 14 item 6 on ../shared/code-corpus/vitest: cold extraction (time, peak RSS, lines per
 * second, MB per 10k lines — so growth with size is visible), `relspec watch` save → fresh CPG for
 * a body edit and for a new export in the file most others import, and a one-shot `relspec run`
 * after a one-file body edit (a new process: the nightly path). Rows skip where the corpus is absent.
 *
 *   node --import tsx bench/codeCorpus.ts [--edits N]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CORPUS, corpusFiles, corpusPresent } from '../test/code/corpus.js';
import { spawnWatch } from './daemon.js';
import type { Row } from './report.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'bin/relspec.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Extraction alone in a fresh process, so its peak RSS is the extractor's. */
function coldExtraction(): { ms: number; rssMb: number } {
  const script = `
    import { CodeFactExtractor } from ${JSON.stringify(path.join(ROOT, 'src/code/index.ts'))};
    import { corpusFiles } from ${JSON.stringify(path.join(ROOT, 'test/code/corpus.ts'))};
    const t = performance.now();
    const ex = new CodeFactExtractor(${JSON.stringify(CORPUS)});
    ex.extractAll(corpusFiles(${JSON.stringify(CORPUS)}));
    const ms = performance.now() - t;
    console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cold extraction failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; rssMb: number };
}

/** The corpus file imported by the most others (by relative specifier), with its importer count. */
function mostImported(dir: string, files: string[]): { file: string; importers: number } {
  const counts = new Map<string, number>();
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = path.posix.join(path.posix.dirname(f), m[1]!.replace(/\.(js|ts)$/, ''));
      const target = [`${base}.ts`, `${base}/index.ts`].find((c) => files.includes(c));
      if (target) counts.set(target, (counts.get(target) ?? 0) + 1);
    }
  }
  const [file, importers] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  return { file, importers };
}

const bodyEdit = (t: string, i: number) => t.replace(/^([^\n]*?)( \/\/ bench edit \d+)?\n/, `$1 // bench edit ${i}\n`);
const apiEdit = (t: string) =>
  t.includes('export const benchApi = 1\n') ? t.replace('export const benchApi = 1\n', '') : `${t}export const benchApi = 1\n`;

export async function benchCodeCorpus(log: (s: string) => void, edits = 11): Promise<Row[]> {
  if (!corpusPresent) {
    log('  skipped: no ../shared/code-corpus/vitest');
    return [];
  }
  const files = corpusFiles(CORPUS);
  const lines = files.reduce((n, f) => n + readFileSync(path.join(CORPUS, f), 'utf8').split('\n').length, 0);
  const cold = coldExtraction();
  log(`  cold extraction: ${files.length} files, ${lines} lines in ${(cold.ms / 1000).toFixed(1)} s, peak RSS ${cold.rssMb.toFixed(0)} MB`);
  const rows: Row[] = [
    {
      metric: 'code corpus (vitest): cold extraction',
      value: cold.ms,
      unit: 'ms',
      goal: '≤ 6 s',
      ok: cold.ms <= 6000,
      anchor: `${files.length} files, ${lines} lines`,
    },
    { metric: 'code corpus: cold extraction, peak RSS', value: cold.rssMb, unit: 'MB', goal: '≤ 400 MB', ok: cold.rssMb <= 400 },
    { metric: 'code corpus: cold extraction, lines per second', value: lines / (cold.ms / 1000), unit: 'lines/s' },
    { metric: 'code corpus: cold extraction, MB of peak RSS per 10k lines', value: cold.rssMb / (lines / 10_000), unit: 'MB' },
  ];

  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-corpus-'));
  try {
    cpSync(CORPUS, dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'watch.config.ts'),
      `export default { sources: { code: { format: 'code', path: 'packages/*/src/**/*.ts' } }, tasks: ${JSON.stringify(path.join(ROOT, 'examples/cpg/tasks'))}, state: 'state' };\n`,
    );
    const hub = mostImported(dir, files);
    const leaf = files.find((f) => f.endsWith('/utils.ts') && f !== hub.file) ?? files[0]!;
    log(`  body edits in ${leaf}; new export in ${hub.file} (imported by ${hub.importers} files)`);
    const d = spawnWatch(dir);
    const body: number[] = [];
    const api: number[] = [];
    try {
      const t0 = performance.now();
      await d.next((e) => String(e.message ?? '').startsWith('watching'), 600_000);
      rows.push({ metric: 'code corpus: relspec watch start-up (extract, build the CPG)', value: performance.now() - t0, unit: 'ms' });
      for (let i = 0; i < edits; i++) {
        for (const [file, apply, into] of [
          [leaf, (t: string) => bodyEdit(t, i), body],
          [hub.file, apiEdit, api],
        ] as const) {
          if (into === api && i % 3 !== 0) continue; // fewer of the slow kind
          const p = path.join(dir, file);
          const finished = d.next((e) => e.tag === 'run' && e.event === 'finished', 120_000);
          const w0 = performance.now();
          writeFileSync(p, apply(readFileSync(p, 'utf8')));
          const { e, at } = await finished;
          into.push(at - w0);
          log(`  ${into === body ? 'body' : 'export'} edit ${i + 1}: ${(at - w0).toFixed(0)} ms — ${String(e.message ?? '')}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    } finally {
      await d.stop();
    }
    const bodyMs = median(body);
    const apiMs = median(api);
    rows.push(
      {
        metric: `code corpus: watch, body edit → fresh CPG, p50 of ${body.length}`,
        value: bodyMs,
        unit: 'ms',
        goal: '≤ 300 ms',
        ok: bodyMs <= 300,
      },
      {
        metric: `code corpus: watch, new export in a file ${hub.importers} others import → fresh, median of ${api.length}`,
        value: apiMs,
        unit: 'ms',
        goal: '≤ 1.5 s',
        ok: apiMs <= 1500,
      },
    );
    const oneShot: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = path.join(dir, leaf);
      writeFileSync(p, bodyEdit(readFileSync(p, 'utf8'), 100 + i));
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'run'], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`relspec run failed: ${r.stderr}`);
      oneShot.push(performance.now() - t);
    }
    const oneMs = median(oneShot);
    log(`  one-shot relspec run after a body edit: ${oneShot.map((x) => x.toFixed(0)).join(', ')} ms`);
    rows.push({
      metric: 'code corpus: one-shot relspec run after a one-file body edit, median of 3',
      value: oneMs,
      unit: 'ms',
      goal: '≤ 1.5 s',
      ok: oneMs <= 1500,
    });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--edits');
  const rows = await benchCodeCorpus((s) => process.stderr.write(s + '\n'), i > 0 ? Number(process.argv[i + 1]) : 11);
  for (const r of rows)
    process.stdout.write(`${r.metric}: ${r.value.toFixed(0)} ${r.unit}${r.goal ? ` (goal ${r.goal}: ${r.ok ? 'met' : 'NOT met'})` : ''}\n`);
}
