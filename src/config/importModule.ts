import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as Jiti from 'jiti';
import { RelspecError } from '../errors.js';
import { configLoadError, configTimeoutError } from './loadError.js';

export const DEFAULT_CONFIG_FILE = 'watch.config.ts';

/** How long a config (its default export, its top-level awaits, its imports) may take to settle. */
export const DEFAULT_CONFIG_TIMEOUT_MS = 10_000;

export interface LoadOptions {
  /** Abandon the load (the daemon stopping): rejects at once, whatever the config is doing. */
  signal?: AbortSignal;
  /** Default: RELSPEC_CONFIG_TIMEOUT_MS, else 10 s. */
  timeoutMs?: number;
}

/** A config file's text and its default export, not yet validated. */
export interface ConfigModule {
  file: string;
  text: string;
  value: object;
}

/**
 * Imports `watch.config.ts` (or .js/.mjs/.json) with jiti, so a config outside this repository — with
 * no import of relspec at all — works too. Each load re-reads the file: jiti's module cache is off
 * so a daemon's reload sees the edit. Its transform cache stays on: it is keyed by the source's hash
 * (an edit is a new entry) and saves ~0.4 s of transpiling on every `status`, `why` and `history`.
 * Kept apart from validation so the read commands can locate the state without loading zod.
 */
export async function importConfig(configPath: string, cwd: string, opts: LoadOptions = {}): Promise<ConfigModule> {
  const file = path.resolve(cwd, configPath);
  if (!existsSync(file)) {
    throw new RelspecError('E_CONFIG_LOAD', 'config file not found', {
      file,
      fix: `create ${path.basename(file)} or pass --config PATH`,
    });
  }
  const text = readFileSync(file, 'utf8');
  let mod: unknown;
  try {
    if (file.endsWith('.json')) {
      mod = JSON.parse(text);
    } else {
      // jiti through require: importing its CommonJS bundle from ESM runs Node's CJS export lexer over it (~70 ms per CLI start).
      const { createJiti } = createRequire(import.meta.url)('jiti') as typeof Jiti;
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: true, interopDefault: true });
      mod = await settle(jiti.import(file, { default: true }), file, opts);
    }
  } catch (e) {
    if (e instanceof RelspecError) throw e;
    throw configLoadError(file, e);
  }
  if (mod === null || typeof mod !== 'object' || Array.isArray(mod)) {
    throw new RelspecError('E_CONFIG_LOAD', `config must export an object, got ${mod === null ? 'null' : typeof mod}`, {
      file,
      fix: 'use `export default defineConfig({ sources: {...} })`',
    });
  }
  return { file, text, value: mod };
}

function timeoutMs(opts: LoadOptions): number {
  if (opts.timeoutMs !== undefined) return opts.timeoutMs;
  const env = Number(process.env.RELSPEC_CONFIG_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_CONFIG_TIMEOUT_MS;
}

/**
 * A config is code: its default export may be a promise, it may await at top level or import a
 * module that does. One that never settles would wedge a one-shot run (Node exits 0 once nothing
 * is left to do) or a daemon's reload, so it gets a deadline; an abort (SIGTERM) ends the wait at once.
 */
function settle<T>(p: Promise<T>, file: string, opts: LoadOptions): Promise<T> {
  const ms = timeoutMs(opts);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(configTimeoutError(file, ms))), ms);
    const onAbort = () => done(() => reject(new RelspecError('E_CONFIG', 'config load abandoned: stopping', { file })));
    const done = (f: () => void) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      f();
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e)),
    );
  });
}
