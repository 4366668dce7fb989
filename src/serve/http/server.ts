import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { RelspecError, errorMessage } from '../../errors.js';
import { createApp } from './app.js';
import type { UiBackend } from './backend.js';
import { newToken } from './security.js';

/** Where the daemon (or `relspec ui`) says how to reach its page: `{ url, port, token, pid }`, mode 0600. */
export const DAEMON_JSON = 'daemon.json';

export interface UiServer {
  url: string;
  port: number;
  token: string;
  /** The daemon's state moved (a config reload): daemon.json follows it, the old one is removed. */
  moveTo(stateDir: string): void;
  close(): Promise<void>;
}

/**
 * Serves the page and API on 127.0.0.1 only (never every interface: the API reads all outputs).
 * `port` 0 picks a free one. Writes STATE/daemon.json; close() ends open event streams and removes
 * the file if it is still ours.
 */
export async function startHttpServer(backend: UiBackend, opts: { port: number }): Promise<UiServer> {
  const token = newToken();
  let port = opts.port;
  const app = createApp(backend, { token, port: () => port });
  // Not overriding the global Request/Response: the daemon shares its process with other code.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw new RelspecError('E_STATE', `cannot serve the page on 127.0.0.1:${opts.port}: ${errorMessage(e)}`, {
      fix: 'pick another port (`watch.port` in the config, or --port; 0 picks a free one)',
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  let file = writeDaemonJson(backend.config().config.stateDir, { url, port, token, pid: process.pid });
  return {
    url,
    port,
    token,
    moveTo: (stateDir) => {
      const next = writeDaemonJson(stateDir, { url, port, token, pid: process.pid });
      if (next !== file) removeIfOurs(file, token);
      file = next;
    },
    close: async () => {
      removeIfOurs(file, token);
      backend.close?.();
      server.closeAllConnections(); // event streams never end on their own
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function writeDaemonJson(stateDir: string, where: { url: string; port: number; token: string; pid: number }): string {
  const file = path.join(stateDir, DAEMON_JSON);
  // `relspec ui` on a project never run: no state directory yet.
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(where, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // an older file keeps its mode on overwrite
  return file;
}

function removeIfOurs(file: string, token: string): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { token?: string }).token === token) rmSync(file, { force: true });
  } catch {
    /* gone already, or another server's */
  }
}
