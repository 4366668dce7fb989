export * from './types.js';
export { resolveConfig } from './validate.js';
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadedConfig } from './load.js';
