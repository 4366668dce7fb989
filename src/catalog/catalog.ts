import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { RelspecError, errorMessage } from '../errors.js';
import { parseHeader, parseHeaderLenient } from './header.js';
import { isDatasetName } from './names.js';
import type { TaskSpec } from './types.js';

export interface CatalogResult {
  tasks: TaskSpec[];
  /** Files that could not be read as tasks; the rest of the catalog still loads. */
  errors: RelspecError[];
}

export const taskNameOf = (relPath: string): string =>
  relPath
    .replace(/\.sql$/i, '')
    .split('/')
    .join('.');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text; bytes that are not UTF-8 are an error (silently replacing them would change the SQL). */
function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    // A dangling or looping symlink, a file deleted mid-scan, a permission problem.
    throw new RelspecError('E_TASK', `cannot read task file: ${errorMessage(e).split('\n')[0]}`, {
      file,
      fix: 'fix or remove the file (a broken symlink?)',
    });
  }
  try {
    return utf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new RelspecError(
      'E_TASK',
      `task file is not valid UTF-8 (first bad byte at offset ${at}: 0x${bytes[at]?.toString(16).padStart(2, '0')})`,
      {
        file,
        fix: 'save the file as UTF-8',
      },
    );
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (approximately: for the message). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return 0;
}

export function readTaskFile(tasksDir: string, file: string): TaskSpec {
  const relPath = path.relative(tasksDir, file).split(path.sep).join('/');
  const name = taskNameOf(relPath);
  const text = readText(file);
  const { options, sql, sqlLine } = parseHeader(text, name, file);
  if (sql.replace(/--[^\n]*/g, '').trim() === '') {
    throw new RelspecError('E_TASK_SQL', 'task file has no SQL', {
      file,
      fix: 'write one SELECT query, or delete the file',
    });
  }
  return Object.freeze({
    name,
    file,
    relPath,
    options,
    sql,
    sqlLine,
    contentHash: createHash('sha256').update(text).digest('hex'),
  });
}

/**
 * A task file that could not be read as a task (bad header, no SQL, not UTF-8), as a spec with
 * default options where they are bad. It never builds: its file's error fails it on every run.
 */
function standIn(tasksDir: string, file: string): TaskSpec | undefined {
  try {
    const relPath = path.relative(tasksDir, file).split(path.sep).join('/');
    const name = taskNameOf(relPath);
    const text = readFileSync(file, 'utf8');
    const { options, sql, sqlLine } = parseHeaderLenient(text, name, file);
    if (!isDatasetName(options.output)) return undefined;
    return Object.freeze({ name, file, relPath, options, sql, sqlLine, contentHash: createHash('sha256').update(text).digest('hex') });
  } catch {
    return undefined;
  }
}

/** Every `*.sql` under the tasks directory is one task, sorted by name for determinism. */
export async function catalogTasks(tasksDir: string): Promise<CatalogResult> {
  if (!existsSync(tasksDir) || !statSync(tasksDir).isDirectory()) {
    throw new RelspecError('E_TASK', 'tasks directory not found', {
      file: tasksDir,
      fix: "create it, or set `tasks: 'DIR'` in the config",
    });
  }
  const files = (await glob('**/*.sql', { cwd: tasksDir, absolute: true, dot: false })).sort();
  const tasks: TaskSpec[] = [];
  const errors: RelspecError[] = [];
  const byName = new Map<string, TaskSpec>();
  for (const file of files) {
    try {
      const task = readTaskFile(tasksDir, file);
      const clash = byName.get(task.name);
      if (clash) {
        errors.push(
          new RelspecError('E_TASK', `duplicate task name '${task.name}' (also ${clash.relPath})`, {
            file,
            fix: 'rename one of the files; names come from paths, case and `.SQL` included',
          }),
        );
        continue;
      }
      byName.set(task.name, task);
      tasks.push(task);
    } catch (e) {
      if (!(e instanceof RelspecError)) throw e;
      errors.push(e);
      // The task stays in the catalog (and so in the graph), failed by this error: an edit that
      // breaks a task file must not drop the output it built, nor turn its readers' errors into
      // "unknown table".
      const stand = standIn(tasksDir, file);
      if (stand && !byName.has(stand.name)) {
        byName.set(stand.name, stand);
        tasks.push(stand);
      }
    }
  }
  tasks.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tasks, errors };
}
