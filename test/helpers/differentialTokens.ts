/**
 * The state half of "incremental equals clean" (issue 15, "Correctness"): a key-scoped refresh
 * updates an output's change tokens additively from the rows it removed and inserted, and its key
 * count from the keys it dropped and added, never by a scan. Equal rows with a wrong token would
 * cut a reader off (or rebuild it for nothing) later, so after every step each output's content tokens, and
 * each key-scoped task's key count, must equal a clean build's — for the column sets and keys both
 * states hold (a clean build only keeps the sets its readers read today).
 */
import path from 'node:path';
import Database from 'better-sqlite3';

export interface StateSnapshot {
  /** Output → column-set key (or `#rows`, `#parts`) → token. */
  tokens: Map<string, Record<string, string>>;
  /** Task → its trace's key and key count. */
  keys: Map<string, { columns: string[]; count: number; rows?: number }>;
}

export function snapshotState(projectDir: string): StateSnapshot {
  const db = new Database(path.join(projectDir, 'state/relspec.sqlite'), { readonly: true });
  try {
    const tokens = new Map<string, Record<string, string>>();
    for (const r of db.prepare(`SELECT name, tokens FROM evidence WHERE kind = 'output'`).all() as { name: string; tokens: string }[])
      tokens.set(r.name, JSON.parse(r.tokens) as Record<string, string>);
    const keys = new Map<string, { columns: string[]; count: number; rows?: number }>();
    for (const r of db.prepare(`SELECT task, keys FROM traces WHERE keys IS NOT NULL`).all() as { task: string; keys: string }[])
      keys.set(r.task, JSON.parse(r.keys) as { columns: string[]; count: number; rows?: number });
    return { tokens, keys };
  } finally {
    db.close();
  }
}

/** A scanned token (`rows:hashsum:types`) or a row count, which a key-scoped refresh updates additively. */
const isContent = (token: string): boolean => /^-?\d+(:-?\d+:[0-9a-f]+)?$/.test(token);

/** What differs between the incremental state and the clean one, as `output: detail` lines. */
export function compareStates(inc: StateSnapshot, clean: StateSnapshot): { output: string; detail: string }[] {
  const out: { output: string; detail: string }[] = [];
  for (const [name, c] of clean.tokens) {
    const i = inc.tokens.get(name);
    if (!i) continue; // a missing output is reported by the warehouse comparison
    for (const [set, token] of Object.entries(c)) {
      // Views and unions with a view part have identity tokens (a hash of definition and input tokens), not content.
      if (i[set] === undefined || i[set] === token || !isContent(token) || !isContent(i[set])) continue;
      out.push({ output: name, detail: `token ${set}: incremental ${i[set]}, clean ${token}` });
    }
  }
  for (const [task, c] of clean.keys) {
    const i = inc.keys.get(task);
    if (!i || i.columns.join(',') !== c.columns.join(',')) continue;
    if (i.count !== c.count || (i.rows !== undefined && c.rows !== undefined && i.rows !== c.rows))
      out.push({
        output: task,
        detail: `key (${c.columns.join(', ')}): incremental ${i.count} keys ${i.rows ?? '?'} rows, clean ${c.count} keys ${c.rows ?? '?'} rows`,
      });
  }
  return out;
}
