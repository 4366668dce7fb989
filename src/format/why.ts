import path from 'node:path';
import { displayToken } from '../engine/tokens.js';
import { whyCaveatLines } from '../incremental/caveatText.js';
import type { CutoffInput, ExplainedCause, Explanation, StoredRootChange, WhyResult } from '../incremental/why.js';
import { notRunText, reasonText } from './reasons.js';
import { refreshText } from './refresh.js';

/** `relspec why` as text: root changes in words and explanations as an indented tree. */

/** A change token for people (`10 rows #a1b2c3d4`); `(none)` before the first build. */
export const shortToken = (t: string | null | undefined): string => (t === null || t === undefined ? '(none)' : displayToken(t));

/** `old → new`, shortened unless shortening would make two different tokens look alike. */
export const tokenChange = (from: string | null | undefined, to: string | null | undefined): string => {
  const a = shortToken(from);
  const b = shortToken(to);
  return a === b && from !== to ? `${from ?? '(none)'} → ${to ?? '(none)'}` : `${a} → ${b}`;
};

const cols = (c: readonly string[] | undefined) => (c && c.length > 0 ? c.join(', ') : 'row count');

export function describeRoot(c: StoredRootChange, root: string): string {
  const rel = (p: string) => {
    const r = path.relative(root, p);
    return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r;
  };
  switch (c.kind) {
    case 'source_changed': {
      const parts: string[] = [];
      const list = (label: string, files: string[]) => {
        if (files.length === 0) return;
        const shown = files.slice(0, 5).map(rel);
        parts.push(`${label} ${shown.join(', ')}${files.length > shown.length ? ` and ${files.length - shown.length} more` : ''}`);
      };
      list('added', c.files.added);
      list('removed', c.files.removed);
      list('modified', c.files.modified);
      return `source ${c.source} changed: version ${c.fromVersion} → ${c.toVersion}${parts.length ? ` (${parts.join('; ')})` : ''}`;
    }
    case 'source_added':
      return `source ${c.source} added: version ${c.toVersion} (${rel(c.path)})`;
    case 'task_added':
      return `task ${c.task} added (${rel(c.file)})`;
    case 'task_edited':
      return `task ${c.task} edited (${rel(c.file)})`;
    case 'task_removed':
      return `task ${c.task} removed (${rel(c.file)})`;
    case 'config_edited':
      return `config edited (${rel(c.file)})`;
    case 'engine_changed':
      return `engine changed ${c.from} → ${c.to}`;
    case 'delta_commits': {
      const n = c.commits.length;
      const ops = [...new Set(c.commits.map((x) => x.operation ?? 'commit'))].join(', ');
      const sum = (k: keyof (typeof c.commits)[number]['counts']) => c.commits.reduce((a, x) => a + x.counts[k], 0);
      const rows = `${sum('insert')} inserted, ${sum('delete')} deleted, ${sum('update_preimage')} updated`;
      const fallback = c.fallback ? `; full scan instead of change rows: ${c.fallback}` : '';
      if (c.rewritten?.length) {
        // A commit completed after it was read: name it first, it is what the user must know.
        const files = c.rewritten
          .map(
            (r) =>
              `commit ${r.version} (${rel(path.join(c.path, '_delta_log', r.name))}: ${r.from.size} → ${r.to.size} bytes, ${r.from.hash.slice(0, 8)} → ${r.to.hash.slice(0, 8)})`,
          )
          .join(', ');
        return `source ${c.source} changed: ${files} rewritten after it was read; Delta version ${c.fromVersion} → ${c.toVersion}, snapshot scanned in full`;
      }
      return `source ${c.source} changed: Delta version ${c.fromVersion} → ${c.toVersion} (${n} commit${n === 1 ? '' : 's'}: ${ops}; ${rows}${fallback})${commitFilesText(c.commits)}`;
    }
    case 'rescan':
      return `rescan: ${c.reason}`;
    default: {
      // A kind newer than this renderer: still name it.
      const x = c as { kind: string; id: string };
      return `${x.kind} ${x.id}`;
    }
  }
}

/** ` — files modified src/x.ts; dependent src/y.ts` when the commits name the files behind them (code sources). */
function commitFilesText(
  commits: readonly { files?: { added: string[]; removed: string[]; modified: string[]; dependent: string[] } }[],
): string {
  const by = { modified: new Set<string>(), added: new Set<string>(), removed: new Set<string>(), dependent: new Set<string>() };
  let any = false;
  for (const c of commits) {
    if (!c.files) continue;
    any = true;
    for (const k of ['modified', 'added', 'removed', 'dependent'] as const) for (const p of c.files[k]) by[k].add(p);
  }
  if (!any) return '';
  const parts: string[] = [];
  for (const k of ['modified', 'added', 'removed', 'dependent'] as const) {
    const list = [...by[k]].sort();
    if (list.length === 0) continue;
    const shown = list.slice(0, 5);
    parts.push(
      `${k === 'dependent' ? 're-resolved' : k} ${shown.join(', ')}${list.length > shown.length ? ` and ${list.length - shown.length} more` : ''}`,
    );
  }
  return parts.length > 0 ? ` — files ${parts.join('; ')}` : '';
}

/** Renders explanations as an indented tree (two spaces a level, `←` where a cause leads back). */
export class WhyRenderer {
  readonly lines: string[] = [];
  constructor(private readonly root: string) {}

  private rel(p: string): string {
    const r = path.relative(this.root, p);
    return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r;
  }

  private push(indent: number, s: string): void {
    this.lines.push(' '.repeat(indent) + s);
  }

  headline(e: Explanation, top: boolean): string {
    const who = top && e.target !== e.task ? `${e.target} (produced by ${e.task})` : e.task;
    const last = 'lastBuiltRun' in e ? e.lastBuiltRun : null;
    const since = last != null ? `up to date since run ${last} (its last build)` : 'never built';
    if (e.elided) {
      const what = { repeated: 'explained above', cycle: 'cycle — stopping here', depth: 'chain too deep — stopping here' }[e.elided];
      return `${who} (${e.status} in run ${e.runId}): ${what}`;
    }
    switch (e.status) {
      case 'built':
        return `${who} was built in run ${e.runId} because:`;
      case 'failed':
        return `${who} failed in run ${e.runId}: ${e.error ?? (e.reason ? reasonText(e.reason) : 'unknown error')}${e.causes.length ? ' — it was being rebuilt because:' : ''}`;
      case 'blocked':
        return `${who} was blocked in run ${e.runId}: ${reasonText(e.reason)}`;
      case 'skipped': {
        const at = e.cutoff.filter((c) => c.root || c.upstream);
        if (at.length > 0) {
          return `${who} was not rebuilt in run ${e.runId}: cut off at input ${at.map((c) => `${c.input}(${cols(c.columns)})`).join(', ')} — its columns are unchanged; ${since}`;
        }
        return `${who} was not rebuilt in run ${e.runId}: ${since}`;
      }
      case 'unaffected':
        return `${who} was not rebuilt in run ${e.runId}: ${notRunText(e.reason)}`;
      case 'unknown':
        return `${who}: ${notRunText(e.reason)}`;
    }
  }

  explanation(e: Explanation, indent: number, top: boolean, arrow = ''): void {
    this.push(indent, arrow + this.headline(e, top));
    if (e.elided) return;
    for (const c of e.causes) this.cause(c, indent + 2);
    // A first build, a new task or an edited one is whole by nature: the causes above already say so.
    if (e.status === 'built' && e.refresh && !['first_build', 'cause'].includes(e.refresh.reason?.kind ?? '')) {
      this.push(indent + 2, refreshText(e.refresh));
    }
    if (e.status === 'skipped') for (const c of e.cutoff) this.cutoffInput(c, indent + 2);
    if (e.status === 'blocked') for (const b of e.blockedBy ?? []) this.explanation(b, indent + 2, false, '← ');
    if (e.pendingChanges?.length) this.push(indent + 2, `pending (observed, not yet verified): ${e.pendingChanges.join(', ')}`);
  }

  private cause(c: ExplainedCause, indent: number): void {
    switch (c.kind) {
      case 'input_changed':
        this.push(indent, `input ${c.input}(${cols(c.columns)}) changed ${tokenChange(c.from, c.to)}`);
        if (c.upstream) this.explanation(c.upstream, indent + 2, false, '← ');
        break;
      case 'plan_changed':
        this.push(indent, `plan changed ${c.from?.slice(0, 12)} → ${c.to?.slice(0, 12)}`);
        break;
      case 'new':
        this.push(indent, 'new task');
        break;
      case 'previous_failure':
        this.push(indent, `it failed in run ${c.runId}${c.error ? `: ${c.error}` : ''}`);
        break;
      case 'output_missing':
        this.push(indent, 'its output was missing');
        break;
      case 'engine_changed':
        this.push(indent, `engine changed ${c.from} → ${c.to}`);
        break;
      case 'forced':
        this.push(indent, 'forced (--full-refresh)');
        break;
      case 'file_changed': {
        const p = c.path ?? '';
        const shown = p.startsWith('glob:') ? `listing of glob ${this.rel(p.slice(5))}` : `file ${this.rel(p)}`;
        const what =
          c.to === 'missing'
            ? 'is missing'
            : c.from == null
              ? 'is read for the first time'
              : c.to == null
                ? 'is no longer read'
                : `changed ${c.from.slice(0, 8)} → ${c.to.slice(0, 8)}`;
        this.push(indent, `${shown} ${what}`);
        break;
      }
      case 'volatile':
        this.push(indent, 'volatile: -- @volatile rebuilds it on every run');
        break;
    }
    if (c.root) this.push(indent + 2, `← ${describeRoot(c.root, this.root)}`);
    else if (c.rootId) this.push(indent + 2, `← root change ${c.rootId} (not recorded)`);
    if (c.kind === 'plan_changed') {
      if (c.diff) for (const l of c.diff.split('\n')) this.push(indent + 4, l);
      else if (c.headerOnly) this.push(indent + 4, '(the SQL is unchanged: the edit is in the header, e.g. -- @contract or -- @unique)');
      else this.push(indent + 4, '(no diff: the previous SQL was not recorded)');
    }
  }

  private cutoffInput(c: CutoffInput, indent: number): void {
    this.push(indent, `input ${c.input}(${cols(c.columns)}) unchanged${c.token ? ` ${shortToken(c.token)}` : ''}`);
    if (c.root) this.push(indent + 2, `← ${describeRoot(c.root, this.root)}`);
    if (c.upstream) this.explanation(c.upstream, indent + 2, false, '← ');
  }
}

/** `relspec why NAME` as lines: what the CLI prints and the page shows. */
export function whyLines(res: WhyResult, name: string, root: string): string[] {
  const r = new WhyRenderer(root);
  if (res.explanations.length > 1) r.lines.push(`output ${name} has ${res.tasks.length} producers: ${res.tasks.join(', ')}`);
  res.explanations.forEach((e, i) => {
    if (i > 0 || res.explanations.length > 1) r.lines.push('');
    r.explanation(e, 0, true);
    if (e.caveats) for (const l of whyCaveatLines(e.caveats)) r.lines.push(`  ${l}`);
    if (e.status !== 'built' && !e.elided && e.lastBuiltRun != null) {
      r.lines.push(`(\`relspec why ${e.task} --run ${e.lastBuiltRun}\` explains that build)`);
    }
  });
  return r.lines;
}
