import { loadProject, type Project } from '../project/load.js';
import { openStateDb, type Db } from '../state/db.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';

export interface GlobalOptions {
  config?: string;
}

/** Loads the project with the state database as lineage cache; the caller closes `db`. */
export async function openProject(opts: GlobalOptions, preloaded?: LoadedConfig): Promise<{ project: Project; db: Db }> {
  const loaded = preloaded ?? (await loadConfig(opts.config));
  const db = openStateDb(loaded.config.stateDir);
  try {
    const project = await loadProject({ config: loaded, db });
    return { project, db };
  } catch (e) {
    db.close();
    throw e;
  }
}

export const print = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
