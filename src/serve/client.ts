import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { RelspecError, RelspecErrors } from '../errors.js';
import { stdio, type Out } from '../cli/out.js';
import { SOCKET_FILE, type Answer, type Request, type Response, type WireError } from './protocol.js';

export const socketPath = (stateDir: string): string => path.join(stateDir, SOCKET_FILE);

/** No daemon listens: nothing there, or a dead daemon's leftover socket (kill -9 leaves it behind). */
const NO_DAEMON = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EACCES']);

/**
 * Asks the daemon serving `stateDir` to answer `request`. Resolves to undefined when none listens,
 * and the command then reads the state itself. Console requests write the daemon's lines to `out` as
 * they arrive and resolve to the exit code; a known error the daemon reports is thrown as the
 * RelspecError it was, so main prints it exactly as in direct mode.
 *
 * RELSPEC_NO_DAEMON=1 skips the daemon (direct access, e.g. to see that the state is locked).
 */
export function tryDaemon<R extends Request>(stateDir: string, request: R, out: Out = stdio): Promise<Answer<R['type']> | undefined> {
  const file = socketPath(stateDir);
  if (process.env.RELSPEC_NO_DAEMON || !existsSync(file)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(file);
    let connected = false;
    let settled = false;
    let buf = '';
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      f();
    };
    const lost = (why: string) =>
      new RelspecError('E_STATE', `the daemon did not answer: ${why}`, { file, fix: 'see the `relspec watch` log, then try again' });
    const onMessage = (m: Response) => {
      if (m.type === 'output') (m.stream === 'stdout' ? out.write : out.err)(m.text);
      else if (m.type === 'result') settle(() => resolve(m.result as Answer<R['type']>));
      else if (m.type === 'exit') settle(() => resolve(m.code as Answer<R['type']>));
      else if (m.type === 'error') settle(() => reject(errorOf(m.errors)));
      else settle(() => reject(new Error(`in the daemon: ${m.message}`)));
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      connected = true;
      sock.write(JSON.stringify(request) + '\n');
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while (!settled && (i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onMessage(JSON.parse(line) as Response);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected && NO_DAEMON.has(e.code ?? '')) settle(() => resolve(undefined));
      else settle(() => reject(lost(e.message)));
    });
    sock.on('close', () => settle(() => reject(lost('it closed the connection (did it stop?)'))));
  });
}

function errorOf(errors: WireError[]): RelspecError | RelspecErrors {
  const all = errors.map((e) => new RelspecError(e.code, e.message, { file: e.file, fix: e.fix }));
  return all.length === 1 ? all[0]! : new RelspecErrors(all);
}

type ProjectRequest = Extract<Request, { configFile: string }>;
type WithoutConfig<R> = R extends ProjectRequest ? Omit<R, 'configFile'> : never;

/** graph, lineage, validate: the daemon loads the same config file the CLI found, so the answer is the same. */
export function serveProjectCommand(loaded: LoadedConfig, request: WithoutConfig<ProjectRequest>): Promise<number | undefined> {
  const configFile = loaded.config.configFile;
  if (configFile === undefined) return Promise.resolve(undefined);
  return tryDaemon(loaded.config.stateDir, { ...request, configFile } as ProjectRequest);
}
