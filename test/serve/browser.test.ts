import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';
import { parseUiLine } from './httpHelpers.js';

/**
 * The page in a real headless Chromium (Debian's `chromium`, driven by playwright-core), served by
 * a real `relspec watch`. Without a Chromium the suite skips and says why.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f));
if (!CHROMIUM) console.log('test/serve/browser.test.ts skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');

const CONFIG = `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } }, watch: { debounceMs: 50 } }`;
const people = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i},p${i}`).join('\n') + '\n';

describe.skipIf(!CHROMIUM)('the page in Chromium', () => {
  let p: TempProject;
  let d: DaemonProc;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    p = tempProject({
      'watch.config.ts': CONFIG,
      'data/people.csv': people(3),
      'tasks/names.sql': 'select id, upper(name) as name from people',
      'tasks/cnt.sql': 'select count(*) as n from names',
      'tasks/first.sql': 'select min(id) as id from people',
    });
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    url = parseUiLine(`[ui] ${String(d.entries.find((e) => e.tag === 'ui' && e.event === 'listening')!.message)}`).url;
    // As root (CI) Chromium refuses its sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    p?.cleanup();
  });

  const statuses = () =>
    page.$$eval('.node.task', (nodes) =>
      Object.fromEntries(nodes.map((n) => [n.getAttribute('data-task'), n.getAttribute('data-status')])),
    );

  it('loads with the token and shows every task, colored by its last status', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
    expect(await statuses()).toEqual({ cnt: 'built', first: 'built', names: 'built' });
    expect(await page.$$eval('.node.source', (n) => n.length)).toBe(1);
    expect(await page.$$eval('#runs tr[data-run]', (r) => r.length)).toBe(1);
  });

  it('a source edit turns the affected tasks running, then built, without a reload', async () => {
    // Every data-status change, in order: a task that runs for a millisecond still shows as running.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver((ms) => {
        for (const m of ms) {
          const n = m.target as Element;
          seen.push(`${n.getAttribute('data-task')}:${n.getAttribute('data-status')}`);
        }
      }).observe(document.getElementById('graph')!, { attributes: true, attributeFilter: ['data-status'], subtree: true });
    });
    const m = d.entries.length;
    p.write('data/people.csv', people(5));
    await d.nextRun(m, 20_000);
    await page.waitForFunction(() => document.querySelectorAll('#runs tr[data-run]').length === 2, undefined, { timeout: 20_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    for (const t of ['names', 'cnt', 'first']) {
      const mine = seen.filter((s) => s.startsWith(`${t}:`));
      expect(mine.indexOf(`${t}:running`), `${t}: ${mine.join(' ')}`).toBeGreaterThanOrEqual(0);
      expect(mine.lastIndexOf(`${t}:built`), `${t}: ${mine.join(' ')}`).toBeGreaterThan(mine.indexOf(`${t}:running`));
    }
    expect(await statuses()).toEqual({ cnt: 'built', first: 'built', names: 'built' });
    // Under load the watcher may see the write as two events and run once more (a no-op): wait for
    // the daemon to settle rather than assume the edit's run is the last.
    await page.waitForFunction(() => /run \d+ ok/.test(document.getElementById('run-state')?.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    expect(Number(/run (\d+) ok/.exec((await page.textContent('#run-state')) ?? '')?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('clicking a task shows its SQL, its inputs with the columns it reads, and its why as the CLI prints it', async () => {
    // Under load the watcher may still run once more (a no-op, see above) between the page's answer
    // and the CLI's: both must then agree on the newer run, so compare again after it.
    let shown = '';
    let cli = '';
    for (let i = 0; i < 5 && (i === 0 || shown !== cli); i++) {
      await page.click('.node.task[data-task="names"]');
      // A second click re-fetches into the #why already shown: give the answer time to land.
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      await page.waitForSelector('#why', { timeout: 10_000 });
      shown = (await page.textContent('#why')) ?? '';
      cli = p.cli(['why', 'names']).stdout.trimEnd();
    }
    expect(shown).toBe(cli);
    expect(await page.textContent('#sql')).toBe('select id, upper(name) as name from people');
    expect(await page.textContent('#inputs')).toBe('people: id, name');
  });

  it('the query box shows rows', async () => {
    await page.fill('#query-sql', 'select id, name from names order by id');
    await page.click('#query-form button');
    await page.waitForSelector('#query-result table', { timeout: 10_000 });
    const rows = await page.$$eval('#query-result tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(rows).toEqual([['id', 'name'], ...[0, 1, 2, 3, 4].map((i) => [String(i), `P${i}`])]);
    expect(await page.textContent('#query-meta')).toMatch(/^5 rows, as of run ([2-9]|\d\d+)$/);
    await page.fill('#query-sql', 'drop table names');
    await page.click('#query-form button');
    await page.waitForFunction(() => document.getElementById('query-meta')!.textContent!.startsWith('E_QUERY'), undefined, {
      timeout: 10_000,
    });
  });
});
