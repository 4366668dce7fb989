import { RelspecError } from '../../errors.js';
import { graphToDot, graphToJson, graphToMermaid, graphToText, selectTasks, tasksOf } from '../../graph/index.js';
import { openProject, print, printJson, type GlobalOptions } from '../context.js';

const FORMATS = ['text', 'json', 'dot', 'mermaid'] as const;

export async function graphCommand(opts: GlobalOptions & { format?: string; select?: string }): Promise<number> {
  const format = (opts.format ?? 'text') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) {
    throw new RelspecError('E_USAGE', `unknown --format '${opts.format}'`, { fix: `use one of ${FORMATS.join(', ')}` });
  }
  const { project, db } = await openProject(opts);
  db.close();
  const only = opts.select ? selectTasks(project.graph, opts.select) : undefined;
  const j = graphToJson(project.graph, only);
  if (format === 'json') printJson(j);
  else if (format === 'dot') print(graphToDot(j));
  else if (format === 'mermaid') print(graphToMermaid(j));
  else print(graphToText(j, new Map(tasksOf(project.graph).map((t) => [t.name, t]))));
  return project.errors.length === 0 ? 0 : 2;
}
