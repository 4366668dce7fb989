import { createHash } from 'node:crypto';
import type { ResolvedConfig } from '../config/types.js';
import type { GraphTask } from '../graph/index.js';
import type { Cause, RootChange, SkipReason, TaskResult } from '../records/types.js';
import { datasetRef } from './datasets.js';
import {
  facetSchema,
  REBUILD_FACET_SCHEMA,
  RUN_EVENT_SCHEMA,
  type DatasetRef,
  type EventType,
  type Facet,
  type RunEvent,
} from './types.js';

/** What events need from the run around them. */
export interface EventContext {
  config: ResolvedConfig;
  namespace: string;
  /** relspec's run id: the parent run of every task run. */
  runId: number;
  changes: readonly RootChange[];
  producerOf: (ds: string) => GraphTask | undefined;
  /** A dataset's columns and version (a Delta version, or relspec's evidence version) as the state knows them now. */
  schemaOf: (ds: string) => readonly { name: string; type: string }[] | undefined;
  versionOf: (ds: string) => string | undefined;
  /** The task's SQL as written (the job's SQL facet). */
  sqlOf: (task: string) => string;
  /** relspec's producer URI (src/openlineage/producer.ts). */
  producer: string;
}

const facet = (ctx: EventContext, name: string, version: string, body: Record<string, unknown>): Facet => ({
  _producer: ctx.producer,
  _schemaURL: facetSchema(name, version),
  ...body,
});

/**
 * A UUID from a name (RFC 9562 §5.8 layout, version 8): the relspec run's id is the same in every
 * task's parent facet and across processes, without storing it.
 */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const parentRunId = (ctx: EventContext): string => nameUuid(`relspec:${ctx.config.stateDir}:${ctx.runId}`);

function dataset(ctx: EventContext, ds: string, extra: Record<string, Facet> = {}): DatasetRef {
  const facets: Record<string, Facet> = { ...extra };
  const schema = ctx.schemaOf(ds);
  if (schema) facets.schema = facet(ctx, 'SchemaDatasetFacet', '1-2-0', { fields: schema.map((c) => ({ name: c.name, type: c.type })) });
  const version = ctx.versionOf(ds);
  if (version !== undefined) facets.version = facet(ctx, 'DatasetVersionDatasetFacet', '1-0-1', { datasetVersion: version });
  return { ...datasetRef(ctx.config, ds, ctx.producerOf(ds)), facets };
}

/**
 * Column lineage at dataset level: relspec knows which columns a task requires of each input, not which
 * output column each one feeds. So every output column lists every required input column (INDIRECT),
 * and `dataset` lists them once: what a consumer needs to tell "this column change reaches that output".
 */
function columnLineage(ctx: EventContext, t: GraphTask): Facet {
  const inputFields = Object.entries(t.columns ?? {}).flatMap(([input, cols]) => {
    const ref = datasetRef(ctx.config, input, ctx.producerOf(input));
    return cols.map((field) => ({ namespace: ref.namespace, name: ref.name, field, transformations: [{ type: 'INDIRECT' }] }));
  });
  const fields = Object.fromEntries((t.outputSchema ?? []).map((c) => [c.name, { inputFields }]));
  return facet(ctx, 'ColumnLineageDatasetFacet', '1-2-0', { fields, dataset: inputFields });
}

/** The root changes the causes point at: a chain of causes ends at one of these. */
function rootsOf(causes: readonly Cause[], changes: readonly RootChange[]): RootChange[] {
  const ids = new Set(causes.flatMap((c) => ('root' in c && c.root ? [c.root] : [])));
  return changes.filter((c) => ids.has(c.id));
}

function rebuildFacet(ctx: EventContext, r: TaskResult | undefined): Facet {
  const causes = r?.causes ?? [];
  return {
    _producer: ctx.producer,
    _schemaURL: REBUILD_FACET_SCHEMA,
    relspecRunId: ctx.runId,
    causes,
    roots: rootsOf(causes, ctx.changes),
    refresh: r?.refresh ?? { mode: 'full' },
    ...(r?.status === 'skipped' && r.reason ? { skipped: r.reason as SkipReason } : {}),
  };
}

export function taskEvent(ctx: EventContext, type: EventType, t: GraphTask, taskRunId: string, r?: TaskResult, at?: string): RunEvent {
  const runFacets: Record<string, Facet> = {
    parent: facet(ctx, 'ParentRunFacet', '1-2-0', {
      run: { runId: parentRunId(ctx) },
      job: { namespace: ctx.namespace, name: 'relspec.run' },
    }),
  };
  if (type !== 'START') runFacets.relspec_rebuild = rebuildFacet(ctx, r);
  if (type === 'FAIL')
    runFacets.errorMessage = facet(ctx, 'ErrorMessageRunFacet', '1-0-1', { message: r?.error ?? 'failed', programmingLanguage: 'SQL' });
  const outFacets: Record<string, Facet> = type === 'START' ? {} : { columnLineage: columnLineage(ctx, t) };
  return {
    eventType: type,
    eventTime: at ?? new Date().toISOString(),
    producer: ctx.producer,
    schemaURL: RUN_EVENT_SCHEMA,
    run: { runId: taskRunId, facets: runFacets },
    job: {
      namespace: ctx.namespace,
      name: t.name,
      facets: {
        sql: facet(ctx, 'SQLJobFacet', '1-1-0', { query: ctx.sqlOf(t.name), dialect: 'duckdb' }),
        jobType: facet(ctx, 'JobTypeJobFacet', '2-0-4', { processingType: 'BATCH', integration: 'RELSPEC', jobType: 'TASK' }),
      },
    },
    inputs: t.reads.map((ds) => dataset(ctx, ds)),
    outputs: [dataset(ctx, t.output, outFacets)],
  };
}
