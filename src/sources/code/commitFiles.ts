/**
 * The source files behind a code-source commit, recorded in commitInfo.operationParameters under
 * `relspec.files` (a JSON string, as Delta parameters are strings): so a cause chain can end at the
 * edited file rather than only at a table version. Any Delta reader sees it as a plain parameter.
 */

/** `modified`/`added`/`removed` changed themselves; `dependent` files were only re-resolved against them. */
export interface CommitFiles {
  added: string[];
  removed: string[];
  modified: string[];
  dependent: string[];
}

export const COMMIT_FILES_PARAM = 'relspec.files';

/** Lists are capped: a commit of a whole code base names the first files only. */
const MAX_LISTED = 1000;

export function commitFilesParameter(files: CommitFiles): Record<string, string> {
  const cap = (xs: readonly string[]) => xs.slice(0, MAX_LISTED);
  return {
    [COMMIT_FILES_PARAM]: JSON.stringify({
      added: cap(files.added),
      removed: cap(files.removed),
      modified: cap(files.modified),
      dependent: cap(files.dependent),
    }),
  };
}

/** The files a commit names, when its parameters carry a well-formed `relspec.files`. */
export function commitFiles(parameters: Record<string, unknown> | undefined): CommitFiles | undefined {
  const raw = parameters?.[COMMIT_FILES_PARAM];
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Record<keyof CommitFiles, unknown>>;
    const list = (x: unknown): string[] => (Array.isArray(x) ? x.filter((p): p is string => typeof p === 'string') : []);
    return { added: list(v.added), removed: list(v.removed), modified: list(v.modified), dependent: list(v.dependent) };
  } catch {
    return undefined;
  }
}
