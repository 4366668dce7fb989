import { staleText } from '../../format/reasons.js';
import { locateState } from '../../config/locate.js';
import { status } from '../../incremental/status.js';
import { openStateReader as openStateDirReader, type StateReader } from '../../state/reader.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { statusCaveat, warningLine } from '../../incremental/caveatText.js';

/** The state reader of the config's state directory, with the project root for showing paths. */
export async function openStateReader(opts: GlobalOptions): Promise<StateReader & { root: string }> {
  const { root, stateDir } = await locateState(opts.config);
  return { ...openStateDirReader(stateDir), root };
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
      t.state === 'stale' ? `stale: ${t.reason ? staleText(t.reason) : ''}` : (statusCaveat(t.caveats ?? []) ?? 'fresh'),
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
    const ol = s.openlineage;
    if (ol) {
      print(
        `openlineage: ${ol.sent} sent, ${ol.failed} failed, ${ol.dropped} dropped, ${ol.retries} retries${ol.lastError ? ` (last error: ${ol.lastError})` : ''}`,
      );
    }
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
