import path from 'node:path';
import type { ResolvedConfig, ResolvedSource } from '../config/types.js';
import { isInside } from '../sources/globParts.js';

/**
 * Things that load but deserve the user's eye, as typed data (README "Bad input catalog"). Printed by
 * `formatWarning` only: `validate` (text and `--json`) shows them. Add a kind here, not a sentence.
 */
export type ProjectWarning =
  | {
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
    }
  | {
      kind: 'code_tsconfig_missing';
      code: 'W_CODE_NO_TSCONFIG';
      source: string;
      /** Where the tsconfig was looked for (the extraction root's tsconfig.json; shown like `glob`). */
      expected: string;
    }
  | {
      kind: 'code_unresolved_imports';
      code: 'W_CODE_UNRESOLVED_IMPORTS';
      source: string;
      /** The tsconfig the extractor read, or null for none (shown like `glob`). */
      tsconfig: string | null;
      /** Relative imports (`./x`, `../x`) whose resolved_path is null, of how many. */
      unresolved: number;
      relative: number;
      /** A few of them: `importing file → specifier`. */
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

/** The warning for a code source with no tsconfig at its root (`expected`: absolute path looked at). */
export function tsconfigMissingWarning(configRoot: string, source: string, expected: string): ProjectWarning {
  return { kind: 'code_tsconfig_missing', code: 'W_CODE_NO_TSCONFIG', source, expected: shown(configRoot, expected) };
}

/** Above this share of unresolved relative imports, the tsconfig (or the glob) is most likely wrong. */
const UNRESOLVED_SHARE = 0.1;
const isRelative = (m: string): boolean => m === '.' || m === '..' || m.startsWith('./') || m.startsWith('../');

/** The warning for a code source more than 10% of whose relative imports resolved to none of its files. */
export function unresolvedImportsWarning(
  configRoot: string,
  source: string,
  tsconfig: string | null,
  imports: Iterable<{ path: string; module: string; resolved_path: string | null }>,
): ProjectWarning | undefined {
  let relative = 0;
  const unresolved: string[] = [];
  for (const i of imports) {
    if (!isRelative(i.module)) continue;
    relative++;
    if (i.resolved_path === null) unresolved.push(`${i.path} → '${i.module}'`);
  }
  if (relative === 0 || unresolved.length <= UNRESOLVED_SHARE * relative) return undefined;
  return {
    kind: 'code_unresolved_imports',
    code: 'W_CODE_UNRESOLVED_IMPORTS',
    source,
    tsconfig: tsconfig === null ? null : shown(configRoot, tsconfig),
    unresolved: unresolved.length,
    relative,
    examples: unresolved.sort().slice(0, 3),
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
    case 'code_tsconfig_missing':
      return (
        `${w.code} ${w.expected}: code source ${w.source} has no tsconfig, so TypeScript's defaults apply and imports may not resolve` +
        ` — add a tsconfig.json there, or set sources.${w.source}.tsconfig to the one the code is built with (relative to the config file)`
      );
    case 'code_unresolved_imports': {
      const pct = Math.round((100 * w.unresolved) / w.relative);
      const where = w.tsconfig ?? `sources.${w.source}`;
      return (
        `${w.code} ${where}: ${w.unresolved} of ${w.relative} relative imports (${pct}%) of code source ${w.source}${w.tsconfig === null ? ' (no tsconfig)' : ''} did not resolve to one of its files` +
        ` (e.g. ${w.examples.join(', ')}) — check the tsconfig's module, moduleResolution and paths (or set sources.${w.source}.tsconfig), and that the glob covers the imported files`
      );
    }
  }
}
