import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import { outTo } from '../cli/out.js';
import type { Log } from '../daemon/log.js';
import { RelspecError, RelspecErrors, errorMessage } from '../errors.js';
import { socketPath } from './client.js';
import type { DaemonAccess } from './daemonAccess.js';
import { handle, isRequestType } from './handlers/index.js';
import type { Request, Response } from './protocol.js';

export interface SocketServer {
  readonly path: string;
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

/** A request is one short JSON line; anything longer is not a relspec client. */
const MAX_REQUEST = 1 << 20;

/**
 * Listens on `STATE/daemon.sock` (mode 0600: only this user may ask) and answers one request per
 * connection. The daemon holds the state lock, so a socket file already there is a dead daemon's:
 * removed first. A socket that cannot be bound (a path too long for a unix socket) is logged and
 * the daemon runs without it — the CLI then reports the lock as before.
 */
export async function startSocketServer(stateDir: string, daemon: DaemonAccess, log: Log): Promise<SocketServer | undefined> {
  const file = socketPath(stateDir);
  rmSync(file, { force: true });
  const open = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    serveConnection(conn, daemon);
  });
  // Bound with a umask of 077, so there is no moment where the socket is open to others.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    log('daemon', 'socket_error', `cannot listen on ${file}: ${errorMessage(e)}; CLI reads need the daemon stopped`, { file });
    return undefined;
  } finally {
    process.umask(umask);
  }
  chmodSync(file, 0o600);
  server.on('error', (e) => log('daemon', 'socket_error', `socket error: ${e.message}`, { file }));
  log('daemon', 'socket', `answering CLI reads on ${file}`, { file });
  return {
    path: file,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of open) c.destroy();
        server.close(() => {
          rmSync(file, { force: true });
          resolve();
        });
      }),
  };
}

function serveConnection(conn: net.Socket, daemon: DaemonAccess): void {
  let buf = '';
  conn.setEncoding('utf8');
  conn.on('error', () => undefined); // the client went away (Ctrl-C): nothing to answer
  const onData = (chunk: string) => {
    buf += chunk;
    const i = buf.indexOf('\n');
    if (i < 0) {
      if (buf.length > MAX_REQUEST) conn.destroy();
      return;
    }
    conn.off('data', onData);
    void answer(conn, buf.slice(0, i), daemon);
  };
  conn.on('data', onData);
}

async function answer(conn: net.Socket, line: string, daemon: DaemonAccess): Promise<void> {
  const send = (r: Response) => {
    if (!conn.destroyed && conn.writable) conn.write(JSON.stringify(r) + '\n');
  };
  const out = outTo(
    (text) => send({ type: 'output', stream: 'stdout', text }),
    (text) => send({ type: 'output', stream: 'stderr', text }),
  );
  try {
    const req = parseRequest(line);
    send(await handle(req, daemon, out));
  } catch (e) {
    send(errorResponse(e));
  } finally {
    conn.end();
  }
}

function parseRequest(line: string): Request {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new RelspecError('E_USAGE', 'the daemon received a request that is not JSON', { fix: 'use the relspec CLI of this version' });
  }
  const type = (v as { type?: unknown } | null)?.type;
  if (!isRequestType(type)) {
    throw new RelspecError('E_USAGE', `the daemon does not answer '${String(type)}' requests`, {
      fix: 'the CLI and the running daemon differ in version: restart `relspec watch`',
    });
  }
  // The socket is this user's only (0600) and the CLI wrote it: its fields are the request's.
  return v as Request;
}

function errorResponse(e: unknown): Response {
  if (e instanceof RelspecErrors) return { type: 'error', errors: e.errors.map((x) => x.toJSON()) };
  if (e instanceof RelspecError) return { type: 'error', errors: [e.toJSON()] };
  return { type: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
