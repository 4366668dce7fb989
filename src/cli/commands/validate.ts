import { generations, graphSignature, criticalPath } from '../../graph/index.js';
import { openProject, plural, print, printJson, type GlobalOptions } from '../context.js';
import { sourceDatasets } from '../../sources/code/index.js';
import { formatWarning } from '../../project/warnings.js';
import { projectWarnings } from '../../incremental/caveats.js';
import { warningJson, warningLine } from '../../incremental/caveatText.js';

export async function validateCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { project, db } = await openProject(opts);
  db.close();
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
    printJson(summary);
  } else {
    for (const e of errors) process.stderr.write(`error ${e.oneLine()}\n`);
    for (const w of project.warnings) process.stderr.write(`warning ${formatWarning(w)}\n`);
    for (const w of projectWarnings(graph)) process.stderr.write(`${warningLine(w, config.root)}\n`);
    print(
      `${summary.ok ? 'ok' : plural(errors.length, 'error')}: ` +
        `${plural(summary.sources, 'source')}${summary.sourceDatasets !== summary.sources ? ` (${plural(summary.sourceDatasets, 'dataset')})` : ''}, ${plural(summary.tasks, 'task')}, ${plural(summary.outputs, 'output')}, ${plural(summary.generations, 'generation')}` +
        ` (critical path ${summary.criticalPath.length}: ${summary.criticalPath.join(' → ') || '-'})`,
    );
    print(`signature ${summary.signature}`);
  }
  return errors.length === 0 ? 0 : 2;
}
