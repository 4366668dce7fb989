export { openStateDb, STATE_DB, type Db } from './db.js';
export { SqliteLineageCache } from './lineageCache.js';
export * from './store.js';
