import { Hono } from 'hono';
import { RelspecError, RelspecErrors } from '../../errors.js';
import { readApi } from './api.js';
import { loadAssets } from './assets.js';
import type { UiBackend } from './backend.js';
import { queryApi } from './query.js';
import { guard } from './security.js';
import { eventsApi } from './sse.js';

/** HTTP status per error code: the client's fault (400/404), the state's (409), or ours (500). */
const STATUS: Partial<Record<string, 400 | 404 | 409>> = {
  E_QUERY: 400,
  E_USAGE: 400,
  E_SELECT: 404,
  E_STATE: 409,
  E_LOCKED: 409,
};

/**
 * The page and its API (docs in README "While it runs"). `port` is a getter: the server knows its
 * port only once it listens (port 0 picks a free one), and the Host check needs it.
 */
export function createApp(backend: UiBackend, opts: { token: string; port: () => number }): Hono {
  const app = new Hono();
  const assets = loadAssets();
  app.use('*', guard(opts.token, opts.port));
  app.onError((e, c) => {
    const err = e instanceof RelspecErrors ? e.errors[0] : e;
    if (err instanceof RelspecError) return c.json({ error: err.toJSON() }, STATUS[err.code] ?? 500);
    return c.json({ error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } }, 500);
  });
  app.route('/api', readApi(backend));
  app.route('/api', queryApi(backend));
  app.route('/api', eventsApi(backend));
  app.get('/', (c) => c.html(assets.get('index.html')!.body));
  app.get('/assets/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a || c.req.param('name') === 'index.html') return c.notFound();
    return c.body(a.body, 200, { 'content-type': a.type });
  });
  return app;
}
