import { loadConfig, type LoadedConfig } from '../config/load.js';
import { openStateDb, type Db } from '../state/db.js';
import { loadProject, type Project } from './load.js';

/** Loads the project with the state database as lineage cache; the caller closes `db`. */
export async function openProject(opts: { config?: string }, preloaded?: LoadedConfig): Promise<{ project: Project; db: Db }> {
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
