import path from 'node:path';
import type { BuildCaveats, TaskWarning } from './caveats.js';
import type { TaskCaveat } from '../lineage/types.js';

/**
 * The one place caveats become text: `validate`, `run` and `status` print them as warnings
 * (`warning CODE file: message — fix`, like errors), `why` as a line under the task.
 */
export const caveatCode = (c: TaskCaveat): string => (c.kind === 'untracked_read' ? 'W_UNTRACKED_READ' : 'W_VOLATILE');

/** `current_date` and friends are keywords, written without parentheses. */
const KEYWORDS = new Set(['current_date', 'current_timestamp', 'current_time', 'localtime', 'localtimestamp']);
const fnList = (fns: readonly string[]) => fns.map((f) => (KEYWORDS.has(f) ? f : `${f}()`)).join(', ');

export function caveatMessage(task: string, c: TaskCaveat): { message: string; fix: string } {
  if (c.kind === 'untracked_read') {
    return {
      message: `task ${task} reads files through ${c.call}, whose path relspec cannot know before running it: it is untracked, and a change to those files is never seen`,
      fix: 'use a literal path or glob, or declare the files as a source; after changing them run `relspec run --full-refresh`',
    };
  }
  return c.rebuildEachRun
    ? {
        message: `task ${task} calls ${fnList(c.functions)}: rebuilt on every run (-- @volatile)`,
        fix: 'nothing to do; remove -- @volatile to keep the first result instead',
      }
    : {
        message: `task ${task} calls ${fnList(c.functions)}, whose result changes between runs: its output is kept as first built`,
        fix: 'add `-- @volatile` to its header to rebuild it every run, or accept the kept output',
      };
}

export function warningJson(w: TaskWarning): {
  code: string;
  task: string;
  file: string;
  message: string;
  fix: string;
  caveat: TaskCaveat;
} {
  return { code: caveatCode(w.caveat), task: w.task, file: w.file, ...caveatMessage(w.task, w.caveat), caveat: w.caveat };
}

export function warningLine(w: TaskWarning, root: string): string {
  const { message, fix } = caveatMessage(w.task, w.caveat);
  const rel = path.relative(root, w.file);
  return `warning ${caveatCode(w.caveat)} ${rel.startsWith('..') ? w.file : rel}: ${message} — ${fix}`;
}

/** The STATE column of `status` for a task that would otherwise read plainly `fresh`. */
export function statusCaveat(caveats: readonly TaskCaveat[]): string | undefined {
  const untracked = caveats.filter((c) => c.kind === 'untracked_read');
  if (untracked.length > 0)
    return `untracked: reads ${untracked.map((c) => (c.kind === 'untracked_read' ? c.call : '')).join(', ')} (--full-refresh to re-read)`;
  const kept = caveats.find((c) => c.kind === 'volatile' && !c.rebuildEachRun);
  return kept && kept.kind === 'volatile' ? `fresh, kept as built (${fnList(kept.functions)})` : undefined;
}

/** `why`'s lines about a build's caveats. */
export function whyCaveatLines(b: BuildCaveats): string[] {
  // A `-- @volatile` task says so in its cause (`volatile`): nothing to add.
  return b.caveats.flatMap((c) => {
    if (c.kind === 'untracked_read')
      return `untracked: it reads files through ${c.call}; relspec cannot see them change (run --full-refresh after changing them)`;
    if (c.rebuildEachRun) return [];
    return `its output was built at ${b.builtAt ?? '?'} (run ${b.runId}) and is kept: it calls ${fnList(c.functions)}, whose result changes between runs (add -- @volatile to rebuild it every run)`;
  });
}
