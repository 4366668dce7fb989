import { Command, CommanderError } from 'commander';
import { RelspecError, RelspecErrors } from '../errors.js';
import { graphCommand } from './commands/graph.js';
import { lineageCommand } from './commands/lineage.js';
import { validateCommand } from './commands/validate.js';
import { runCommand } from './commands/run.js';
import { deltaChanges, deltaHistory, deltaInspect } from './commands/delta.js';
import { historyCommand } from './commands/history.js';
import { statusCommand } from './commands/status.js';
import { whyCommand } from './commands/why.js';
import { showCommand } from './commands/show.js';
import { watchCommand } from './commands/watch.js';

type Action = (...args: never[]) => Promise<number>;

/** Runs the CLI; resolves to the exit code: 0 ok, 1 a task failed or a bug, 2 config/graph/usage error. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('relspec')
    .description('Incremental, reactive build daemon for SQL data pipelines')
    .option('-c, --config <file>', 'config file', 'watch.config.ts')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const wrap =
    (fn: Action) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = { ...program.opts(), ...cmd.opts() };
      code = await (fn as (...a: unknown[]) => Promise<number>)(...args.slice(0, -2), opts);
    };

  program
    .command('run')
    .description('observe changes and rebuild exactly the tasks whose result can change')
    .option('-s, --select <selector>', 'limit the run: name, +name, name+, tag:x, comma-separated')
    .option('--full-refresh', 'ignore traces for the selection: rebuild it all')
    .option('--json', 'machine-readable output')
    .option('-v, --verbose', 'also list skipped tasks')
    .action(wrap((o: never) => runCommand(o)));
  program
    .command('plan')
    .description('show what `relspec run` would do, without executing')
    .option('-s, --select <selector>', 'limit the plan to a selection')
    .option('--full-refresh', 'ignore traces for the selection')
    .option('--json', 'machine-readable output')
    .option('-v, --verbose', 'also list skipped tasks')
    .action(wrap((o: never) => runCommand(o, true)));
  program
    .command('validate')
    .description('load the config, catalog tasks, infer lineage and validate the graph')
    .option('--json', 'machine-readable output')
    .action(wrap((o: never) => validateCommand(o)));
  program
    .command('lineage')
    .argument('[task...]', 'tasks to show (default: all)')
    .description('per task: output, inputs with required columns, plan fingerprint, notes')
    .option('--json', 'machine-readable output')
    .action(wrap((names: never, o: never) => lineageCommand(names, o)));
  program
    .command('graph')
    .description('print the task graph')
    .option('-f, --format <format>', 'text | json | dot | mermaid', 'text')
    .option('-s, --select <selector>', 'name, +name, name+, tag:x, comma-separated')
    .action(wrap((o: never) => graphCommand(o)));

  program
    .command('why')
    .argument('<name>', 'a task, or an output (explains each of its producers)')
    .description('why a task was built in the latest run (or run N) — causes down to root changes — or why not')
    .option('-r, --run <n>', 'explain run N instead of the latest')
    .option('--json', 'machine-readable output')
    .action(wrap((name: never, o: never) => whyCommand(name, o)));
  program
    .command('status')
    .description('per task: last build, last status, fresh or stale now')
    .option('--json', 'machine-readable output')
    .action(wrap((o: never) => statusCommand(o)));
  program
    .command('history')
    .description('runs, newest first: trigger, start, duration, status, counts, graph signature, root changes')
    .option('-n, --limit <n>', 'how many runs', '20')
    .option('--json', 'machine-readable output')
    .action(wrap((o: never) => historyCommand(o)));

  program
    .command('show')
    .argument('<name>', 'a source or an output')
    .description('print the rows of a source or output as the last run left them (sorted, first 50)')
    .option('-n, --limit <n>', 'how many rows', '50')
    .option('-o, --order <sql>', "ORDER BY list, e.g. 'fan_in desc, id' (default: every column)")
    .option('--json', 'machine-readable output')
    .action(wrap((name: never, o: never) => showCommand(name, o)));

  program
    .command('watch')
    .description('keep the project fresh: rebuild the impacted tasks on every source, task or config change')
    .option('--json-log', 'one JSON object per log line')
    .action(wrap((o: never) => watchCommand(o)));

  const delta = program.command('delta').description('read Delta tables: inspect, changes, history');
  delta
    .command('inspect')
    .argument('<dir>', 'the table directory')
    .option('--version <n>', 'time travel to this version')
    .option('--json', 'machine-readable output')
    .action(wrap((dir: never, o: never) => deltaInspect(dir, o)));
  delta
    .command('changes')
    .argument('<dir>', 'the table directory')
    .requiredOption('--from <n>', 'first version')
    .option('--to <n>', 'last version (default: latest)')
    .option('--rows', 'print the change rows')
    .option('--json', 'machine-readable output')
    .action(wrap((dir: never, o: never) => deltaChanges(dir, o)));
  delta
    .command('history')
    .argument('<dir>', 'the table directory')
    .option('--json', 'machine-readable output')
    .action(wrap((dir: never, o: never) => deltaHistory(dir, o)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof RelspecErrors) {
    for (const x of e.errors) process.stderr.write(`relspec: ${x.oneLine()}\n`);
    return 2;
  }
  if (e instanceof RelspecError) {
    process.stderr.write(`relspec: ${e.oneLine()}\n`);
    return 2;
  }
  process.stderr.write(`relspec: internal error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
