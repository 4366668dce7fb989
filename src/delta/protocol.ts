import type { MetadataAction, ProtocolAction } from './actions.js';
import { unsupported, type Where } from './util.js';

/**
 * The reader protocol gate (Delta protocol, **Protocol Evolution**, **Table Features**), applied before
 * any data file is read. With minReaderVersion 3, "to read a table, readers must implement and
 * respect all features listed in `readerFeatures`" — an unknown feature is never ignored.
 */

/** Reader features this reader implements, and where. */
export const SUPPORTED_READER_FEATURES: ReadonlyMap<string, string> = new Map([
  ['deletionVectors', 'deletionVectors.ts: Z85 + RoaringBitmapArray decoding, rows dropped by file_row_number'],
  ['columnMapping', 'scan.ts: name mode by physical name, id mode by parquet field_id'],
  ['timestampNtz', 'schema.ts: timestamp_ntz maps to TIMESTAMP (no zone)'],
  ['v2Checkpoint', 'checkpoint.ts: UUID-named json/parquet checkpoints and sidecars'],
  // "readers don't need to understand or change anything new" (**Vacuum Protocol Check**).
  ['vacuumProtocolCheck', 'no-op for readers'],
  // Older files keep the narrower type; every column is cast to the table type (**Type Widening**).
  ['typeWidening', 'scan.ts: file columns cast to the table type'],
  ['typeWidening-preview', 'scan.ts: file columns cast to the table type'],
]);

/** What each legacy (pre-table-features) protocol version implies, for reporting only. */
const LEGACY_WRITER: [number, string][] = [
  [2, 'appendOnly'],
  [2, 'invariants'],
  [3, 'checkConstraints'],
  [4, 'changeDataFeed'],
  [4, 'generatedColumns'],
  [5, 'columnMapping'],
  [6, 'identityColumns'],
];

/** All features in effect: explicit table features, or those implied by legacy versions. */
export function tableFeatures(p: ProtocolAction): string[] {
  const out = new Set<string>();
  if (p.minReaderVersion === 2) out.add('columnMapping');
  for (const f of p.readerFeatures ?? []) out.add(f);
  if (p.minWriterVersion < 7) for (const [v, f] of LEGACY_WRITER) if (p.minWriterVersion >= v) out.add(f);
  for (const f of p.writerFeatures ?? []) out.add(f);
  return [...out].sort();
}

/** Throws E_DELTA_UNSUPPORTED unless every reader requirement of `p` is implemented. */
export function checkReaderProtocol(p: ProtocolAction, w: Where): void {
  const r = p.minReaderVersion;
  const where = `${w.table}${w.version === undefined ? '' : ` at version ${w.version}`}`;
  if (!Number.isInteger(r) || r < 1 || r > 3) {
    const unknown = (p.readerFeatures ?? []).filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    const extra = unknown.length ? `; unknown reader features: ${unknown.join(', ')}` : '';
    throw unsupported(
      w,
      `unsupported Delta minReaderVersion ${r} in ${where} (this reader implements reader versions 1-3)${extra}`,
      'read the table with a newer Delta engine, or ask its writer to downgrade the protocol',
    );
  }
  if (r < 3) return;
  if (!Array.isArray(p.readerFeatures)) {
    throw unsupported(w, `invalid Delta protocol in ${where}: minReaderVersion 3 without readerFeatures`);
  }
  const missing = p.readerFeatures.filter((f) => !SUPPORTED_READER_FEATURES.has(f));
  if (missing.length) {
    const s = missing.length > 1 ? 's' : '';
    throw unsupported(w, `unsupported Delta reader feature${s} ${missing.join(', ')} in ${where} (minReaderVersion 3)`, explain(missing));
  }
}

function explain(features: string[]): string {
  if (features.some((f) => f.startsWith('catalog')))
    return 'catalog-managed tables must be read through their catalog: their latest commits may exist only there';
  if (features.some((f) => f.startsWith('variant')))
    return 'variant columns are not decoded by this reader; export the table without variant columns';
  return 'read the table with an engine that implements these features';
}

export type ColumnMappingMode = 'none' | 'name' | 'id';

/**
 * **Column Mapping**: active with reader version 2, or 3 with `columnMapping` in readerFeatures;
 * the mode comes from `delta.columnMapping.mode`.
 */
export function columnMappingMode(p: ProtocolAction, m: MetadataAction, w: Where): ColumnMappingMode {
  const mode = m.configuration['delta.columnMapping.mode'] ?? 'none';
  // Spark 3.1 upgrading a reader-2 table to reader 3 lists columnMapping only in writerFeatures
  // (DAT iceberg_compat_v1); the physical names are still in use, so either list enables it.
  const listed = [...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])].includes('columnMapping');
  const enabled = p.minReaderVersion === 2 || (p.minReaderVersion === 3 && listed);
  if (!enabled || mode === 'none') return 'none';
  if (mode === 'name' || mode === 'id') return mode;
  throw unsupported(w, `unsupported delta.columnMapping.mode ${JSON.stringify(mode)} in ${w.table}`);
}
