import { defineConfig } from './src/index.js';

// The embedded default: a small shop pipeline over parquet files written by
// examples/shop/generate.mjs (run by `npm start` when missing).
export default defineConfig({
  sources: {
    orders: { format: 'parquet', path: 'examples/shop/data/orders.parquet' },
    customers: { format: 'parquet', path: 'examples/shop/data/customers.parquet' },
    products: { format: 'parquet', path: 'examples/shop/data/products.parquet' },
  },
  tasks: 'examples/shop/tasks',
  state: 'state',
});
