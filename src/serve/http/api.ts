import { Hono } from 'hono';
import { RelspecError } from '../../errors.js';
import { graphToJson, taskId } from '../../graph/index.js';
import { history } from '../../incremental/history.js';
import { status } from '../../incremental/status.js';
import { why } from '../../incremental/why.js';
import { projectCache, withReader, type UiBackend } from './backend.js';
import { whyLines } from '../../format/why.js';
import { contractOf } from '../../catalog/contract.js';

const positive = (s: string | undefined, what: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new RelspecError('E_USAGE', `${what} must be a positive integer, got '${s}'`);
  return n;
};

/**
 * The read API. Each answer is the JSON of the matching CLI `--json` (status, why, history), so a
 * script can move between the two; the graph adds each task's last status and what runs now.
 */
export function readApi(backend: UiBackend): Hono {
  const api = new Hono();
  const project = projectCache(backend);

  api.get('/status', (c) => c.json(withReader(backend, (r) => status(r.store, { writerAlive: r.writerAlive }))));

  api.get('/graph', async (c) => {
    const p = await project();
    const tasks = withReader(backend, (r) => status(r.store, { writerAlive: r.writerAlive }).tasks);
    const byName = Object.fromEntries(
      tasks.map((t) => [t.task, { lastStatus: t.lastStatus, lastRun: t.lastRun, state: t.state, reason: t.reason ?? null }]),
    );
    return c.json({ ...graphToJson(p.graph), status: byName, ...(backend.events?.now() ?? { running: [], run: null }) });
  });

  api.get('/tasks/:name', async (c) => {
    const name = c.req.param('name');
    const p = await project();
    const spec = p.taskByName.get(name);
    if (!spec) throw new RelspecError('E_SELECT', `no task '${name}'`, { fix: 'see /api/graph for the tasks' });
    const t = p.graph.hasNode(taskId(name)) ? p.graph.getNodeAttribute(taskId(name), 'task') : undefined;
    const inputs = (t?.reads ?? []).map((input) => ({ name: input, columns: t?.columns?.[input] ?? null }));
    // The declared contract (`-- @contract`, `-- @unique`), null when there is none.
    const contract = contractOf(spec.options) ?? null;
    return c.json({ task: name, output: spec.options.output, file: spec.file, sql: spec.sql, inputs, contract });
  });

  api.get('/why/:name', (c) => {
    const name = c.req.param('name');
    const runId = positive(c.req.query('run'), 'run');
    return withReader(backend, (r) => {
      const res = why(r.store, name, { runId });
      if (c.req.query('format') === 'text') return c.json({ lines: whyLines(res, name, backend.config().config.root) });
      return c.json(res.explanations.length === 1 ? res.explanations[0] : { target: res.target, producers: res.explanations });
    });
  });

  api.get('/runs', (c) => {
    const limit = positive(c.req.query('limit'), 'limit') ?? 20;
    return c.json({ runs: withReader(backend, (r) => history(r.store, limit, { writerAlive: r.writerAlive })) });
  });

  api.get('/runs/:id', (c) => {
    const id = positive(c.req.param('id'), 'run id')!;
    return withReader(backend, (r) => {
      const last = r.store.lastRunId() ?? 0;
      if (id > last) throw new RelspecError('E_SELECT', `no run ${id}`, { fix: `runs are numbered 1 to ${last}` });
      // history() reads newest first: the run is the last of the newest `last - id + 1`.
      const run = history(r.store, last - id + 1, { writerAlive: r.writerAlive }).at(-1)!;
      return c.json({ ...run, tasks: r.store.taskRunsOf(id) });
    });
  });

  return api;
}
