import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { UiBackend } from './backend.js';
import type { UiEvent } from './events.js';

const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/events`: server-sent events, one per run and task event (`run_started`, `task_started`,
 * `task_finished` with status, rows, duration and causes, `run_finished`), after a `hello` that says
 * what runs now. Without a daemon (`relspec ui`) only run events come, from polling the state (poll.ts).
 */
export function eventsApi(backend: UiBackend): Hono {
  const api = new Hono();
  api.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: UiEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = backend.events?.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify(backend.events?.now() ?? { running: [], run: null }) });
        while (!closed) {
          const e = queue.shift();
          if (e) {
            await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
            continue;
          }
          // Wait for the next event, or send a comment now and then so proxies keep the stream open.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, HEARTBEAT_MS);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = undefined;
          if (!closed && queue.length === 0) await stream.write(': ping\n\n');
        }
      } finally {
        unsubscribe?.();
      }
    }),
  );
  return api;
}
