import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { spawnCli, type Proc } from '../helpers/process.js';
import { parseUiLine, request, type UiAddress } from './httpHelpers.js';

/** The page's task detail carries a task's `-- @contract` / `-- @unique` (real `relspec ui` process, real HTTP). */
describe('relspec ui: a task with a contract', () => {
  let p: TempProject;
  let ui: Proc;
  let addr: UiAddress;

  beforeAll(async () => {
    p = tempProject({
      'watch.config.ts': `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } };\n`,
      'data/people.csv': 'id,name\n1,Ann\n2,Bob\n',
      'tasks/names.sql': '-- @contract id BIGINT NOT NULL, name text\n-- @unique id\nselect id, upper(name) as name from people\n',
      'tasks/plain.sql': 'select id from names\n',
    });
    expect(p.cli(['run']).code).toBe(0);
    ui = spawnCli(p.dir, ['ui']);
    const i = await ui.waitLine((l) => l.startsWith('[ui] '), 0, 30_000);
    expect(i, ui.stderr()).toBeGreaterThanOrEqual(0);
    addr = parseUiLine(ui.lines[i]!);
  }, 60_000);
  afterAll(async () => {
    await ui?.stop();
    p?.cleanup();
  });

  it('/api/tasks/:name returns the contract (null without one), and the page renders it', async () => {
    expect((await request(addr, '/api/tasks/names')).json()).toMatchObject({
      task: 'names',
      contract: {
        columns: [
          { name: 'id', type: 'BIGINT', notNull: true },
          { name: 'name', type: 'VARCHAR', notNull: false },
        ],
        unique: [['id']],
      },
    });
    expect((await request(addr, '/api/tasks/plain')).json()).toMatchObject({ task: 'plain', contract: null });
    const app = (await request(addr, '/assets/app.js', { token: null })).body.toString();
    expect(app).toContain('contractSection(t.contract)');
  });
});
