/**
 * The parts of an OpenLineage 2-0-2 RunEvent relspec emits (docs: the spec's OpenLineage.json,
 * `$defs/RunEvent`). Facets carry `_producer` and `_schemaURL` as the spec's BaseFacet requires.
 */
export type EventType = 'START' | 'COMPLETE' | 'FAIL' | 'OTHER';

export interface Facet {
  _producer: string;
  _schemaURL: string;
  [k: string]: unknown;
}

export interface DatasetRef {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
}

export interface RunEvent {
  eventType: EventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets?: Record<string, Facet> };
  job: { namespace: string; name: string; facets?: Record<string, Facet> };
  inputs: DatasetRef[];
  outputs: DatasetRef[];
}

/** What delivery did, summed over runs and kept in the state (`relspec status` shows it). */
export interface DeliveryCounts {
  sent: number;
  failed: number;
  dropped: number;
  retries: number;
  lastError?: string;
}

/** The meta key delivery counts are summed under in the state (read by `relspec status`, which must stay light). */
export const OPENLINEAGE_META = 'openlineage';

/** relspec's producer URI: the source tree of the version that emitted (the spec asks for a git URL with a tag). */
export const producerUri = (version: string): string => `https://github.com/relspec/relspec/tree/v${version}`;
export const RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const REBUILD_FACET_SCHEMA =
  'https://github.com/relspec/relspec/blob/main/docs/openlineage/RelspecRebuildRunFacet.json#/$defs/RelspecRebuildRunFacet';

export const facetSchema = (name: string, version: string): string =>
  `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
