export { Warehouse, WAREHOUSE_FILE, SLICE_SCHEMA, sliceName, type MaterializeResult } from './warehouse.js';
export * from './tokens.js';
