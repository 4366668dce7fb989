import { taskId } from '../graph/index.js';
import { Delivery, LineageRun, relspecProducer } from '../openlineage/index.js';
import { OPENLINEAGE_META, type DeliveryCounts } from '../openlineage/types.js';
import type { RunScope, RunStart } from './runScope.js';

/** A one-shot run waits this long at its end for HTTP delivery (retries included), then counts the rest as dropped. */
const FLUSH_MS = 2000;

/** OpenLineage events for this run, when the config asks for them (README "OpenLineage"). */
export function lineageRun(scope: RunScope, start: RunStart): LineageRun | undefined {
  const ol = scope.project.config.openlineage;
  if (!ol) return undefined;
  const { g, project, producers } = scope;
  const producerOf = (ds: string) => {
    const p = producers(ds)[0];
    return p && g.hasNode(taskId(p)) ? g.getNodeAttribute(taskId(p), 'task') : undefined;
  };
  // Failures are counted (lastError kept) and reported with the run's outcome: never thrown into it.
  // The daemon's session keeps one delivery across runs (src/openlineage/sink.ts).
  const target = { url: ol.url, file: ol.file };
  const delivery = scope.opts.session?.lineage?.delivery(target) ?? new Delivery(target);
  return new LineageRun(
    {
      config: project.config,
      namespace: ol.namespace,
      runId: start.runId,
      changes: start.changes,
      producerOf,
      schemaOf: (ds) => start.book.evidence.get(ds)?.schema ?? producerOf(ds)?.outputSchema,
      versionOf: (ds) => {
        const v = start.book.evidence.get(ds)?.version;
        return v === undefined ? undefined : String(v);
      },
      sqlOf: (task) => project.taskByName.get(task)?.sql ?? '',
      producer: relspecProducer(),
    },
    g,
    delivery,
    ol.emitSkipped,
  );
}

/**
 * Adds this run's delivery counts to the state's: a one-shot run drains its queue first (at most
 * FLUSH_MS); the daemon does not wait, its sink keeps sending and a later run counts the rest.
 */
export async function finishLineage(scope: RunScope, run: LineageRun): Promise<DeliveryCounts> {
  const sink = scope.opts.session?.lineage;
  const counts = sink ? sink.takeNew() : await run.flush(FLUSH_MS);
  const prev = JSON.parse(scope.store.getMeta(OPENLINEAGE_META) ?? '{}') as Partial<DeliveryCounts>;
  const sum: DeliveryCounts = {
    sent: (prev.sent ?? 0) + counts.sent,
    failed: (prev.failed ?? 0) + counts.failed,
    dropped: (prev.dropped ?? 0) + counts.dropped,
    retries: (prev.retries ?? 0) + counts.retries,
    ...((counts.lastError ?? prev.lastError) ? { lastError: counts.lastError ?? prev.lastError } : {}),
  };
  scope.store.setMeta(OPENLINEAGE_META, JSON.stringify(sum));
  return counts;
}
