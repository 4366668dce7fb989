import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { RelspecError, RelspecErrors } from '../errors.js';
import { didYouMean, suggest } from '../util/suggest.js';
import { checkSourceOptions } from './readerOptions.js';
import type { ResolvedConfig, ResolvedSource, UserConfig } from './types.js';

const SOURCE_FORMATS = ['parquet', 'csv', 'json', 'delta', 'code'] as const;

const sourceSchema = z.strictObject({
  format: z.enum(SOURCE_FORMATS),
  path: z.string().min(1),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  tsconfig: z.string().min(1).optional(),
});

const KEY_THRESHOLD_FIX = 'use a fraction of keys from 0 to 1, e.g. 0.3 (0: never refresh by key)';

const configSchema = z.strictObject({
  sources: z.record(z.string(), sourceSchema).optional(),
  tasks: z.string().min(1).optional(),
  state: z
    .union([z.string().min(1), z.strictObject({ dir: z.string().min(1).optional(), keepRuns: z.number().int().nonnegative().optional() })])
    .optional(),
  outputs: z.string().min(1).optional(),
  engine: z
    .strictObject({
      threads: z.number().int().positive().optional(),
      memoryLimit: z.string().min(1).optional(),
      concurrency: z.number().int().positive().optional(),
      keyThreshold: z.number().min(0, KEY_THRESHOLD_FIX).max(1, KEY_THRESHOLD_FIX).optional(),
    })
    .optional(),
  openlineage: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }).optional(),
      file: z.string().min(1).optional(),
      namespace: z.string().min(1).optional(),
      emitSkipped: z.boolean().optional(),
    })
    .optional(),
  watch: z
    .strictObject({
      debounceMs: z.number().int().nonnegative().optional(),
      ignore: z.array(z.string()).optional(),
      port: z.number().int().min(0).max(65535).optional(),
    })
    .optional(),
});

/** Keys allowed at each object path, for "did you mean". */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': ['sources', 'tasks', 'state', 'outputs', 'engine', 'watch', 'openlineage'],
  openlineage: ['url', 'file', 'namespace', 'emitSkipped'],
  source: ['format', 'path', 'options', 'tsconfig'],
  engine: ['threads', 'memoryLimit', 'concurrency', 'keyThreshold'],
  state: ['dir', 'keepRuns'],
  watch: ['debounceMs', 'ignore', 'port'],
};

const SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function knownKeysFor(pathParts: readonly PropertyKey[]): readonly string[] {
  if (pathParts.length === 0) return KNOWN_KEYS['']!;
  if (pathParts[0] === 'sources' && pathParts.length === 2) return KNOWN_KEYS.source!;
  return KNOWN_KEYS[String(pathParts[0])] ?? [];
}

const keyPath = (parts: readonly PropertyKey[]): string => (parts.length === 0 ? '(top level)' : parts.map(String).join('.'));

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function valueAt(obj: unknown, parts: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function issueToError(issue: z.core.$ZodIssue, raw: unknown, file: string | undefined): RelspecError[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysFor(issue.path);
    return issue.keys.map((key) => {
      const at = keyPath([...issue.path, key]);
      const near = suggest(key, known).map((k) => keyPath([...issue.path, k]));
      return new RelspecError('E_CONFIG', `unknown config key '${at}'`, { file, fix: didYouMean(near) ?? 'remove it' });
    });
  }
  const at = keyPath(issue.path);
  const value = valueAt(raw, issue.path);
  let fix = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    const allowed = issue.values.map(String);
    const guess = typeof value === 'string' ? didYouMean(suggest(value, allowed)) : undefined;
    fix = `use one of ${allowed.map((v) => `'${v}'`).join(', ')}${guess ? ` (${guess})` : ''}`;
  } else if (issue.code === 'invalid_type') {
    fix = `expected ${issue.expected}`;
  }
  return [new RelspecError('E_CONFIG', `bad value for '${at}': ${describeValue(value)}`, { file, fix })];
}

/**
 * Validates a user config (every error at once) and resolves it: defaults filled in, paths made
 * absolute against `root` (the config file's directory).
 */
export function resolveConfig(raw: unknown, root: string, file?: string): ResolvedConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new RelspecErrors(parsed.error.issues.flatMap((i) => issueToError(i, raw, file)));
  }
  const user: UserConfig = parsed.data;
  const errors: RelspecError[] = [];
  const sources: Record<string, ResolvedSource> = {};
  for (const [name, s] of Object.entries(user.sources ?? {})) {
    if (!SOURCE_NAME.test(name)) {
      errors.push(
        new RelspecError('E_CONFIG', `bad source name 'sources.${name}'`, {
          file,
          fix: 'use letters, digits and underscores, starting with a letter or underscore',
        }),
      );
      continue;
    }
    if (s.tsconfig !== undefined && s.format !== 'code') {
      errors.push(
        new RelspecError('E_CONFIG', `'sources.${name}.tsconfig' applies to code sources only (this one is ${s.format})`, {
          file,
          fix: `remove it, or set sources.${name}.format to 'code'`,
        }),
      );
      continue;
    }
    const optionErrors = checkSourceOptions(name, s.format, s.options ?? {}, file);
    if (optionErrors.length > 0) {
      errors.push(...optionErrors);
      continue;
    }
    sources[name] = Object.freeze({
      name,
      format: s.format,
      path: path.resolve(root, s.path),
      options: Object.freeze({ ...(s.options ?? {}) }),
      ...(s.tsconfig !== undefined ? { tsconfig: path.resolve(root, s.tsconfig) } : {}),
    });
  }
  if (errors.length > 0) throw new RelspecErrors(errors);
  const stateRel = (typeof user.state === 'string' ? user.state : user.state?.dir) ?? 'state';
  const stateDir = path.resolve(root, stateRel);
  return Object.freeze({
    configFile: file,
    root,
    sources: Object.freeze(sources),
    tasksDir: path.resolve(root, user.tasks ?? 'tasks'),
    stateDir,
    keepRuns: (typeof user.state === 'object' ? user.state.keepRuns : undefined) ?? 100,
    outputsDir: path.resolve(root, user.outputs ?? path.join(stateRel, 'outputs')),
    engine: Object.freeze({ ...(user.engine ?? {}), concurrency: user.engine?.concurrency ?? availableParallelism() }),
    ...(user.openlineage && (user.openlineage.url || user.openlineage.file)
      ? {
          openlineage: Object.freeze({
            ...(user.openlineage.url ? { url: user.openlineage.url } : {}),
            ...(user.openlineage.file ? { file: path.resolve(root, user.openlineage.file) } : {}),
            namespace: user.openlineage.namespace ?? 'relspec',
            emitSkipped: user.openlineage.emitSkipped ?? false,
          }),
        }
      : {}),
    watch: Object.freeze({
      debounceMs: user.watch?.debounceMs ?? 100,
      ignore: Object.freeze([...(user.watch?.ignore ?? [])]) as string[],
      ...(user.watch?.port !== undefined ? { port: user.watch.port } : {}),
    }),
  });
}
