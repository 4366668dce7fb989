/**
 * Which tsconfig a code source's extractor reads: `sources.NAME.tsconfig` when set, else the
 * extraction root's tsconfig.json (files.ts codeRoot). A missing default is a warning (TypeScript's
 * defaults apply); a tsconfig that is set or present but unusable — missing, empty, not JSON, an
 * `extends` that is not there — is an E_CONFIG naming the file, because extracting with the defaults
 * instead would quietly leave most imports unresolved.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedSource } from '../../config/types.js';
import { RelspecError } from '../../errors.js';
import { readTsconfig } from '../../code/tsconfig.js';
import { tsconfigMissingWarning, type ProjectWarning } from '../../project/warnings.js';

export interface CodeTsconfig {
  /** Absolute path of the tsconfig the extractor reads; null: none, TypeScript's defaults. */
  file: string | null;
  /** The parsed options, for the source's identity: a tsconfig edit that changes them re-extracts everything. */
  key: string;
  warning?: ProjectWarning;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The tsconfig of `source` (extraction root `root`); throws E_CONFIG when it is set or present but unusable. */
export function codeTsconfig(source: ResolvedSource, root: string, configRoot: string): CodeTsconfig {
  const fixKey = `sources.${source.name}.tsconfig`;
  const file = source.tsconfig ?? path.join(root, 'tsconfig.json');
  if (!isFile(file)) {
    if (source.tsconfig !== undefined) {
      throw new RelspecError('E_CONFIG', `code source ${source.name}: tsconfig not found`, {
        file,
        fix: `check ${fixKey} (a path relative to the config file)`,
      });
    }
    return { file: null, key: 'none', warning: tsconfigMissingWarning(configRoot, source.name, file) };
  }
  const read = readTsconfig(file);
  if (!read.ok) {
    const via = read.file === file ? '' : ` (extended by ${file})`;
    throw new RelspecError('E_CONFIG', `code source ${source.name}: its tsconfig ${read.reason}${via}`, {
      file: read.file,
      fix: `make it a JSON object of compiler options (e.g. {"compilerOptions": {"module": "NodeNext"}}) whose extends names existing files, or point ${fixKey} at the tsconfig the code is built with`,
    });
  }
  return { file, key: JSON.stringify(read.options) };
}
