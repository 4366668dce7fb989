import { history } from '../../incremental/history.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { openStateReader } from './status.js';

/** `--limit` arrives checked (a positive integer) from the option table in cli/main.ts. */
export async function historyCommand(opts: GlobalOptions & { limit?: number; json?: boolean }): Promise<number> {
  const limit = opts.limit ?? 20;
  const reader = await openStateReader(opts);
  try {
    const runs = history(reader.store, limit, { writerAlive: reader.writerAlive });
    if (opts.json) {
      printJson({ runs });
      return 0;
    }
    for (const r of runs) {
      const dur = r.durationMs === null ? (r.status === 'running' ? 'running' : '-') : `${(r.durationMs / 1000).toFixed(2)}s`;
      const counts = r.summary
        ? Object.entries(r.summary)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : '-';
      const parts = [
        `run ${r.runId}`,
        r.status,
        r.trigger,
        r.startedAt,
        dur,
        counts,
        `sig ${r.graphSignature?.slice(0, 12) ?? '-'}`,
        ...(r.selection ? [`select ${r.selection}`] : []),
      ];
      print(parts.join('  '));
      if (r.changes.length > 0) {
        const shown = r.changes.slice(0, 10);
        print(`  changes: ${shown.join(', ')}${r.changes.length > shown.length ? `, … (${r.changes.length - shown.length} more)` : ''}`);
      }
    }
    return 0;
  } finally {
    reader.close();
  }
}
