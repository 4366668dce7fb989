#!/usr/bin/env node
// Writes the example shop's parquet sources (deterministic). `npm start` runs it when they are missing;
// `node examples/shop/generate.mjs --bump` rewrites orders with a few changed amounts (to see a rebuild).
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = path.join(import.meta.dirname, 'data');
const bump = process.argv.includes('--bump');
if (!bump && existsSync(path.join(dir, 'orders.parquet'))) process.exit(0);
mkdirSync(dir, { recursive: true });
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const out = (name) => path.join(dir, `${name}.parquet`).replace(/'/g, "''");
await c.run(`COPY (
  SELECT range AS customer_id, 'customer ' || range AS name,
         ['NO', 'SE', 'DK', 'FI', 'DE'][1 + range % 5] AS country, DATE '2024-01-01' + (range % 300)::INT AS signup
  FROM range(500)) TO '${out('customers')}' (FORMAT parquet)`);
await c.run(`COPY (
  SELECT range AS product_id, ['book', 'game', 'tool', 'food'][1 + range % 4] AS category,
         round(5 + (range * 37 % 200) / 3.0, 2)::DECIMAL(10,2) AS price
  FROM range(200)) TO '${out('products')}' (FORMAT parquet)`);
const seed = bump ? Math.floor(Date.now() / 1000) % 97 : 0;
await c.run(`COPY (
  SELECT range AS order_id, (range * 7919) % 500 AS customer_id, (range * 104729) % 200 AS product_id,
         1 + range % 4 AS qty,
         (CASE WHEN range % 97 = ${seed} AND ${bump} THEN 9 ELSE 1 + range % 4 END)::INT AS units,
         TIMESTAMP '2024-01-01' + to_minutes(range * 7) AS ordered_at,
         'note ' || (range % 13) AS note
  FROM range(50000)) TO '${out('orders')}' (FORMAT parquet)`);
c.closeSync();
inst.closeSync();
console.log(`${bump ? 'bumped' : 'wrote'} example data in ${path.relative(process.cwd(), dir) || '.'}`);
