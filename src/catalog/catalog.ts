import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { RelspecError } from '../errors.js';
import { parseHeader } from './header.js';
import type { TaskSpec } from './types.js';

export interface CatalogResult {
  tasks: TaskSpec[];
  /** Files that could not be read as tasks; the rest of the catalog still loads. */
  errors: RelspecError[];
}

export const taskNameOf = (relPath: string): string => relPath.replace(/\.sql$/i, '').split('/').join('.');

export function readTaskFile(tasksDir: string, file: string): TaskSpec {
  const relPath = path.relative(tasksDir, file).split(path.sep).join('/');
  const name = taskNameOf(relPath);
  const text = readFileSync(file, 'utf8');
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
      if (e instanceof RelspecError) errors.push(e);
      else throw e;
    }
  }
  tasks.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tasks, errors };
}
