import { RelspecError } from '../../errors.js';
import { graphToDot, graphToJson, graphToMermaid, graphToText, selectTasks, tasksOf } from '../../graph/index.js';
import { loadConfig } from '../../config/load.js';
import type { Project } from '../../project/load.js';
import { serveProjectCommand } from '../../serve/client.js';
import type { GlobalOptions } from '../context.js';
import { openProject } from '../../project/open.js';
import { stdio, type Out } from '../out.js';

const FORMATS = ['text', 'json', 'dot', 'mermaid'] as const;

export type GraphCliOptions = GlobalOptions & { format?: string; select?: string; json?: boolean };

export async function graphCommand(opts: GraphCliOptions): Promise<number> {
  if (opts.json && opts.format !== undefined && opts.format !== 'text' && opts.format !== 'json') {
    throw new RelspecError('E_USAGE', `--json and --format ${opts.format} disagree`, { fix: 'pass one of them' });
  }
  const format = (opts.json ? 'json' : (opts.format ?? 'text')) as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) {
    throw new RelspecError('E_USAGE', `unknown --format '${opts.format}'`, { fix: `use one of ${FORMATS.join(', ')}` });
  }
  const loaded = await loadConfig(opts.config);
  const served = await serveProjectCommand(loaded, { type: 'graph', format, select: opts.select });
  if (served !== undefined) return served;
  const { project, db } = await openProject(opts, loaded);
  db.close();
  return printGraph(project, { ...opts, format }, stdio);
}

export function printGraph(project: Project, opts: GraphCliOptions, out: Out): number {
  const format = opts.format ?? 'text';
  const only = opts.select ? selectTasks(project.graph, opts.select) : undefined;
  const j = graphToJson(project.graph, only);
  if (format === 'json') out.printJson(j);
  else if (format === 'dot') out.print(graphToDot(j));
  else if (format === 'mermaid') out.print(graphToMermaid(j));
  else out.print(graphToText(j, new Map(tasksOf(project.graph).map((t) => [t.name, t]))));
  return project.errors.length === 0 ? 0 : 2;
}
