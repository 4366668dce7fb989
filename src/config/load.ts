import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG_FILE, importConfig, type LoadOptions } from './importModule.js';
import type { ResolvedConfig } from './types.js';
import { resolveConfig } from './validate.js';
import path from 'node:path';

export interface LoadedConfig {
  config: ResolvedConfig;
  /** Fingerprint of the resolved config: a change to what it says is a root change, a comment or a reformat is not. */
  hash: string;
}

/** Loads the config (see importConfig) and resolves it into the validated, fully-defaulted config. */
export async function loadConfig(configPath = DEFAULT_CONFIG_FILE, cwd = process.cwd(), opts: LoadOptions = {}): Promise<LoadedConfig> {
  const { file, value } = await importConfig(configPath, cwd, opts);
  const config = resolveConfig(value, path.dirname(file), file);
  return { config, hash: configFingerprint(config) };
}

/** Key order is the writer's choice, not a change: keys are sorted at every level. */
export function configFingerprint(config: ResolvedConfig): string {
  return createHash('sha256').update(stableJson(config)).digest('hex').slice(0, 16);
}

/**
 * The part of the config a build depends on: where events go, how the watcher debounces, how many
 * run bundles are kept, how many tasks build at once (the results are the same at any
 * concurrency; its default is the machine's CPU count) and when a key-scoped task refreshes by key
 * (a key-scoped refresh equals a full one) change no output, so editing them is not a
 * `config_edited` root change.
 */
export function buildFingerprint(config: ResolvedConfig): string {
  return configFingerprint({
    ...config,
    openlineage: undefined,
    watch: undefined,
    keepRuns: undefined,
    engine: { ...config.engine, concurrency: undefined, keyThreshold: undefined },
  } as unknown as ResolvedConfig);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
