/**
 * `code` sources: a glob of TypeScript/JavaScript files whose extracted facts (../code) live as five
 * Delta tables under the state directory — `<source>.files`, `.symbols`, `.references`, `.calls`,
 * `.imports`. To the rest of relspec each table is a Delta source like any other (pinned snapshot,
 * change rows → column-level invalidation); only the observe step differs: it first brings the
 * tables up to date with the code (`syncCodeSource`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../../config/types.js';
import type { ImportRow } from '../../code/types.js';
import type { Column } from '../../lineage/types.js';
import { loadSnapshot, type Snapshot } from '../../delta/index.js';
import { duckType } from '../../delta/schema.js';
import { RelspecError } from '../../errors.js';
import { unresolvedImportsWarning, type ProjectWarning } from '../../project/warnings.js';
import { codeRoot } from './files.js';
import { readManifest } from './manifest.js';
import { codeIdentity, syncCodeSource, type CodeSyncResult, type SyncContext } from './sync.js';
import { CODE_TABLES, codeDataset, codeSourceDir, codeTableDir, tableSchema, type CodeTable } from './tables.js';
import { codeTsconfig, type CodeTsconfig } from './tsconfig.js';

export type { CodeSyncResult, SyncContext } from './sync.js';
export { CodeExtractors } from './extractors.js';
export type { CodeTable } from './tables.js';
export { describeCodeSync } from './describe.js';

export interface CodeDataset {
  /** `<source>.<table>`. */
  name: string;
  source: string;
  table: CodeTable;
  schema: Column[];
  /** The pinned snapshot; absent before the source was first extracted (read-only commands). */
  delta?: Snapshot;
}

/** The dataset names a source stands for: itself, or a code source's five tables. */
export function sourceDatasets(source: Pick<ResolvedSource, 'name' | 'format'>): string[] {
  return source.format === 'code' ? CODE_TABLES.map((t) => codeDataset(source.name, t)) : [source.name];
}

/**
 * The code source's tables as datasets. With `sync`, the code is extracted and committed first
 * (run, plan, watch); without, the tables are read as the last run left them, and a table not
 * written yet has its schema only (validate, lineage, graph on a fresh clone).
 *
 * An unusable tsconfig is returned in `errors` and skips the extraction: the tables keep the last
 * good facts. `warnings`: no tsconfig, or too many relative imports unresolved in the facts held.
 */
export async function observeCodeSource(
  conn: DuckDBConnection,
  source: ResolvedSource,
  ctx: SyncContext,
  opts: { sync: boolean },
): Promise<{ datasets: CodeDataset[]; sync?: CodeSyncResult; warnings: ProjectWarning[]; errors: RelspecError[] }> {
  const root = codeRoot(source, ctx.root);
  const warnings: ProjectWarning[] = [];
  const errors: RelspecError[] = [];
  let tsconfig: CodeTsconfig | undefined;
  try {
    tsconfig = codeTsconfig(source, root, ctx.root);
    if (tsconfig.warning) warnings.push(tsconfig.warning);
  } catch (e) {
    if (!(e instanceof RelspecError)) throw e;
    errors.push(e);
  }
  const sync = opts.sync && tsconfig ? await syncCodeSource(conn, source, ctx, tsconfig) : undefined;
  const datasets: CodeDataset[] = [];
  for (const table of CODE_TABLES) {
    const dir = codeTableDir(ctx.stateDir, source.name, table);
    const name = codeDataset(source.name, table);
    if (!existsSync(path.join(dir, '_delta_log'))) {
      datasets.push({ name, source: source.name, table, schema: tableSchema(table) });
      continue;
    }
    const delta = await loadSnapshot(conn, dir);
    const schema = delta.schema.fields.map((f) => ({ name: f.name, type: duckType(f.type) }));
    datasets.push({ name, source: source.name, table, schema, delta });
  }
  if (tsconfig) {
    // The manifest holds every file's import rows as committed: the same the imports table holds.
    const m = readManifest(codeSourceDir(ctx.stateDir, source.name), codeIdentity(source, root, tsconfig), {
      from: ctx.extractors.manifests,
      take: false,
    });
    const w = m && unresolvedImportsWarning(ctx.root, source.name, tsconfig.file, importRows(m.files));
    if (w) warnings.push(w);
  }
  return { datasets, sync, warnings, errors };
}

function* importRows(files: Record<string, { imports: readonly ImportRow[] }>): Iterable<ImportRow> {
  for (const f of Object.values(files)) yield* f.imports;
}
