/**
 * Versioned schema: entry i migrates user_version i → i+1. Never edit a shipped entry; append.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: lineage caches.
  `
  CREATE TABLE lineage_parse (
    sql_hash TEXT PRIMARY KEY,
    result   TEXT NOT NULL
  );
  CREATE TABLE lineage_columns (
    key     TEXT PRIMARY KEY,
    result  TEXT NOT NULL
  );
  `,
];
