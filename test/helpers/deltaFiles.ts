import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parquet files under a Delta table directory (data and `_change_data/`, not `_delta_log/`). */
export function parquetFiles(table: string, dir = table): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    dir === table && e.name === '_delta_log'
      ? []
      : e.isDirectory()
        ? parquetFiles(table, path.join(dir, e.name))
        : e.name.endsWith('.parquet')
          ? [path.join(dir, e.name)]
          : [],
  );
}

/** Every file any commit of the table names (add, remove, cdc), read straight from the JSON. */
export function referencedFiles(table: string): Set<string> {
  const log = path.join(table, '_delta_log');
  const out = new Set<string>();
  for (const f of readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n))) {
    for (const line of readFileSync(path.join(log, f), 'utf8').split('\n').filter(Boolean)) {
      const a = JSON.parse(line) as Record<string, { path?: string }>;
      for (const k of ['add', 'remove', 'cdc']) if (a[k]?.path) out.add(path.join(table, decodeURIComponent(a[k].path)));
    }
  }
  return out;
}

/** Parquet files of the Delta tables under `outputsDir` that no commit references (orphans). */
export function orphanedFiles(outputsDir: string): string[] {
  if (!existsSync(outputsDir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(outputsDir, { withFileTypes: true })) {
    const table = path.join(outputsDir, e.name);
    if (!e.isDirectory() || !existsSync(path.join(table, '_delta_log'))) continue;
    const refs = referencedFiles(table);
    out.push(...parquetFiles(table).filter((f) => !refs.has(f)));
  }
  return out.sort();
}
