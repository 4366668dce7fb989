import type { DuckDBConnection } from '@duckdb/node-api';
import type { MetadataAction, ProtocolAction } from '../actions.js';
import type { StructType } from '../schema.js';
import type { Snapshot } from '../read/snapshot.js';
import { deltaError, type Where } from '../util.js';
import { checkPartitionColumns, deltaTypeJson, initialProtocol, resolveSchema, writerFeatures, type SchemaInput } from './schema.js';

/**
 * A schema change as a new version of the same table (Delta protocol, **Change Metadata**, **Schema
 * Serialization Format**): the commit carries a metaData action with the new schemaString — same
 * table id, partition columns and configuration — and, because the change is made by a full
 * overwrite in that same commit (every live file removed, the new rows added), it needs no column
 * mapping: without column mapping a column is matched by its physical name, so dropping a column or
 * changing its type is only safe when no data file written under the old schema stays live
 * (**Column Mapping**: readers resolve columns by name; renames/drops need the mapping). Earlier
 * versions keep their own metaData, so time travel reads them with their own schema.
 *
 * The protocol is raised only when the new schema needs a feature the table lacks (a
 * timestamp_ntz column); the result keeps every feature already in effect.
 */
export interface SchemaChange {
  schema: StructType;
  metadata: MetadataAction;
  protocol: ProtocolAction;
  /** The actions to commit before the file actions: protocol (only when raised), then metaData. */
  actions: object[];
  /** False when the new schema is the current one: an ordinary overwrite. */
  changed: boolean;
}

/** Union of two protocols as table features (reader 3 / writer 7), unless the current one already covers `need`. */
function raise(current: ProtocolAction, need: ProtocolAction): ProtocolAction | undefined {
  const haveWriter = writerFeatures(current);
  const needWriter = writerFeatures(need);
  const haveReader = new Set(current.minReaderVersion >= 3 ? (current.readerFeatures ?? []) : []);
  const needReader = need.minReaderVersion >= 3 ? (need.readerFeatures ?? []) : [];
  const covered =
    current.minReaderVersion >= need.minReaderVersion &&
    current.minWriterVersion >= need.minWriterVersion &&
    [...needWriter].every((f) => haveWriter.has(f)) &&
    (current.minReaderVersion < 3 ? needReader.length === 0 : needReader.every((f) => haveReader.has(f)));
  if (covered) return undefined;
  // Legacy versions imply features; spelled out as table features so nothing in effect is lost.
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...new Set([...haveReader, ...needReader])].sort(),
    writerFeatures: [...new Set([...haveWriter, ...needWriter])].sort(),
  };
}

/** metaData as it is written to the log (the parsed action keeps the provider only). */
const metadataJson = (m: MetadataAction): object => ({
  id: m.id,
  ...(m.name === undefined ? {} : { name: m.name }),
  ...(m.description === undefined ? {} : { description: m.description }),
  format: { provider: m.formatProvider, options: {} },
  schemaString: m.schemaString,
  partitionColumns: m.partitionColumns,
  configuration: m.configuration,
  ...(m.createdTime === undefined ? {} : { createdTime: m.createdTime }),
});

export async function schemaChange(conn: DuckDBConnection, snap: Snapshot, input: SchemaInput, w: Where): Promise<SchemaChange> {
  const schema = await resolveSchema(conn, input, w);
  if (!schema.fields.length) throw deltaError(w, 'the new schema has no columns');
  checkPartitionColumns(schema, snap.partitionColumns, w);
  const schemaString = JSON.stringify(deltaTypeJson(schema));
  if (schemaString === JSON.stringify(deltaTypeJson(snap.schema))) {
    return { schema: snap.schema, metadata: snap.metadata, protocol: snap.protocol, actions: [], changed: false };
  }
  const metadata: MetadataAction = { ...snap.metadata, schemaString };
  const raised = raise(snap.protocol, initialProtocol(schema, snap.configuration, w));
  const protocol = raised ?? snap.protocol;
  return {
    schema,
    metadata,
    protocol,
    actions: [...(raised ? [{ protocol: raised }] : []), { metaData: metadataJson(metadata) }],
    changed: true,
  };
}
