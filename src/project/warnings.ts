import path from 'node:path';
import type { ResolvedConfig, ResolvedSource } from '../config/types.js';
import { isInside } from '../sources/globParts.js';

/**
 * Things that load but deserve the user's eye, as typed data (README "Bad input catalog"). Printed by
 * `formatWarning` only: `validate` (text and `--json`) shows them. Add a kind here, not a sentence.
 */
export type ProjectWarning = {
  kind: 'glob_matches_own_files';
  code: 'W_SOURCE_OWN_FILES';
  source: string;
  /** The source's glob as the user wrote it (relative to the config's directory where possible). */
  glob: string;
  /** relspec's directories it reached into (relative to the config's directory where possible). */
  dirs: string[];
  /** How many of relspec's own files it matched, and a few of them. */
  files: number;
  examples: string[];
};

const shown = (root: string, p: string): string => {
  const rel = path.relative(root, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
};

/** The warning for a file source whose glob matched files in relspec's own directories (left out). */
export function ownFilesWarning(config: ResolvedConfig, source: ResolvedSource, excluded: readonly string[]): ProjectWarning | undefined {
  if (excluded.length === 0) return undefined;
  const own = [config.stateDir, config.outputsDir].map((d) => path.resolve(d));
  // The innermost directory holding each file (outputs usually live inside the state directory).
  const dirs = new Set<string>();
  for (const f of excluded) {
    const d = own.filter((o) => isInside(o, f)).sort((a, b) => b.length - a.length)[0];
    if (d) dirs.add(shown(config.root, d));
  }
  return {
    kind: 'glob_matches_own_files',
    code: 'W_SOURCE_OWN_FILES',
    source: source.name,
    glob: shown(config.root, source.path),
    dirs: [...dirs].sort(),
    files: excluded.length,
    examples: excluded.slice(0, 3).map((f) => shown(config.root, f)),
  };
}

/** One line, like errors: `CODE file: what — fix`. */
export function formatWarning(w: ProjectWarning): string {
  switch (w.kind) {
    case 'glob_matches_own_files': {
      const n = `${w.files} file${w.files === 1 ? '' : 's'}`;
      return (
        `${w.code} ${w.glob}: source ${w.source} would match ${n} of relspec's own under ${w.dirs.join(', ')} (e.g. ${w.examples[0]}); they are left out` +
        ` — narrow sources.${w.source}.path (e.g. 'data/**/*.parquet'), or move state/outputs outside the glob`
      );
    }
  }
}
