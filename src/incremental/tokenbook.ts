import { sqlName } from '../catalog/names.js';
import { columnSetKey, combineTokens, parseToken } from '../engine/tokens.js';
import { sliceName, type Warehouse } from '../engine/warehouse.js';
import { outputId, sourceId, taskId, type RelGraph } from '../graph/index.js';
import type { Column } from '../lineage/types.js';
import { readerSql } from '../sources/index.js';
import { snapshotQuery } from '../delta/index.js';
import type { Project } from '../project/load.js';
import type { EvidenceRow } from '../state/store.js';
import type { Trace } from '../records/types.js';

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
const ROWS_KEY = '#rows';
/** A shared output's slices in its union view, kept beside its tokens (see reconcileUnions). */
export const PARTS_KEY = '#parts';

/**
 * Current change tokens of every dataset, by column set. Stored tokens are reused; a missing one is
 * computed with ONE scan per dataset for every column set its consumers need.
 */
export class TokenBook {
  /** Evidence rows whose tokens changed in this run and must be persisted. */
  readonly dirty = new Set<string>();
  /** Token scans in flight by dataset: a task verified meanwhile waits for their tokens instead of scanning again. */
  private readonly scans = new Map<string, Promise<unknown>>();

  constructor(
    private readonly project: Project,
    private readonly warehouse: Warehouse | undefined,
    readonly evidence: Map<string, EvidenceRow>,
    /** Producers' traces: a shared output's token is made of its slices' tokens. */
    private readonly traces: Map<string, Trace> = new Map(),
  ) {}

  /** Producers of a dataset, sorted (several: the all-producers rule). */
  producers(ds: string): string[] {
    const g = this.project.graph;
    return g.hasNode(outputId(ds))
      ? g
          .inNeighbors(outputId(ds))
          .map((n) => g.getNodeAttribute(n, 'name') as string)
          .sort()
      : [];
  }

  /**
   * Tokens of an output with several producers, over each column set, made of its slices' tokens —
   * never a scan of the union view: the union lacks the columns of a producer that has no slice yet,
   * and a view slice has no scanned token. A slice's part is its trace's token over the set (its view
   * token for a view slice), or a scan of the slice when no trace holds that set. Table slices of one
   * column-type signature add up exactly (counts and hash sums are sums over rows); otherwise the
   * parts are hashed together, which changes iff some slice changed.
   * `own` overrides the trace of the producer being built (its trace is written after this).
   * `wh`: the handle of the task asking (its own connection when tasks build at once).
   */
  async unionTokens(
    ds: string,
    sets: readonly (readonly string[])[],
    own?: { task: string; tokens: Record<string, string> },
    wh: Warehouse | undefined = this.warehouse,
  ): Promise<{ rows?: number; tokens: Record<string, string> }> {
    const present = this.producers(ds).filter((p) => p === own?.task || this.warehouse?.has(sliceName(p)));
    const tokens: Record<string, string> = {};
    let rows: number | undefined;
    for (const s of sets) {
      const key = columnSetKey(s);
      const parts: string[] = [];
      for (const p of present) {
        const t = p === own?.task ? own.tokens : (this.traces.get(p)?.outputTokens ?? {});
        parts.push(t[VIEW_KEY] ?? t[key] ?? (await this.scanSlice(p, s, wh)) ?? '?');
      }
      const parsed = parts.map(parseToken);
      const types = parsed[0]?.types;
      if (parsed.length > 0 && parsed.every((x) => x && x.types === types)) {
        const count = parsed.reduce((a, x) => a + x!.count, 0n);
        tokens[key] = `${count}:${parsed.reduce((a, x) => a + x!.sum, 0n)}:${types}`;
        rows = Number(count);
      } else {
        tokens[key] = parts.length === 0 ? 'union:empty' : combineTokens(parts);
      }
    }
    tokens[PARTS_KEY] = JSON.stringify(present);
    return { rows, tokens };
  }

  private async scanSlice(task: string, cols: readonly string[], wh: Warehouse | undefined): Promise<string | undefined> {
    const g = this.project.graph;
    if (!wh || !g.hasNode(taskId(task)) || !wh.has(sliceName(task))) return undefined;
    const spec = g.getNodeAttribute(taskId(task), 'task')!;
    const r = await wh.tokens(sliceName(task), [cols], spec.outputSchema ?? []);
    return r.tokens[columnSetKey(cols)];
  }

  consumerSets(ds: string, schema: readonly Column[]): string[][] {
    return consumerSets(this.project.graph, ds, schema).map((s) => s.columns);
  }

  schemaOf(ds: string): Column[] {
    return this.project.sources.get(ds)?.schema ?? this.project.lineage.schemas.get(ds) ?? [];
  }

  /** The dataset's relation to scan: a source's pinned reader, or the output in the warehouse. */
  private async relation(ds: string, wh: Warehouse | undefined): Promise<string | undefined> {
    const src = this.project.sources.get(ds);
    if (src?.delta && wh) return `(${await snapshotQuery(wh.conn, src.delta, { cache: this.project.deltaCache })})`;
    if (src) {
      const cfg = this.project.config.sources[ds]!;
      return readerSql(
        cfg,
        src.files.map((f) => f.path),
      );
    }
    return wh?.has(sqlName(ds)) ? sqlName(ds) : undefined;
  }

  /** `wh`: the handle of the task asking (its own connection when tasks build at once). */
  async token(ds: string, cols: readonly string[], wh: Warehouse | undefined = this.warehouse): Promise<string | undefined> {
    // One scan per dataset computes every set its consumers read: the others wait for it, as they would one at a time.
    for (let p = this.scans.get(ds); p; p = this.scans.get(ds)) await p.catch(() => undefined);
    const ev = this.evidence.get(ds);
    const key = columnSetKey(cols);
    if (ev?.tokens[VIEW_KEY]) return ev.tokens[VIEW_KEY];
    if (ev?.tokens[key]) return ev.tokens[key];
    const scan = this.scanToken(ds, cols, wh);
    this.scans.set(ds, scan);
    try {
      return await scan;
    } finally {
      this.scans.delete(ds);
    }
  }

  private async scanToken(ds: string, cols: readonly string[], wh: Warehouse | undefined): Promise<string | undefined> {
    const ev = this.evidence.get(ds);
    const key = columnSetKey(cols);
    if (!this.project.sources.has(ds) && this.producers(ds).length > 1) {
      const { tokens } = await this.unionTokens(ds, [[...cols].sort()], undefined, wh);
      const tok = tokens[key];
      if (tok !== undefined && !tok.startsWith('union:empty')) this.set(ds, 'output', { ...(ev?.tokens ?? {}), ...tokens });
      return tok === 'union:empty' ? undefined : tok;
    }
    const rel = await this.relation(ds, wh);
    if (!rel || !wh) return undefined;
    const schema = this.schemaOf(ds);
    const sets = this.consumerSets(ds, schema);
    if (!sets.some((s) => columnSetKey(s) === key)) sets.push([...cols].sort());
    const { tokens, rows } = await wh.tokens(rel, sets, schema);
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
