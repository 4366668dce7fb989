import { RelspecError } from '../errors.js';
import { didYouMean, suggest } from '../util/suggest.js';
import { ancestors, descendants } from './impact.js';
import { outputId, sourceId, taskId, tasksOf, type RelGraph } from './model.js';

/**
 * Selection grammar shared by every command: `name` (a task, an output — its producers — or a
 * source), `+name` (with ancestors), `name+` (with descendants), `tag:x`, and a comma-separated
 * union of those. Returns task names.
 */
export function selectTasks(g: RelGraph, selector: string): Set<string> {
  const result = new Set<string>();
  const tasks = tasksOf(g);
  for (const raw of selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const up = raw.startsWith('+');
    const down = raw.endsWith('+') && raw.length > 1;
    const term = raw.slice(up ? 1 : 0, down ? -1 : undefined);
    let seeds: string[];
    if (term.startsWith('tag:')) {
      const tag = term.slice(4);
      const tagged = tasks.filter((t) => t.tags.includes(tag));
      if (tagged.length === 0) {
        const all = [...new Set(tasks.flatMap((t) => t.tags))];
        throw new RelspecError('E_SELECT', `no task has tag '${tag}'`, {
          fix: all.length ? `known tags: ${all.sort().join(', ')}` : 'add `-- @tags x,y` to task headers',
        });
      }
      seeds = tagged.map((t) => taskId(t.name));
    } else if (g.hasNode(taskId(term))) {
      seeds = [taskId(term)];
    } else if (g.hasNode(outputId(term))) {
      seeds = g.inNeighbors(outputId(term));
      if (!down) seeds.push(outputId(term));
    } else if (g.hasNode(sourceId(term))) {
      seeds = [sourceId(term)];
    } else {
      const names = g.mapNodes((_, a) => a.name);
      throw new RelspecError('E_SELECT', `'${term}' is not a task, output or source`, {
        fix: didYouMean(suggest(term, names)) ?? (tasks.length ? 'run `relspec graph` to list them all' : 'there are no tasks yet'),
      });
    }
    for (const id of seeds) if (g.getNodeAttribute(id, 'kind') === 'task') result.add(g.getNodeAttribute(id, 'name'));
    if (up) for (const t of ancestors(g, seeds)) result.add(t);
    if (down) for (const t of descendants(g, seeds)) result.add(t);
  }
  return result;
}
