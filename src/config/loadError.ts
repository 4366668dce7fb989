import path from 'node:path';
import { RelspecError, errorMessage } from '../errors.js';

const SHAPE = 'the config must `export default defineConfig({...})` or a plain object';

/**
 * What jiti's failure means, as one line naming where. jiti reports a parse failure as an Error whose
 * message is `ParseError: <what>  \n <file>:<line>:<col>` (babel's location, not the stack); anything
 * else was thrown while the config ran, and its stack's first frame outside node_modules is where.
 */
export function configLoadError(file: string, e: unknown): RelspecError {
  const msg = errorMessage(e);
  const parse = /^(?:\w+: )?(?:ParseError|SyntaxError): ([^\n]*?)\s*(?:\n\s*(\S+?):(\d+):(\d+))?\s*$/s.exec(msg);
  if (parse) {
    const [, what, at, line, col0] = parse;
    // babel counts columns from 0; editors and compilers (file:line:col) from 1.
    const col = col0 === undefined ? undefined : String(Number(col0) + 1);
    const where = line ? `${at && path.resolve(at) !== file ? at : file}:${line}:${col}` : file;
    return new RelspecError('E_CONFIG_LOAD', `syntax error: ${what!.trim()}`, {
      file: where,
      fix: line ? `fix the syntax at line ${line}, column ${col}` : 'fix the syntax error',
      cause: e,
    });
  }
  const frame = e instanceof Error ? firstUserFrame(e.stack ?? '') : undefined;
  const name = e instanceof Error && e.name !== 'Error' ? `${e.name}: ` : '';
  const first = msg.split('\n')[0]!;
  return new RelspecError('E_CONFIG_LOAD', `the config threw: ${name}${first}${frame ? ` (at ${frame})` : ''}`, {
    file,
    fix: `fix the code that throws (or what it reads); ${SHAPE}`,
    cause: e,
  });
}

/**
 * `file:line` of the first stack frame in the user's code (not node internals, not node_modules).
 * jiti keeps lines but prefixes line 1 with its module wrapper, so a column would mislead there.
 */
function firstUserFrame(stack: string): string | undefined {
  for (const l of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(l.trim());
    if (!m || m[1]!.includes('/node_modules/')) continue;
    return `${m[1]!.replace(/^file:\/\//, '')}:${m[2]}`;
  }
  return undefined;
}

/** The default export never settled: a pending promise, a top-level await, an import that hangs. */
export function configTimeoutError(file: string, ms: number): RelspecError {
  const secs = ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
  return new RelspecError('E_CONFIG', `the config's default export did not resolve within ${secs}`, {
    file,
    fix: 'make the config (and what it imports or awaits) settle: export an object, or a promise that resolves (RELSPEC_CONFIG_TIMEOUT_MS sets the limit)',
  });
}
