import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG_FILE, importConfig, type LoadOptions } from './importModule.js';
import type { ResolvedConfig } from './types.js';
import { resolveConfig } from './validate.js';
import path from 'node:path';

export interface LoadedConfig {
  config: ResolvedConfig;
  /** Hash of the config file's text: a config edit is a root change. */
  hash: string;
}

/** Loads the config (see importConfig) and resolves it into the validated, fully-defaulted config. */
export async function loadConfig(configPath = DEFAULT_CONFIG_FILE, cwd = process.cwd(), opts: LoadOptions = {}): Promise<LoadedConfig> {
  const { file, text, value } = await importConfig(configPath, cwd, opts);
  const config = resolveConfig(value, path.dirname(file), file);
  return { config, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
