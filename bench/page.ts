import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { generateProject } from './gen.js';
import type { Row } from './report.js';
import { pct, startServed, timedCli } from './serve.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f));

/**
 * The page in headless Chromium until the graph is drawn: a project of n generated tasks, built
 * once, served by `relspec watch`; each load is a fresh browser context (no cache), timed from
 * navigation until every task node is in the DOM with its status and a frame has been painted.
 * Without a Chromium the row is skipped with the reason printed.
 */
export async function benchPageLoad(log: (s: string) => void, n: number, loads: number): Promise<Row[]> {
  if (!CHROMIUM) {
    log('  page load skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');
    return [];
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-page-'));
  try {
    log(`  generating and building ${n} tasks`);
    await generateProject({ dir, tasks: n, seed: 5, rows: 100 });
    const built = await timedCli(dir, ['run']);
    if (built.code !== 0) throw new Error(`relspec run failed in the page bench project: ${built.stderr}`);
    const s = await startServed(dir);
    // As root (CI) Chromium refuses its sandbox.
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const wall: number[] = [];
      const inPage: number[] = [];
      const graphApi: number[] = [];
      for (let i = 0; i < loads; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(s.ui.url);
        await page.waitForSelector('body[data-loaded="true"]', { timeout: 120_000 });
        await page.waitForFunction((k) => document.querySelectorAll('.node.task[data-status]').length === k, n, { timeout: 60_000 });
        // Drawn means painted: the next animation frame runs after layout and paint of the new SVG.
        // `window.performance`: this module imports `performance` from node:perf_hooks, and tsx would
        // rewrite a bare `performance` inside the page's callback into a name the page does not have.
        const drawnAt = await page.evaluate(
          () => new Promise<number>((r) => requestAnimationFrame(() => setTimeout(() => r(window.performance.now())))),
        );
        wall.push(performance.now() - t0);
        inPage.push(drawnAt); // the page's clock starts at its navigation
        // When /api/graph (the graph JSON and statuses) had arrived: the rest is layout (dagre) and drawing.
        const graphEnd = await page.evaluate(
          () =>
            (window.performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find(
              (e) => new URL(e.name).pathname === '/api/graph',
            )?.responseEnd,
        );
        if (graphEnd === undefined) throw new Error('the page never fetched /api/graph');
        graphApi.push(graphEnd);
        await context.close();
      }
      const [w, p, g] = [pct(wall, 0.5), pct(inPage, 0.5), pct(graphApi, 0.5)].map((x) => x.toFixed(0));
      log(`  page load, ${n} tasks: median ${w} ms (in the page ${p} ms, /api/graph answered at ${g} ms) of ${loads}`);
      return [
        {
          metric: `page load in Chromium until the graph is drawn, ${n / 1000}k tasks, median of ${loads}`,
          value: pct(wall, 0.5),
          unit: 'ms',
          anchor: `in the page's clock: /api/graph answered at ${g} ms, painted at ${p} ms (layout and drawing between); fresh context each load`,
        },
      ];
    } finally {
      await browser.close();
      await s.d.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
