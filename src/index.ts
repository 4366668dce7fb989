export { defineConfig } from './config/types.js';
export type { UserConfig, SourceConfig, ResolvedConfig, SourceFormat } from './config/types.js';
export { RelspecError, RelspecErrors } from './errors.js';
