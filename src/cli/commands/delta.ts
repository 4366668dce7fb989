import path from 'node:path';
import { RelspecError } from '../../errors.js';
import { changeCounts, inspectTable, tableChanges, tableHistory } from '../../delta/index.js';
import { print, printJson } from '../context.js';
import { withMemoryDuck } from '../../engine/memory.js';

/** The Delta reader as a tool: inspect a table, list its changes and history. Versions arrive checked by the option table (cli/main.ts). */
const withConn = withMemoryDuck;

const iso = (ms: number) => new Date(ms).toISOString();

export async function deltaInspect(dir: string, opts: { version?: number; timestamp?: string; json?: boolean }): Promise<number> {
  if (opts.version !== undefined && opts.timestamp !== undefined)
    throw new RelspecError('E_USAGE', '--version and --timestamp both given', { fix: 'time travel by one of them' });
  const pin =
    opts.version !== undefined
      ? { version: opts.version, pin: { name: '--version', code: 'E_USAGE' as const } }
      : opts.timestamp !== undefined
        ? { timestamp: opts.timestamp, pin: { name: '--timestamp', code: 'E_USAGE' as const } }
        : {};
  const info = await withConn((c) => inspectTable(c, path.resolve(dir), pin));
  const out = {
    version: info.version,
    timestamp: iso(info.timestamp),
    protocol: info.protocol,
    partitionColumns: info.partitionColumns,
    schema: info.schema,
    numFiles: info.numFiles,
    numRows: info.numRows,
    features: info.features,
  };
  if (opts.json) printJson(out);
  else {
    print(`${path.resolve(dir)} at version ${info.version} (${iso(info.timestamp)})`);
    print(
      `  protocol   reader ${info.protocol.minReaderVersion}, writer ${info.protocol.minWriterVersion}; features: ${info.features.join(', ') || 'none'}`,
    );
    print(`  files      ${info.numFiles}, rows ${info.numRows ?? 'unknown'}`);
    print(`  partitions ${info.partitionColumns.join(', ') || 'none'}`);
    for (const c of info.schema) print(`  ${c.name.padEnd(24)} ${c.type}`);
  }
  return 0;
}

export async function deltaChanges(dir: string, opts: { from?: number; to?: number; json?: boolean; rows?: boolean }): Promise<number> {
  const { from, to } = opts;
  if (from === undefined)
    throw new RelspecError('E_USAGE', 'delta changes needs --from VERSION', { fix: 'e.g. relspec delta changes DIR --from 1' });
  return withConn(async (c) => {
    const counts = await changeCounts(c, path.resolve(dir), from, to);
    let rows: Record<string, unknown>[] | undefined;
    if (opts.rows) {
      const ch = await tableChanges(c, path.resolve(dir), from, to);
      rows = (await c.runAndReadAll(`SELECT * FROM (${ch.sql}) ORDER BY _commit_version`)).getRowObjectsJson() as Record<string, unknown>[];
    }
    if (opts.json) printJson({ ...counts, ...(rows ? { rows } : {}) });
    else {
      for (const v of counts.versions) {
        const k = v.counts;
        print(
          `v${v.version} ${iso(v.timestamp)} ${(v.operation ?? '?').padEnd(12)} insert=${k.insert} delete=${k.delete} update_preimage=${k.update_preimage} update_postimage=${k.update_postimage}`,
        );
      }
      for (const r of rows ?? []) print(JSON.stringify(r));
    }
    return 0;
  });
}

export async function deltaHistory(dir: string, opts: { json?: boolean }): Promise<number> {
  const h = await tableHistory(path.resolve(dir));
  if (opts.json) printJson({ versions: h });
  else
    for (const e of h)
      print(
        `v${e.version} ${iso(e.timestamp)} ${e.operation ?? '?'}${e.operationParameters ? ' ' + JSON.stringify(e.operationParameters) : ''}`,
      );
  return 0;
}
