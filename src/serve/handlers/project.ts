import { printGraph } from '../../cli/commands/graph.js';
import { printLineage } from '../../cli/commands/lineage.js';
import { printValidate } from '../../cli/commands/validate.js';
import { openProject } from '../../project/open.js';
import type { Out } from '../../cli/out.js';
import type { Project } from '../../project/load.js';
import type { Request } from '../protocol.js';

/**
 * Loads the project from the config file the CLI found, as the CLI would: with its own state
 * connection (SQLite WAL), so a run in progress on the daemon's connection is not joined.
 */
async function withProject(configFile: string, fn: (p: Project) => number): Promise<number> {
  const { project, db } = await openProject({ config: configFile });
  db.close();
  return fn(project);
}

export const handleGraph = (req: Extract<Request, { type: 'graph' }>, out: Out): Promise<number> =>
  withProject(req.configFile, (p) => printGraph(p, req, out));

export const handleLineage = (req: Extract<Request, { type: 'lineage' }>, out: Out): Promise<number> =>
  withProject(req.configFile, (p) => printLineage(p, req.tasks, req, out));

export const handleValidate = (req: Extract<Request, { type: 'validate' }>, out: Out): Promise<number> =>
  withProject(req.configFile, (p) => printValidate(p, req, out));
