import type { Stats } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import type { ResolvedConfig } from '../config/types.js';
import { splitSourceGlob } from '../sources/globParts.js';
import { codeRoot } from '../sources/code/files.js';

/**
 * What the daemon watches, as plain data (no chokidar here, so it is unit-testable). chokidar ≥ 4
 * has no glob support: each target is a directory (`root`) plus a file predicate.
 */
export type WatchKind = 'task' | 'config' | 'source';

export interface WatchTarget {
  kind: WatchKind;
  /** The source name, for kind 'source'. */
  source?: string;
  /** The directory whose contents matter. It may not exist yet (the watcher handles that). */
  root: string;
  /** Directory levels below `root` that may hold matching files (0: direct children only). */
  maxDepth: number;
  /** What a file path must look like to matter; printed by `--json-log`. */
  pattern: string;
  match: (file: string) => boolean;
}

/** Editor and tool scratch files: vim swap/backup and its `4913` probe, emacs locks, `*.tmp`. */
export function isTempName(base: string): boolean {
  return (
    base === '4913' ||
    base.endsWith('~') ||
    base.startsWith('.#') ||
    (base.startsWith('#') && base.endsWith('#')) ||
    /\.sw[a-px]$/i.test(base) ||
    /\.(tmp|temp|crswap|part)$/i.test(base)
  );
}

const inside = (dir: string, p: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
const posix = (p: string): string => p.split(path.sep).join('/');

/** The source name of targets watching files tasks read through table functions (`read_csv('x.csv')`). */
export const TASK_FILES = '(files read by tasks)';

/** `taskFiles`: absolute paths and globs tasks read through table functions (a run's `taskFiles`). */
export function watchTargets(config: ResolvedConfig, taskFiles: readonly string[] = []): WatchTarget[] {
  const targets: WatchTarget[] = [];
  const noDotSegment = (root: string, p: string) =>
    !path
      .relative(root, p)
      .split(path.sep)
      .some((s) => s.startsWith('.'));
  targets.push({
    kind: 'task',
    root: config.tasksDir,
    maxDepth: Infinity,
    pattern: path.join(config.tasksDir, '**/*.sql'),
    // Same files as the catalog's `**/*.sql` with dot: false.
    match: (p) => p.endsWith('.sql') && inside(config.tasksDir, p) && noDotSegment(config.tasksDir, p) && !isTempName(path.basename(p)),
  });
  if (config.configFile) {
    const file = config.configFile;
    // Watch the directory, not the file: a rename-save replaces the inode a file watch would follow.
    targets.push({ kind: 'config', root: path.dirname(file), maxDepth: 0, pattern: file, match: (p) => p === file });
  }
  for (const src of Object.values(config.sources)) {
    if (src.format === 'delta') {
      // A commit is a new file in _delta_log (writers create a temp file and rename it).
      const log = path.join(src.path, '_delta_log');
      const re = /(^\d+\.json$)|(\.parquet$)|(^_last_checkpoint$)/;
      targets.push({
        kind: 'source',
        source: src.name,
        root: log,
        maxDepth: 0,
        pattern: path.join(log, '*'),
        match: (p) => path.dirname(p) === log && re.test(path.basename(p)),
      });
    } else {
      // File sources and code sources alike: the glob's files are what a run re-reads.
      targets.push(fileSourceTarget(src.name, src.path, config.root));
      if (src.format === 'code') {
        // Its tsconfig decides resolution (sources/code/tsconfig.ts): an edit, or one created where
        // none was, re-extracts. Files it `extends` are not watched.
        const file = src.tsconfig ?? path.join(codeRoot(src, config.root), 'tsconfig.json');
        targets.push({ kind: 'source', source: src.name, root: path.dirname(file), maxDepth: 0, pattern: file, match: (p) => p === file });
      }
    }
  }
  for (const f of taskFiles) targets.push(fileSourceTarget(TASK_FILES, f, config.root));
  return targets;
}

/**
 * A file source's glob → the static base directory to watch, the depth, and a picomatch filter. With
 * the config's directory (`configRoot`), the part of the glob above it is a literal name, as when the source
 * is listed (sources/globParts.ts): a project in `proj [1]/` is watched and matched as such.
 */
export function fileSourceTarget(name: string, glob: string, configRoot?: string): WatchTarget {
  if (configRoot !== undefined) {
    const parts = splitSourceGlob(glob, configRoot);
    if (!parts.isGlob)
      return { kind: 'source', source: name, root: path.dirname(glob), maxDepth: 0, pattern: glob, match: (p) => p === glob };
    const maxDepth = /\*\*|\{/.test(parts.pattern) ? Infinity : parts.pattern.split('/').length - 1;
    const isMatch = picomatch(parts.pattern, { dot: false });
    const base = parts.base;
    return {
      kind: 'source',
      source: name,
      root: base,
      maxDepth,
      pattern: glob,
      match: (p) => inside(base, p) && p !== base && isMatch(posix(path.relative(base, p))),
    };
  }
  const scan = picomatch.scan(posix(glob));
  if (!scan.isGlob) {
    // A plain file path: watch its directory for that one name.
    return { kind: 'source', source: name, root: path.dirname(glob), maxDepth: 0, pattern: glob, match: (p) => p === glob };
  }
  const root = scan.base === '' ? '.' : path.normalize(scan.base);
  const rest = scan.glob;
  // `**` or braces (which may hide a `/`) can reach any depth; otherwise one level per `/`.
  const maxDepth = /\*\*|\{/.test(rest) ? Infinity : rest.split('/').length - 1;
  const isMatch = picomatch(posix(glob), { dot: false });
  return { kind: 'source', source: name, root, maxDepth, pattern: glob, match: (p) => isMatch(posix(p)) };
}

/**
 * Paths no target may ever see: relspec's own state (SQLite incl. -wal/-shm, DuckDB incl. .wal and
 * its .tmp spill directory) and outputs — so runs never trigger runs — plus VCS and dependency
 * folders and the user's `watch.ignore` globs (relative to the config's directory).
 */
export function globalIgnore(config: ResolvedConfig): (p: string) => boolean {
  const own = [config.stateDir, config.outputsDir];
  const user =
    config.watch.ignore.length > 0
      ? picomatch(
          config.watch.ignore.flatMap((g) => [g, `${g.replace(/\/+$/, '')}/**`]),
          { dot: true },
        )
      : undefined;
  return (p) => {
    if (own.some((d) => inside(d, p))) return true;
    const segs = p.split(path.sep);
    if (segs.includes('node_modules') || segs.includes('.git')) return true;
    if (user) {
      const rel = posix(path.relative(config.root, p));
      if (user(rel) || user(posix(p))) return true;
    }
    return false;
  };
}

/**
 * chokidar's `ignored` for one target. chokidar calls it for directories too, sometimes without
 * stats: never ignore a path that might be a directory we must descend through.
 */
export function targetIgnored(t: WatchTarget, ignore: (p: string) => boolean): (p: string, stats?: Stats) => boolean {
  return (p, stats) => {
    if (inside(p, t.root)) return false; // the root or an ancestor (watched while the root is missing)
    if (ignore(p)) return true;
    if (!inside(t.root, p)) return true;
    const base = path.basename(p);
    if (isTempName(base)) return true;
    const depth = path.relative(t.root, p).split(path.sep).length; // 1: a direct child
    if (stats?.isDirectory()) return depth > t.maxDepth || base.startsWith('.');
    if (stats?.isFile()) return !t.match(p);
    return depth > t.maxDepth + 1;
  };
}
