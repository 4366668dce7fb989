import http from 'node:http';

/** Where a server printed it listens: `[ui] http://127.0.0.1:PORT/?token=TOKEN`. */
export interface UiAddress {
  url: string;
  port: number;
  token: string;
}

export function parseUiLine(line: string): UiAddress {
  const m = /\[ui\] (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+))/.exec(line);
  if (!m) throw new Error(`not a [ui] line: ${line}`);
  return { url: m[1]!, port: Number(m[2]), token: m[3]! };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
}

/**
 * One request with node:http, not fetch: fetch will not send a Host header of our choosing, and
 * the DNS-rebinding test needs exactly that.
 */
export function request(
  ui: UiAddress,
  pathname: string,
  opts: { method?: string; token?: string | null; host?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${ui.port}`, ...opts.headers };
  const token = opts.token === undefined ? ui.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ui.port, path: pathname, method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Server-sent events of `/api/events` as they come; `close()` ends the stream. */
export function events(ui: UiAddress): { items: { event: string; data: Record<string, unknown> }[]; close(): void; opened: Promise<void> } {
  const items: { event: string; data: Record<string, unknown> }[] = [];
  let req!: http.ClientRequest;
  const opened = new Promise<void>((resolve, reject) => {
    req = http.get(
      { host: '127.0.0.1', port: ui.port, path: `/api/events?token=${ui.token}`, headers: { host: `127.0.0.1:${ui.port}` } },
      (res) => {
        let buf = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) items.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
          resolve();
        });
      },
    );
    req.on('error', reject);
  });
  return { items, opened, close: () => req.destroy() };
}

export async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
