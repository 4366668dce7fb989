import type { ActionSet, DeletionVectorDescriptor } from './actions.js';
import { emptyActionSet } from './actions.js';
import { deltaError, type Where } from './util.js';

/**
 * Validating Delta actions. Every field a reader relies on is checked, so a malformed log gives an
 * E_DELTA error naming the file and line instead of a TypeError later. Unknown actions and fields
 * are ignored: "Clients must ignore such unrecognized fields, and should not produce an error"
 * (Delta protocol, **Protocol Evolution**).
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field readers: `where` names the file and line so the error says exactly what is wrong. */
class Fields {
  constructor(
    readonly w: Where,
    private readonly action: string,
  ) {}

  private bad(key: string, want: string, got: unknown): never {
    const shown = got === undefined ? 'missing' : JSON.stringify(got)?.slice(0, 60);
    throw deltaError(
      this.w,
      `invalid ${this.action} action: field ${key} must be ${want}, got ${shown}`,
      'the log entry is corrupt; restore it from a backup or re-create the table',
    );
  }

  str(o: Obj, k: string): string {
    const v = o[k];
    return typeof v === 'string' ? v : this.bad(k, 'a string', v);
  }
  optStr(o: Obj, k: string): string | undefined {
    const v = o[k];
    return v === undefined || v === null ? undefined : typeof v === 'string' ? v : this.bad(k, 'a string', v);
  }
  num(o: Obj, k: string): number {
    const v = o[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : this.bad(k, 'a number', v);
  }
  optNum(o: Obj, k: string): number | undefined {
    const v = o[k];
    return v === undefined || v === null ? undefined : this.num(o, k);
  }
  optBool(o: Obj, k: string): boolean | undefined {
    const v = o[k];
    return v === undefined || v === null ? undefined : typeof v === 'boolean' ? v : this.bad(k, 'a boolean', v);
  }
  obj(o: Obj, k: string): Obj {
    const v = o[k];
    return isObj(v) ? v : this.bad(k, 'an object', v);
  }
  strMap(o: Obj, k: string): Record<string, string | null> {
    const m = this.obj(o, k);
    for (const [key, v] of Object.entries(m)) if (v !== null && typeof v !== 'string') this.bad(`${k}.${key}`, 'a string or null', v);
    return m as Record<string, string | null>;
  }
  optStrMap(o: Obj, k: string): Record<string, string | null> | undefined {
    return o[k] === undefined || o[k] === null ? undefined : this.strMap(o, k);
  }
  optStrArray(o: Obj, k: string): string[] | undefined {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : this.bad(k, 'an array of strings', v);
  }
}

function deletionVector(f: Fields, o: Obj): DeletionVectorDescriptor | undefined {
  if (o.deletionVector === undefined || o.deletionVector === null) return undefined;
  const d = f.obj(o, 'deletionVector');
  // Some checkpoint writers store "no DV" as a struct of nulls rather than a null struct.
  if (Object.values(d).every((v) => v === null)) return undefined;
  const storageType = f.str(d, 'storageType');
  if (storageType !== 'u' && storageType !== 'i' && storageType !== 'p') {
    throw deltaError(f.w, `unknown deletion vector storageType ${JSON.stringify(storageType)}`);
  }
  return {
    storageType,
    pathOrInlineDv: f.str(d, 'pathOrInlineDv'),
    offset: f.optNum(d, 'offset'),
    sizeInBytes: f.num(d, 'sizeInBytes'),
    cardinality: f.num(d, 'cardinality'),
  };
}

/** `stats` is optional and advisory: unparsable stats only lose the row-count hint. */
function numRecords(o: Obj): number | undefined {
  const parsed = o.stats_parsed;
  if (isObj(parsed) && typeof parsed.numRecords === 'number') return parsed.numRecords;
  if (typeof o.stats !== 'string') return undefined;
  try {
    const s: unknown = JSON.parse(o.stats);
    return isObj(s) && typeof s.numRecords === 'number' ? s.numRecords : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Adds one action object (a JSON line, or a checkpoint row with its null columns) to `set`.
 * `allowed` restricts the kinds (sidecar files hold only add/remove).
 */
export function collectAction(set: ActionSet, line: unknown, w: Where, allowed?: ReadonlySet<string>): void {
  if (!isObj(line)) throw deltaError(w, 'log line is not a JSON object');
  for (const [kind, body] of Object.entries(line)) {
    if (body === null || body === undefined) continue;
    if (allowed && !allowed.has(kind)) {
      if (KNOWN.has(kind)) throw deltaError(w, `unexpected ${kind} action in this kind of log file`);
      continue;
    }
    if (!KNOWN.has(kind)) continue;
    if (!isObj(body)) throw deltaError(w, `invalid ${kind} action: not a JSON object`);
    const f = new Fields(w, kind);
    switch (kind) {
      case 'add':
        set.adds.push({
          path: f.str(body, 'path'),
          partitionValues: f.strMap(body, 'partitionValues'),
          size: f.num(body, 'size'),
          modificationTime: f.optNum(body, 'modificationTime'),
          dataChange: f.optBool(body, 'dataChange') ?? true,
          numRecords: numRecords(body),
          ...(typeof body.stats === 'string' ? { stats: body.stats } : {}),
          tags: f.optStrMap(body, 'tags'),
          deletionVector: deletionVector(f, body),
          baseRowId: f.optNum(body, 'baseRowId'),
          defaultRowCommitVersion: f.optNum(body, 'defaultRowCommitVersion'),
        });
        break;
      case 'remove':
        set.removes.push({
          path: f.str(body, 'path'),
          dataChange: f.optBool(body, 'dataChange') ?? true,
          deletionTimestamp: f.optNum(body, 'deletionTimestamp'),
          extendedFileMetadata: f.optBool(body, 'extendedFileMetadata'),
          partitionValues: f.optStrMap(body, 'partitionValues'),
          size: f.optNum(body, 'size'),
          numRecords: numRecords(body),
          deletionVector: deletionVector(f, body),
        });
        break;
      case 'cdc':
        set.cdcs.push({
          path: f.str(body, 'path'),
          partitionValues: f.optStrMap(body, 'partitionValues') ?? {},
          size: f.optNum(body, 'size'),
          dataChange: f.optBool(body, 'dataChange') ?? false,
        });
        break;
      case 'metaData': {
        const format = body.format === undefined || body.format === null ? {} : f.obj(body, 'format');
        const cols = f.optStrArray(body, 'partitionColumns');
        if (!cols) throw deltaError(w, 'invalid metaData action: field partitionColumns must be an array of strings');
        const conf = f.optStrMap(body, 'configuration') ?? {};
        set.metaData.push({
          id: f.optStr(body, 'id') ?? '',
          name: f.optStr(body, 'name'),
          description: f.optStr(body, 'description'),
          formatProvider: new Fields(w, 'metaData.format').optStr(format, 'provider') ?? 'parquet',
          schemaString: f.optStr(body, 'schemaString'),
          partitionColumns: cols,
          configuration: Object.fromEntries(Object.entries(conf).filter(([, v]) => v !== null)) as Record<string, string>,
          createdTime: f.optNum(body, 'createdTime'),
        });
        break;
      }
      case 'protocol':
        set.protocol.push({
          minReaderVersion: f.num(body, 'minReaderVersion'),
          minWriterVersion: f.num(body, 'minWriterVersion'),
          readerFeatures: f.optStrArray(body, 'readerFeatures'),
          writerFeatures: f.optStrArray(body, 'writerFeatures'),
        });
        break;
      case 'commitInfo':
        set.commitInfo = {
          timestamp: typeof body.timestamp === 'number' ? body.timestamp : undefined,
          inCommitTimestamp: typeof body.inCommitTimestamp === 'number' ? body.inCommitTimestamp : undefined,
          operation: typeof body.operation === 'string' ? body.operation : undefined,
          operationParameters: isObj(body.operationParameters) ? body.operationParameters : undefined,
          operationMetrics: isObj(body.operationMetrics) ? body.operationMetrics : undefined,
          engineInfo: typeof body.engineInfo === 'string' ? body.engineInfo : undefined,
          raw: body,
        };
        break;
      case 'txn':
        set.txns.push({ appId: f.str(body, 'appId'), version: f.num(body, 'version'), lastUpdated: f.optNum(body, 'lastUpdated') });
        break;
      case 'domainMetadata':
        set.domainMetadata.push({
          domain: f.str(body, 'domain'),
          configuration: f.optStr(body, 'configuration') ?? '',
          removed: f.optBool(body, 'removed') ?? false,
        });
        break;
      case 'checkpointMetadata':
        set.checkpointMetadata = { version: f.num(body, 'version') };
        break;
      case 'sidecar':
        set.sidecars.push({ path: f.str(body, 'path'), sizeInBytes: f.optNum(body, 'sizeInBytes') });
        break;
    }
  }
}

const KNOWN = new Set([
  'add',
  'remove',
  'cdc',
  'metaData',
  'protocol',
  'commitInfo',
  'txn',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
]);

/** Newline-delimited JSON (commits, UUID-named v2 checkpoints). A garbled or truncated line names its line number. */
export function parseJsonLines(text: string, w: Where, allowed?: ReadonlySet<string>): ActionSet {
  const set = emptyActionSet();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw deltaError(
        { ...w, line: i + 1 },
        `log line is not valid JSON (${(e as Error).message}); the log entry is truncated or corrupt`,
        'restore the log file from a backup; Delta log entries are immutable once written',
        e,
      );
    }
    collectAction(set, parsed, { ...w, line: i + 1 }, allowed);
  }
  return set;
}
