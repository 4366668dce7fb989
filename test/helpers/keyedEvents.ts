import path from 'node:path';
import { createTable, writeTable } from '../../src/delta/write/index.js';
import { withDuck } from './project.js';

/**
 * The Delta source the key-scoped refresh tests share: `data/events` (path, line, v) and the config
 * that reads it with the project's `tasks/`. Each test writes its own rows (`sql`).
 */
export const EVENTS_CONFIG = `export default { sources: { events: { format: 'delta', path: 'data/events' } }, tasks: 'tasks' }`;

export const eventsTable = (dir: string): string => path.join(dir, 'data/events');

/** Creates the table in project `dir` and appends its first rows. */
export async function createEvents(dir: string, sql: string): Promise<void> {
  await withDuck((c) =>
    createTable(c, eventsTable(dir), {
      schema: [
        { name: 'path', type: 'VARCHAR' },
        { name: 'line', type: 'BIGINT' },
        { name: 'v', type: 'INTEGER' },
      ],
    }),
  );
  await writeEvents(dir, 'append', sql);
}

/** One commit: appended rows, or the rows of the keys (path) in `sql` replaced by them. */
export async function writeEvents(dir: string, mode: 'append' | 'replace', sql: string): Promise<void> {
  await withDuck((c) => writeTable(c, eventsTable(dir), { mode, sql, ...(mode === 'replace' ? { keys: ['path'] } : {}) }));
}
