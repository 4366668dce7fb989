import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { RelspecError } from '../../errors.js';
import { status } from '../../incremental/why.js';
import { writerAlive } from '../../daemon/lock.js';
import { openStateDb, STATE_DB } from '../../state/db.js';
import { Store } from '../../state/store.js';
import { guardStateFaults, stateFaultError } from '../../state/faults.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { statusCaveat, warningLine } from '../../incremental/caveatText.js';

export interface StateReader {
  store: Store;
  /** The project root (the config file's directory), for showing paths relative to it. */
  root: string;
  /** A live daemon or run holds the state lock: a run recorded as running really is. */
  writerAlive: boolean;
  close(): void;
}

/**
 * Opens the state database read-only: `why`, `status` and `history` read it while a daemon or a
 * `relspec run` writes (WAL). No database, or one without a run, is a one-line E_STATE error.
 */
export async function openStateReader(opts: GlobalOptions): Promise<StateReader> {
  const loaded = await loadConfig(opts.config);
  const file = path.join(loaded.config.stateDir, STATE_DB);
  const noRuns = () => new RelspecError('E_STATE', 'no runs yet', { file, fix: 'run `relspec run` first' });
  if (!existsSync(file)) throw noRuns();
  const db = openStateDb(loaded.config.stateDir, { readonly: true });
  try {
    const hasRuns = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined;
    // A damaged page shows when a read reaches it: every read then fails as one E_STATE line.
    const store = guardStateFaults(new Store(db), loaded.config.stateDir);
    if (!hasRuns || store.lastRunId() === undefined) throw noRuns();
    return { store, root: loaded.config.root, writerAlive: writerAlive(loaded.config.stateDir), close: () => db.close() };
  } catch (e) {
    db.close();
    throw stateFaultError(e, loaded.config.stateDir) ?? e;
  }
}

export async function statusCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const reader = await openStateReader(opts);
  try {
    const s = status(reader.store, { writerAlive: reader.writerAlive });
    if (opts.json) {
      printJson(s);
      return 0;
    }
    const rows = s.tasks.map((t) => [
      t.task,
      t.output,
      t.lastBuiltRun === null ? '-' : `run ${t.lastBuiltRun}`,
      t.lastStatus === null ? '-' : `${t.lastStatus} (run ${t.lastRun})`,
      t.state === 'stale' ? `stale: ${t.reason}` : (statusCaveat(t.caveats ?? []) ?? 'fresh'),
    ]);
    const head = ['TASK', 'OUTPUT', 'LAST BUILT', 'LAST STATUS', 'STATE'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    print(fmt(head));
    for (const r of rows) print(fmt(r));
    const stale = s.tasks.filter((t) => t.state === 'stale').length;
    const untracked = s.tasks.filter((t) => t.state === 'untracked').length;
    // A run in progress, or one that did not finish (stopped, or its process died).
    const last = s.runStatus === 'running' || s.runStatus === 'crashed' || s.runStatus === 'interrupted' ? `, ${s.runStatus}` : '';
    print(
      `${s.tasks.length} tasks: ${s.tasks.length - stale - untracked} fresh, ${stale} stale${untracked ? `, ${untracked} untracked` : ''} (as of run ${s.runId}${last})`,
    );
    // The same warnings as validate and run, naming the task file (a `-- @volatile` task is not one).
    for (const t of s.tasks) {
      for (const caveat of t.caveats ?? []) {
        if (caveat.kind === 'volatile' && caveat.rebuildEachRun) continue;
        process.stderr.write(`${warningLine({ task: t.task, file: t.file ?? t.task, caveat }, reader.root)}\n`);
      }
    }
    return 0;
  } finally {
    reader.close();
  }
}
