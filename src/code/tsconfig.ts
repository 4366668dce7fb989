/**
 * Reading a code base's tsconfig the way tsc does (`ts.readConfigFile` + `ts.parseJsonConfigFileContent`
 * over the real file system), so `extends` chains — relative files and packages — and `paths` apply.
 * What makes the file unusable is returned as a reason instead of being swallowed: with a broken
 * tsconfig the compiler's defaults apply and most relative imports stop resolving, silently.
 */
import path from 'node:path';
import ts from './typescript.cjs';

export type TsconfigRead =
  | { ok: true; options: ts.CompilerOptions }
  /** `file`: the file at fault (the tsconfig itself, or one it extends). */
  | { ok: false; file: string; reason: string };

/**
 * Diagnostics that do not change what extraction sees: the glob decides the files (no inputs matched
 * by `include` is fine), and options this TypeScript does not know or has retired are only emit or
 * check settings to it — failing on them would break on every newer tsconfig.
 */
const IGNORED = new Set([
  18003, // No inputs were found in config file
  5023, // Unknown compiler option
  5025, // Unknown compiler option, did you mean
  5101, // Option is deprecated
  5102, // Option has been removed
  5107, // Option value is deprecated
  5108, // Option value has been removed
]);

const oneLine = (d: ts.Diagnostic): string => ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ').trim();

/** ` at line L, column C` when the diagnostic has a position. */
function at(d: ts.Diagnostic): string {
  if (!d.file || d.start === undefined) return '';
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return ` at line ${line + 1}, column ${character + 1}`;
}

/**
 * The config host: the real file system for the tsconfig and what it extends, but no directory
 * listing — the glob decides the files, and expanding `include` walks the whole tree for a list
 * nobody reads (tens of milliseconds on every observe step of a large code base).
 */
const configHost: ts.ParseConfigHost = {
  useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
  readDirectory: () => [],
  fileExists: (f) => ts.sys.fileExists(f),
  readFile: (f) => ts.sys.readFile(f),
};

/** The compiler options of `file` (absolute), or why they cannot be had. */
export function readTsconfig(file: string): TsconfigRead {
  const text = ts.sys.readFile(file);
  if (text === undefined) return { ok: false, file, reason: 'cannot be read' };
  if (text.trim() === '') return { ok: false, file, reason: 'is empty' };
  const read = ts.readConfigFile(file, () => text);
  if (read.error) return { ok: false, file, reason: `does not parse${at(read.error)}: ${oneLine(read.error)}` };
  if (read.config === null || typeof read.config !== 'object' || Array.isArray(read.config)) {
    return { ok: false, file, reason: 'is not a JSON object' };
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, configHost, path.dirname(file), undefined, file);
  const bad = parsed.errors.find((d) => d.category === ts.DiagnosticCategory.Error && !IGNORED.has(d.code));
  if (bad) return { ok: false, file: bad.file?.fileName ?? file, reason: `is not valid${at(bad)}: ${oneLine(bad)}` };
  return { ok: true, options: parsed.options };
}
