/**
 * TypeScript, loaded through `require`. Imported from an ES module, Node runs its ~9 MB CommonJS
 * bundle through module-format detection and the CommonJS export lexer before compiling it: ~260 ms
 * of every process that extracts code (measured in docs: bench/results.md, "TypeScript through
 * require"). A CommonJS module of our own that requires it is compiled once, lexed not at all.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loading through require is this module's purpose
import ts = require('typescript');
export = ts;
