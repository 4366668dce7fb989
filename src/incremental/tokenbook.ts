import { sqlName } from '../catalog/names.js';
import { columnSetKey } from '../engine/tokens.js';
import type { Warehouse } from '../engine/warehouse.js';
import { outputId, sourceId, type RelGraph } from '../graph/index.js';
import type { Column } from '../lineage/types.js';
import { readerSql } from '../sources/index.js';
import { snapshotQuery } from '../sources/delta/index.js';
import type { Project } from '../project/load.js';
import type { EvidenceRow } from '../state/store.js';

/** Every distinct column set the consumers of `ds` read (with those tasks), plus all of its columns. */
export function consumerSets(g: RelGraph, ds: string, schema: readonly Column[]): { columns: string[]; tasks: string[] }[] {
  const node = g.hasNode(sourceId(ds)) ? sourceId(ds) : outputId(ds);
  const sets = new Map<string, { columns: string[]; tasks: string[] }>();
  if (g.hasNode(node)) {
    g.forEachOutEdge(node, (_, a, __, target) => {
      if (!a.columns) return;
      const key = columnSetKey(a.columns);
      const entry = sets.get(key) ?? { columns: [...a.columns].sort(), tasks: [] };
      entry.tasks.push(g.getNodeAttribute(target, 'name'));
      sets.set(key, entry);
    });
  }
  // Only the sets someone reads: hashing every column of every output doubled a build's scan cost.
  void schema;
  return [...sets.values()];
}

/** A view's token does not depend on the consumer's columns: stored under this key. */
export const VIEW_KEY = '*';
/** The row count of a table output, kept beside its tokens. */
export const ROWS_KEY = '#rows';

/**
 * Current change tokens of every dataset, by column set. Stored tokens are reused; a missing one is
 * computed with ONE scan per dataset for every column set its consumers need.
 */
export class TokenBook {
  /** Evidence rows whose tokens changed in this run and must be persisted. */
  readonly dirty = new Set<string>();

  constructor(
    private readonly project: Project,
    private readonly warehouse: Warehouse | undefined,
    readonly evidence: Map<string, EvidenceRow>,
  ) {}

  consumerSets(ds: string, schema: readonly Column[]): string[][] {
    return consumerSets(this.project.graph, ds, schema).map((s) => s.columns);
  }

  schemaOf(ds: string): Column[] {
    return this.project.sources.get(ds)?.schema ?? this.project.lineage.schemas.get(ds) ?? [];
  }

  /** The dataset's relation to scan: a source's pinned reader, or the output in the warehouse. */
  private async relation(ds: string): Promise<string | undefined> {
    const src = this.project.sources.get(ds);
    if (src?.delta && this.warehouse) return `(${await snapshotQuery(this.warehouse.conn, src.delta)})`;
    if (src) {
      const cfg = this.project.config.sources[ds]!;
      return readerSql(cfg, src.files.map((f) => f.path));
    }
    return this.warehouse?.has(sqlName(ds)) ? sqlName(ds) : undefined;
  }

  async token(ds: string, cols: readonly string[]): Promise<string | undefined> {
    const ev = this.evidence.get(ds);
    const key = columnSetKey(cols);
    if (ev?.tokens[VIEW_KEY]) return ev.tokens[VIEW_KEY];
    if (ev?.tokens[key]) return ev.tokens[key];
    const rel = await this.relation(ds);
    if (!rel || !this.warehouse) return undefined;
    const schema = this.schemaOf(ds);
    const sets = this.consumerSets(ds, schema);
    if (!sets.some((s) => columnSetKey(s) === key)) sets.push([...cols].sort());
    const { tokens, rows } = await this.warehouse.tokens(rel, sets, schema);
    this.set(ds, this.project.sources.has(ds) ? 'source' : 'output', { ...(ev?.tokens ?? {}), ...tokens }, rows);
    return tokens[key];
  }

  /** Records tokens of a dataset (after a build, or a scan). Returns true if its content changed. */
  set(ds: string, kind: 'source' | 'output', tokens: Record<string, string>, rows?: number, runId?: number): boolean {
    const ev = this.evidence.get(ds);
    if (rows !== undefined) tokens = { ...tokens, [ROWS_KEY]: String(rows) };
    // Changed for a consumer iff a token it reads moved; the row count stands in when none is read.
    const changed = !ev || Object.keys(tokens).some((k) => ev.tokens[k] !== tokens[k]);
    this.evidence.set(ds, {
      name: ds,
      kind,
      version: (ev?.version ?? 0) + (changed && kind === 'output' ? 1 : 0),
      schema: this.schemaOf(ds),
      schemaFp: ev?.schemaFp ?? null,
      tokens,
      filesSig: ev?.filesSig ?? null,
      contentHash: ev?.contentHash ?? null,
      changeId: ev?.changeId ?? null,
      updatedRun: runId ?? ev?.updatedRun ?? null,
      files: ev?.files ?? null,
    });
    this.dirty.add(ds);
    return changed;
  }
}
