import { Command, CommanderError } from 'commander';
import { RelspecError, RelspecErrors } from '../errors.js';
import { command, commandWith, flag, operand, register, type CommandDef } from './options.js';

// Every action lazy-imports its command module: importing them here would load DuckDB and
// TypeScript (~0.8 s of CPU) for `relspec --help` (test/cli/startup.test.ts).

const json = flag.boolean('--json', 'machine-readable output');

const runFlags = (what: string) => ({
  select: flag.string('-s, --select <selector>', what),
  fullRefresh: flag.boolean('--full-refresh', 'ignore traces for the selection: rebuild it all'),
  json,
  verbose: flag.boolean('-v, --verbose', 'also list skipped tasks'),
});

const commands: CommandDef[] = [
  command({
    name: 'run',
    description: 'observe changes and rebuild exactly the tasks whose result can change',
    flags: runFlags('limit the run: name, +name, name+, tag:x, comma-separated'),
    run: async (o) => (await import('./commands/run.js')).runCommand(o),
  }),
  command({
    name: 'plan',
    description: 'show what `relspec run` would do, without executing',
    flags: {
      ...runFlags('limit the plan to a selection'),
      fullRefresh: flag.boolean('--full-refresh', 'ignore traces for the selection'),
    },
    run: async (o) => (await import('./commands/run.js')).runCommand(o, true),
  }),
  command({
    name: 'validate',
    description: 'load the config, catalog tasks, infer lineage and validate the graph',
    flags: { json },
    run: async (o) => (await import('./commands/validate.js')).validateCommand(o),
  }),
  commandWith({
    name: 'lineage',
    operand: operand.variadic('task', 'tasks to show (default: all)'),
    description: 'per task: output, inputs with required columns, plan fingerprint, notes',
    flags: { json },
    run: async (names, o) => (await import('./commands/lineage.js')).lineageCommand(names, o),
  }),
  command({
    name: 'graph',
    description: 'print the task graph',
    flags: {
      format: flag.string('-f, --format <format>', 'text | json | dot | mermaid', 'text'),
      select: flag.string('-s, --select <selector>', 'name, +name, name+, tag:x, comma-separated'),
      json: flag.boolean('--json', 'the same as --format json'),
    },
    run: async (o) => (await import('./commands/graph.js')).graphCommand(o),
  }),
  commandWith({
    name: 'why',
    operand: operand.required('name', 'a task, or an output (explains each of its producers)'),
    description: 'why a task was built in the latest run (or run N) — causes down to root changes — or why not',
    flags: {
      run: flag.integer('-r, --run <n>', 'explain run N instead of the latest', {
        min: 1,
        fix: 'pick a run number from `relspec history`',
      }),
      json,
    },
    run: async (name, o) => (await import('./commands/why.js')).whyCommand(name, o),
  }),
  command({
    name: 'status',
    description: 'per task: last build, last status, fresh or stale now',
    flags: { json },
    run: async (o) => (await import('./commands/status.js')).statusCommand(o),
  }),
  command({
    name: 'history',
    description: 'runs, newest first: trigger, start, duration, status, counts, graph signature, root changes',
    flags: { limit: flag.integer('-n, --limit <n>', 'how many runs', { min: 1, fix: 'e.g. --limit 10', default: 20 }), json },
    run: async (o) => (await import('./commands/history.js')).historyCommand(o),
  }),
  commandWith({
    name: 'show',
    operand: operand.required('name', 'a source or an output'),
    description: 'print the rows of a source or output as the last run left them (sorted, first 50)',
    flags: {
      limit: flag.integer('-n, --limit <n>', 'how many rows', { min: 0, fix: 'e.g. --limit 100', default: 50 }),
      order: flag.string('-o, --order <sql>', "ORDER BY list, e.g. 'fan_in desc, id' (default: every column)"),
      json,
    },
    run: async (name, o) => (await import('./commands/show.js')).showCommand(name, o),
  }),
  commandWith({
    name: 'query',
    operand: operand.required('sql', 'one read-only query: SELECT, WITH, FROM-first or VALUES'),
    description: 'run a read-only query over the sources and outputs, by the names tasks use',
    flags: {
      limit: flag.integer('-n, --limit <n>', 'at most this many rows', { min: 0, fix: 'e.g. --limit 100', default: 1000 }),
      json,
      csv: flag.boolean('--csv', 'CSV with a header row'),
    },
    run: async (sql, o) => (await import('./commands/query.js')).queryCommand(sql, o),
  }),
  command({
    name: 'watch',
    description: 'keep the project fresh: rebuild the impacted tasks on every source, task or config change',
    flags: {
      jsonLog: flag.boolean('--json-log', 'one JSON object per log line'),
      port: flag.integer('-p, --port <n>', "the page's port (default: watch.port, else a free one)", { min: 0, fix: 'e.g. --port 8765' }),
    },
    run: async (o) => (await import('./commands/watch.js')).watchCommand(o),
  }),
  command({
    name: 'ui',
    description: 'serve the page and JSON API over the state directory (what `relspec watch` serves), on 127.0.0.1',
    flags: { port: flag.integer('-p, --port <n>', 'port (default: watch.port, else a free one)', { min: 0, fix: 'e.g. --port 8765' }) },
    run: async (o) => (await import('./commands/ui.js')).uiCommand(o),
  }),
];

const tableDir = operand.required('dir', 'the table directory');
const version = (flags: string, description: string, required = false) =>
  flag.integer(flags, description, { min: 0, fix: `e.g. ${flags.split(' ')[0]} 3`, required });

const deltaCommands: CommandDef[] = [
  commandWith({
    name: 'inspect',
    operand: tableDir,
    description: '',
    flags: {
      version: version('--version <n>', 'time travel to this version'),
      timestamp: flag.string('--timestamp <iso>', 'time travel to the latest commit at or before this ISO-8601 time'),
      json,
    },
    run: async (dir, o) => (await import('./commands/delta.js')).deltaInspect(dir, o),
  }),
  commandWith({
    name: 'changes',
    operand: tableDir,
    description: '',
    flags: {
      from: version('--from <n>', 'first version', true),
      to: version('--to <n>', 'last version (default: latest)'),
      rows: flag.boolean('--rows', 'print the change rows'),
      json,
    },
    run: async (dir, o) => (await import('./commands/delta.js')).deltaChanges(dir, o),
  }),
  commandWith({
    name: 'history',
    operand: tableDir,
    description: '',
    flags: { json },
    run: async (dir, o) => (await import('./commands/delta.js')).deltaHistory(dir, o),
  }),
];

/** Runs the CLI; resolves to the exit code: 0 ok, 1 a task failed or a bug, 2 config/graph/usage error. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const done = (c: number) => {
    code = c;
  };
  const program = new Command('relspec')
    .description('Incremental, reactive build daemon for SQL data pipelines')
    .option('-c, --config <file>', 'config file', 'watch.config.ts')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const def of commands) register(program, def, done);
  const delta = program.command('delta').description('read Delta tables: inspect, changes, history');
  for (const def of deltaCommands) register(delta, def, done);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return reportError(e, wantsJson(argv));
  }
}

/** `--json` anywhere before a `--` (an operand after it is data, e.g. a query's text). */
const wantsJson = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
};

/** In --json mode an error is also a document on stdout: `{ "error": { code, file, message, fix } }` (all errors under `errors`). */
function printJsonError(errors: readonly { code: string; message: string; file?: string; fix?: string }[]): void {
  const one = (x: (typeof errors)[number]) => ({ code: x.code, file: x.file ?? null, message: x.message, fix: x.fix ?? null });
  const doc = { error: one(errors[0]!), ...(errors.length > 1 ? { errors: errors.map(one) } : {}) };
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

export function reportError(e: unknown, json = false): number {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return 0;
    if (json) printJsonError([{ code: 'E_USAGE', message: e.message.replace(/^error: /, '') }]);
    return 2;
  }
  // The JSON document is for the program reading stdout; stderr keeps the line a person reads.
  const known = e instanceof RelspecErrors ? e.errors : e instanceof RelspecError ? [e] : [];
  if (json && known.length > 0) printJsonError(known.map((x) => x.toJSON()));
  if (e instanceof RelspecErrors) {
    for (const x of e.errors) process.stderr.write(`relspec: ${x.oneLine()}\n`);
    return 2;
  }
  // The state is held by another process: its message is the whole line (who holds it, what to do).
  if (e instanceof RelspecError && e.code === 'E_LOCKED') {
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (e instanceof RelspecError) {
    process.stderr.write(`relspec: ${e.oneLine()}\n`);
    return 2;
  }
  process.stderr.write(`relspec: internal error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  if (json) printJsonError([{ code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) }]);
  return 1;
}
