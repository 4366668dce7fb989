import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { emptyActionSet, type ActionSet } from './actions.js';
import { collectAction, parseJsonLines } from './parse.js';
import type { CheckpointEntry, LogListing } from './log.js';
import { deltaError, duckPath, firstLine, resolveDataPath, type Where } from './util.js';
import { sqlList } from '../util/sql.js';

/**
 * Loading a checkpoint (Delta protocol, **Checkpoints**, **V2 Spec**, **Sidecar Files**).
 * Parquet checkpoints have one struct column per action kind (`add`, `remove`, `metaData`,
 * `protocol`, `txn`, `domainMetadata`, `checkpointMetadata`, `sidecar`); "Any missing column should
 * be treated as null". Each row is turned into JSON by DuckDB (`to_json` renders MAPs such as
 * `partitionValues` as objects) and then goes through the same validation as a commit line.
 */

const SIDECAR_ACTIONS: ReadonlySet<string> = new Set(['add', 'remove']);

async function readParquetActions(
  conn: DuckDBConnection,
  files: string[],
  w: Where,
  set: ActionSet,
  allowed?: ReadonlySet<string>,
): Promise<void> {
  const list = sqlList(files.map(duckPath));
  let rows: unknown[][];
  try {
    // union_by_name: parts of one multi-part checkpoint may carry different column sets.
    const r = await conn.runAndReadAll(
      `SELECT to_json(t)::VARCHAR FROM read_parquet(${list}, union_by_name = true, hive_partitioning = false) AS t`,
    );
    rows = r.getRows() as unknown[][];
  } catch (e) {
    throw deltaError(
      w,
      `cannot read checkpoint file: ${firstLine(e)}`,
      'the checkpoint is corrupt or incomplete; it can be deleted, readers then replay the JSON commits',
      e,
    );
  }
  for (let i = 0; i < rows.length; i++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(rows[i][0]));
    } catch (e) {
      throw deltaError(w, `checkpoint row ${i + 1} cannot be decoded`, undefined, e);
    }
    collectAction(set, parsed, w, allowed);
  }
}

/** Reads every action of checkpoint `cp`, expanding v2 sidecars. */
export async function readCheckpoint(conn: DuckDBConnection, listing: LogListing, cp: CheckpointEntry): Promise<ActionSet> {
  const w: Where = { table: listing.tableDir, version: cp.version, file: cp.files[0].path };
  let set = emptyActionSet();
  if (cp.format === 'json') {
    let text: string;
    try {
      text = await readFile(cp.files[0].path, 'utf8');
    } catch (e) {
      throw deltaError(w, `cannot read checkpoint file: ${firstLine(e)}`);
    }
    set = parseJsonLines(text, w);
  } else {
    await readParquetActions(
      conn,
      cp.files.map((f) => f.path),
      w,
      set,
    );
  }
  // "Having partial add and remove file actions in V2 Checkpoint and partial entries in sidecar
  // files is not allowed" — so when sidecars exist, file actions are the union of them all.
  if (set.sidecars.length > 0) {
    const sidecarDir = path.join(listing.logDir, '_sidecars');
    const files = set.sidecars.map((s) => resolveDataPath(sidecarDir, s.path, w));
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length) {
      throw deltaError(
        { ...w, file: missing[0] },
        `checkpoint ${cp.version} references ${missing.length} missing sidecar file(s), e.g. ${path.basename(missing[0])}`,
      );
    }
    await readParquetActions(conn, files, { ...w, file: files[0] }, set, SIDECAR_ACTIONS);
  }
  if (cp.kind === 'v2' && set.checkpointMetadata === undefined) {
    throw deltaError(w, 'UUID-named (v2) checkpoint has no checkpointMetadata action');
  }
  if (set.checkpointMetadata && set.checkpointMetadata.version !== cp.version) {
    throw deltaError(w, `checkpointMetadata says version ${set.checkpointMetadata.version}, the file name says ${cp.version}`);
  }
  // A checkpoint is a reconciled snapshot: exactly one protocol and one metaData (**Checkpoints**).
  if (set.protocol.length !== 1)
    throw deltaError(w, `checkpoint ${cp.version} holds ${set.protocol.length} protocol actions (exactly one is required)`);
  if (set.metaData.length !== 1)
    throw deltaError(w, `checkpoint ${cp.version} holds ${set.metaData.length} metaData actions (exactly one is required)`);
  return set;
}
