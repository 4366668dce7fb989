import { RelspecError } from '../errors.js';
import { compiledMemo, taskCycles } from './compiled.js';
import { sourceId, taskId, tasksOf, type RelGraph } from './model.js';
import { validateContracts } from './contracts.js';

/** A shortest cycle through `start` inside its strongly connected component, as task names. */
function cycleThrough(g: RelGraph, start: string, members: ReadonlySet<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const up of downstreamTasks(g, cur)) {
      if (!members.has(up)) continue;
      if (up === start) {
        const path = [cur];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return [...path, start];
      }
      if (!prev.has(up)) {
        prev.set(up, cur);
        queue.push(up);
      }
    }
  }
  return [start, start];
}

function downstreamTasks(g: RelGraph, task: string): string[] {
  const out: string[] = [];
  g.forEachOutNeighbor(taskId(task), (ev) => g.forEachOutNeighbor(ev, (_, a) => void out.push(a.name)));
  return out.sort();
}

/**
 * Every structural error at once: output names clashing with sources, tasks reading their own
 * output, cycles (each reported as a path of task names), and outputs that break their contract.
 */
export function validateGraph(g: RelGraph): RelspecError[] {
  const errors: RelspecError[] = [];
  const tasks = tasksOf(g);
  for (const t of tasks) {
    if (g.hasNode(sourceId(t.output))) {
      errors.push(
        new RelspecError('E_GRAPH', `task ${t.name} writes output '${t.output}', which is also a source name`, {
          file: t.file,
          fix: `rename the output (\`-- @output NAME\`) or the source`,
        }),
      );
    } else if (t.reads.includes(t.output)) {
      errors.push(
        new RelspecError('E_GRAPH', `task ${t.name} reads its own output '${t.output}'`, {
          file: t.file,
          fix: 'a task cannot depend on itself; read the upstream datasets instead',
        }),
      );
    }
  }
  const byName = new Map(tasks.map((t) => [t.name, t]));
  for (const names of taskCycles(g)) {
    const cycle = cycleThrough(g, names[0]!, new Set(names));
    errors.push(
      new RelspecError('E_GRAPH', `cycle: ${cycle.join(' → ')}`, {
        file: byName.get(names[0]!)!.file,
        fix: 'break the cycle: one of these tasks must stop reading the output of the next',
      }),
    );
  }
  // A task breaking its contract fails before it runs (its file is named: candidates.ts blocks it).
  errors.push(...validateContracts(g));
  return errors;
}

/**
 * Tasks that take part in a cycle, read their own output or write over a source: they and their
 * descendants cannot run.
 */
export function cyclicTasks(g: RelGraph): Set<string> {
  // Kept with the compiled form, which is rebuilt (without it) when the graph's shape changes.
  const memo = compiledMemo(g);
  if (!memo.cyclic) {
    const bad = new Set<string>(taskCycles(g).flat());
    for (const t of tasksOf(g)) if (t.reads.includes(t.output) || g.hasNode(sourceId(t.output))) bad.add(t.name);
    memo.cyclic = bad;
  }
  return new Set(memo.cyclic);
}
