export * from './types.js';
export { resolveConfig } from './validate.js';
export { loadConfig } from './load.js';
