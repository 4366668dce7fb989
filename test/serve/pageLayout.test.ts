import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { spawnCli, type Proc } from '../helpers/process.js';
import { parseUiLine } from './httpHelpers.js';

/**
 * A graph above the page's dagre limit (300 nodes) gets the linear-time layered layout in app.js.
 * Built once, drawn in a real Chromium from `relspec ui`: every task
 * is drawn once, no two nodes overlap, and every edge runs left to right, from an input to its reader.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f));
if (!CHROMIUM) console.log('test/serve/pageLayout.test.ts skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');

const TASKS = 310;
/** A binary tree of tasks over one source, plus a diamond join at the bottom (t1 and t2 read by `joined`). */
function files(): Record<string, string> {
  const f: Record<string, string> = {
    'watch.config.ts': "export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } };\n",
    'data/people.csv': 'id,name\n1,a\n',
    'tasks/t0.sql': 'select id, name from people',
    'tasks/joined.sql': 'select t1.id from t1 join t2 using (id)',
  };
  for (let i = 1; i < TASKS - 1; i++) f[`tasks/t${i}.sql`] = `select id, name from t${Math.floor((i - 1) / 2)}`;
  return f;
}

interface Box {
  task: string | null;
  x: number;
  y: number;
  w: number;
  h: number;
}

describe.skipIf(!CHROMIUM)('the page lays out a large graph', () => {
  let p: TempProject;
  let ui: Proc;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    p = tempProject(files());
    // The API answers once a run is recorded (state/reader.ts).
    expect(p.cli(['run']).code).toBe(0);
    ui = spawnCli(p.dir, ['ui']);
    const i = await ui.waitLine((l) => l.startsWith('[ui] '), 0, 60_000);
    expect(i, ui.stderr()).toBeGreaterThanOrEqual(0);
    url = parseUiLine(ui.lines[i]!).url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    p?.cleanup();
  });

  it(`draws ${TASKS} tasks without overlap, every edge from an input to the task that reads it`, async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
    const boxes: Box[] = await page.$$eval('.node', (nodes) =>
      nodes.map((n) => {
        const r = n.getBoundingClientRect();
        return { task: n.getAttribute('data-task'), x: r.x, y: r.y, w: r.width, h: r.height };
      }),
    );
    const tasks = boxes.filter((b) => b.task !== null);
    expect(tasks).toHaveLength(TASKS);
    expect(new Set(tasks.map((b) => b.task)).size).toBe(TASKS);
    expect(boxes).toHaveLength(TASKS + 1); // and the source

    // Pairwise overlap over a sweep by x: nodes in one column share an x range, so compare within it.
    const sorted = [...boxes].sort((a, b) => a.x - b.x);
    const overlaps: string[] = [];
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      for (let j = i + 1; j < sorted.length && sorted[j]!.x < a.x + a.w; j++) {
        const b = sorted[j]!;
        if (b.y < a.y + a.h && a.y < b.y + b.h) overlaps.push(`${a.task ?? 'source'} / ${b.task ?? 'source'}`);
      }
    }
    expect(overlaps).toEqual([]);

    // Each reader sits in a column right of all its inputs.
    const at = new Map(tasks.map((b) => [b.task!, b]));
    const source = boxes.find((b) => b.task === null)!;
    const wrong: string[] = [];
    const right = (from: Box, to: string) => {
      if (!(at.get(to)!.x >= from.x + from.w)) wrong.push(`${from.task ?? 'people'} -> ${to}`);
    };
    right(source, 't0');
    for (let i = 1; i < TASKS - 1; i++) right(at.get(`t${Math.floor((i - 1) / 2)}`)!, `t${i}`);
    right(at.get('t1')!, 'joined');
    right(at.get('t2')!, 'joined');
    expect(wrong).toEqual([]);
    // An edge per requires link, drawn as a path: 1 (source) + TASKS - 2 (tree) + 2 (join).
    expect(await page.$$eval('path.edge', (e) => e.length)).toBe(TASKS + 1);
    await page.close();
  }, 120_000);
});
