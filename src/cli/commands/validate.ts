import { generations, graphSignature, criticalPath } from '../../graph/index.js';
import { loadConfig } from '../../config/load.js';
import type { Project } from '../../project/load.js';
import { serveProjectCommand } from '../../serve/client.js';
import { plural, type GlobalOptions } from '../context.js';
import { openProject } from '../../project/open.js';
import { stdio, type Out } from '../out.js';
import { sourceDatasets } from '../../sources/code/index.js';
import { formatWarning } from '../../project/warnings.js';
import { projectWarnings } from '../../incremental/caveats.js';
import { warningJson, warningLine } from '../../incremental/caveatText.js';

export async function validateCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const served = await serveProjectCommand(loaded, { type: 'validate', json: opts.json });
  if (served !== undefined) return served;
  const { project, db } = await openProject(opts, loaded);
  db.close();
  return printValidate(project, opts, stdio);
}

export function printValidate(project: Project, opts: { json?: boolean }, o: Out): number {
  const { graph, errors, lineage, tasks, config } = project;
  const gens = generations(graph);
  const outputs = new Set(tasks.map((t) => t.options.output));
  const summary = {
    ok: errors.length === 0,
    config: config.configFile,
    sources: Object.keys(config.sources).length,
    // A code source is five tables (code.files, code.symbols, …): tasks read datasets.
    sourceDatasets: Object.values(config.sources).flatMap(sourceDatasets).length,
    tasks: tasks.length,
    outputs: outputs.size,
    generations: gens.length,
    criticalPath: criticalPath(
      graph,
      gens.flat().map((t) => t.name),
    ),
    signature: graphSignature(graph),
    lineage: lineage.stats,
    timingsMs: Object.fromEntries(Object.entries(project.timings).map(([k, v]) => [k, Math.round(v)])),
    errors: errors.map((e) => e.toJSON()),
    warnings: [...project.warnings.map((w) => ({ ...w, message: formatWarning(w) })), ...projectWarnings(graph).map(warningJson)],
  };
  if (opts.json) {
    o.printJson(summary);
  } else {
    for (const e of errors) o.err(`error ${e.oneLine()}\n`);
    for (const w of project.warnings) o.err(`warning ${formatWarning(w)}\n`);
    for (const w of projectWarnings(graph)) o.err(`${warningLine(w, config.root)}\n`);
    o.print(
      `${summary.ok ? 'ok' : plural(errors.length, 'error')}: ` +
        `${plural(summary.sources, 'source')}${summary.sourceDatasets !== summary.sources ? ` (${plural(summary.sourceDatasets, 'dataset')})` : ''}, ${plural(summary.tasks, 'task')}, ${plural(summary.outputs, 'output')}, ${plural(summary.generations, 'generation')}` +
        ` (critical path ${summary.criticalPath.length}: ${summary.criticalPath.join(' → ') || '-'})`,
    );
    o.print(`signature ${summary.signature}`);
  }
  return errors.length === 0 ? 0 : 2;
}
