import { randomUUID } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { RelspecError } from '../../errors.js';
import { deltaError, firstLine, fmtVersion } from '../util.js';

/**
 * Committing a log entry (docs/delta-notes.md §8, Delta protocol, **Creation of New Log Entries**):
 * "Writers MUST never overwrite an existing log entry". Version N is committed iff `N.json` is
 * created exclusively: the entry is written and fsynced to a temp file in `_delta_log/` (a name
 * the log listing ignores), then hard-linked to its final name — `link` fails with EEXIST when
 * another writer got there first, and readers never see a partially written commit. File systems
 * without hard links fall back to `open(..., 'wx')`, which is exclusive too (but not all-or-nothing
 * for a concurrent reader).
 */

/** Another writer committed `version` first. Code E_DELTA; the message names the table and version. */
export class DeltaCommitConflict extends RelspecError {
  readonly table: string;
  readonly version: number;

  constructor(table: string, version: number) {
    const file = path.join(table, '_delta_log', `${fmtVersion(version)}.json`);
    super('E_DELTA', `commit conflict: version ${version} of Delta table ${table} was already committed by another writer`, {
      file,
      fix: 'retry the write: it re-reads the table and re-plans its changes on top of the new version',
    });
    this.name = 'DeltaCommitConflict';
    this.table = table;
    this.version = version;
  }
}

export const isCommitConflict = (e: unknown): e is DeltaCommitConflict => e instanceof DeltaCommitConflict;

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

async function writeSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates `<dir>/<name>` with `content` only if it does not exist; false when it already did. */
export async function createExclusive(dir: string, name: string, content: string): Promise<boolean> {
  const final = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
  await writeSynced(tmp, content);
  try {
    await link(tmp, final);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code)) throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  try {
    await writeSynced(final, content);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Commits `actions` as version `version` of `table`, or throws DeltaCommitConflict. */
export async function putCommit(table: string, version: number, actions: readonly object[]): Promise<void> {
  const logDir = path.join(table, '_delta_log');
  const text = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
  let created: boolean;
  try {
    created = await createExclusive(logDir, `${fmtVersion(version)}.json`, text);
  } catch (e) {
    throw deltaError({ table, version, file: logDir }, `cannot write commit ${version}: ${firstLine(e)}`, undefined, e);
  }
  if (!created) throw new DeltaCommitConflict(table, version);
}

export const ENGINE_INFO = 'relspec-delta-writer/0.1.0';

/** A `commitInfo` action; parameters and metrics are strings as Spark writes them. */
export function commitInfo(
  operation: string,
  readVersion: number | undefined,
  params: Record<string, unknown>,
  metrics: Record<string, number>,
  blindAppend: boolean,
): object {
  const str = (o: Record<string, unknown>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(o)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  return {
    commitInfo: {
      timestamp: Date.now(),
      operation,
      operationParameters: str(params),
      ...(readVersion === undefined ? {} : { readVersion }),
      isolationLevel: 'Serializable',
      isBlindAppend: blindAppend,
      operationMetrics: str(metrics),
      engineInfo: ENGINE_INFO,
      txnId: randomUUID(),
    },
  };
}
