import { afterEach, describe, expect, it } from 'vitest';
import { Warehouse } from '../../src/engine/warehouse.js';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';

/**
 * A second connection on the daemon's own DuckDB instance serves `relspec query` while runs write.
 * It must see each output before or after a build, never missing: a task switching between table
 * and view drops one kind and creates the other, and a view in a schema is two statements.
 */
describe('reads on another connection while outputs are rebuilt', () => {
  let tree: TempTree | undefined;
  let wh: Warehouse | undefined;
  afterEach(() => {
    wh?.close();
    tree?.dispose();
  });

  it('never find an output missing or half-made across table ⇄ view switches and schema views', async () => {
    tree = createTempTree();
    wh = await Warehouse.open(tree.path('state'));
    await wh.ensureSchema('staging.t');
    const targets = ['"main"."t"', '"staging"."t"'];
    const schema = [{ name: 'n', type: 'BIGINT' }];
    for (const t of targets) await wh.materialize(t, 'table', 'SELECT 1::BIGINT AS n', [['n']], schema);
    await wh.relations();
    const reader = await wh.instance.connect();
    let stop = false;
    const failures: string[] = [];
    let reads = 0;
    const readLoop = (async () => {
      while (!stop) {
        for (const t of targets) {
          try {
            const r = await reader.runAndReadAll(`SELECT n FROM ${t}`);
            const n = Number(r.getRows()[0]?.[0]);
            if (!(n >= 1)) failures.push(`${t}: read ${n}`);
          } catch (e) {
            failures.push(`${t}: ${(e as Error).message.split('\n')[0]}`);
          }
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 2; i < 80; i++) {
      for (const t of targets) await wh.materialize(t, i % 2 ? 'view' : 'table', `SELECT ${i}::BIGINT AS n`, [['n']], schema);
    }
    stop = true;
    await readLoop;
    reader.closeSync();
    expect(reads).toBeGreaterThan(20);
    expect(failures.slice(0, 5)).toEqual([]);
  });
});
