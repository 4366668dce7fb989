import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createJiti } from 'jiti';
import { RelspecError, errorMessage } from '../errors.js';
import type { ResolvedConfig } from './types.js';
import { resolveConfig } from './validate.js';

export const DEFAULT_CONFIG_FILE = 'watch.config.ts';

export interface LoadedConfig {
  config: ResolvedConfig;
  /** Hash of the config file's text: a config edit is a root change. */
  hash: string;
}

/**
 * Loads `watch.config.ts` (or .js/.mjs/.json) with jiti, so a config outside this repository — with
 * no import of relspec at all — works too. Each load re-reads the file: jiti's module cache is off
 * so a daemon's reload sees the edit.
 */
export async function loadConfig(configPath = DEFAULT_CONFIG_FILE, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = path.resolve(cwd, configPath);
  if (!existsSync(file)) {
    throw new RelspecError('E_CONFIG_LOAD', 'config file not found', {
      file,
      fix: `create ${path.basename(file)} or pass --config PATH`,
    });
  }
  const text = readFileSync(file, 'utf8');
  let mod: unknown;
  try {
    if (file.endsWith('.json')) {
      mod = JSON.parse(text);
    } else {
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, interopDefault: true });
      mod = await jiti.import(file, { default: true });
    }
  } catch (e) {
    const first = errorMessage(e).split('\n')[0];
    throw new RelspecError('E_CONFIG_LOAD', `cannot load config: ${first}`, {
      file,
      fix: 'fix the syntax error; the config must `export default defineConfig({...})` or a plain object',
      cause: e,
    });
  }
  if (mod === null || typeof mod !== 'object' || Array.isArray(mod)) {
    throw new RelspecError('E_CONFIG_LOAD', `config must export an object, got ${mod === null ? 'null' : typeof mod}`, {
      file,
      fix: 'use `export default defineConfig({ sources: {...} })`',
    });
  }
  const config = resolveConfig(mod, path.dirname(file), file);
  return { config, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
