import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/** A fresh secret per server start: whoever can read the printed URL or state/daemon.json may use the API. */
export const newToken = (): string => randomBytes(24).toString('base64url');

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Every request: the Host header must name the loopback address and our port (a page on another
 * origin that rebinds its DNS name to 127.0.0.1 still sends its own name: 403), and every request
 * but the static assets (package files, no data) must carry the token: `Authorization: Bearer T`,
 * or `?token=T` where a header cannot be set (the page's URL, EventSource). No CORS headers are
 * ever sent, so other origins cannot read the answers either.
 */
export function guard(token: string, port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    const p = port();
    if (host !== `127.0.0.1:${p}` && host !== `localhost:${p}`) {
      return c.json({ error: { code: 'E_FORBIDDEN', message: `host '${host}' is not this server (127.0.0.1:${p})` } }, 403);
    }
    if (c.req.path.startsWith('/assets/')) return next();
    const auth = c.req.header('authorization');
    const given = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : c.req.query('token');
    if (given === undefined || !same(given, token)) {
      const message = given === undefined ? 'a token is required' : 'wrong token';
      return c.json(
        { error: { code: 'E_AUTH', message, fix: 'open the URL `relspec watch` or `relspec ui` printed (also in state/daemon.json)' } },
        401,
      );
    }
    return next();
  };
}
