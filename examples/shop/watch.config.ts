import { defineConfig } from '../../src/index.js';

// A second example: a small shop pipeline over parquet files. Write the data first:
//   node examples/shop/generate.mjs
//   node bin/relspec.js run -c examples/shop/watch.config.ts
export default defineConfig({
  sources: {
    orders: { format: 'parquet', path: 'data/orders.parquet' },
    customers: { format: 'parquet', path: 'data/customers.parquet' },
    products: { format: 'parquet', path: 'data/products.parquet' },
  },
  tasks: 'tasks',
  state: 'state',
});
