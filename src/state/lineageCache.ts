import type { LineageCache } from '../lineage/cache.js';
import type { ParseResult } from '../lineage/parse.js';
import type { ColumnLineage } from '../lineage/types.js';
import type { Db } from './db.js';

/** SQLite-backed lineage cache: reads everything once, writes new entries in one transaction. */
export class SqliteLineageCache implements LineageCache {
  private parses = new Map<string, ParseResult>();
  private columns = new Map<string, ColumnLineage>();
  private newParses = new Map<string, ParseResult>();
  private newColumns = new Map<string, ColumnLineage>();

  constructor(private readonly db: Db) {
    for (const r of db.prepare('SELECT sql_hash, result FROM lineage_parse').iterate() as Iterable<{ sql_hash: string; result: string }>) {
      this.parses.set(r.sql_hash, JSON.parse(r.result) as ParseResult);
    }
    for (const r of db.prepare('SELECT key, result FROM lineage_columns').iterate() as Iterable<{ key: string; result: string }>) {
      this.columns.set(r.key, JSON.parse(r.result) as ColumnLineage);
    }
  }

  getParse(k: string) {
    return this.parses.get(k);
  }
  putParse(k: string, r: ParseResult) {
    this.parses.set(k, r);
    this.newParses.set(k, r);
  }
  getColumns(k: string) {
    return this.columns.get(k);
  }
  putColumns(k: string, r: ColumnLineage) {
    this.columns.set(k, r);
    this.newColumns.set(k, r);
  }
  flush(): void {
    if (this.newParses.size === 0 && this.newColumns.size === 0) return;
    const p = this.db.prepare('INSERT OR REPLACE INTO lineage_parse (sql_hash, result) VALUES (?, ?)');
    const c = this.db.prepare('INSERT OR REPLACE INTO lineage_columns (key, result) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [k, r] of this.newParses) p.run(k, JSON.stringify(r));
      for (const [k, r] of this.newColumns) c.run(k, JSON.stringify(r));
    })();
    this.newParses.clear();
    this.newColumns.clear();
  }
}
