import path from 'node:path';
import { RelspecError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, importConfig } from './importModule.js';

/** Where a project's records live: all `status`, `why` and `history` need from its config. */
export interface StateLocation {
  root: string;
  stateDir: string;
}

/**
 * Finds the state directory the way resolveConfig does (`state`, relative to the config's
 * directory, default `state`) without validating the rest of the config. The read commands must
 * start within 3× a bare `node` (issue 13, bench/cli.ts), and zod alone costs more than that margin;
 * it also lets `status` and `why` explain the last run while the config is mid-edit and invalid.
 */
export async function locateState(configPath = DEFAULT_CONFIG_FILE, cwd = process.cwd()): Promise<StateLocation> {
  const { file, value } = await importConfig(configPath, cwd);
  const root = path.dirname(file);
  const raw: unknown = (value as { state?: unknown }).state;
  const state: unknown = raw !== null && typeof raw === 'object' ? (raw as { dir?: unknown }).dir : raw;
  if (state !== undefined && (typeof state !== 'string' || state === '')) {
    throw new RelspecError('E_CONFIG', '`state` must be a non-empty path', {
      file,
      fix: "set `state: 'state'` (or `state: { dir: 'state' }`) or remove it",
    });
  }
  return { root, stateDir: path.resolve(root, state ?? 'state') };
}
