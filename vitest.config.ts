import { defineConfig } from 'vitest/config';

export default defineConfig({
  // src/code/typescript.cts loads TypeScript through require for the CLI's start-up; vite cannot
  // transform a CommonJS TypeScript file, and in tests TypeScript is loaded once per worker anyway.
  resolve: { alias: [{ find: /^\.\/typescript\.cjs$/, replacement: 'typescript' }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB and better-sqlite3 are native; forks isolate them per file.
    pool: 'forks',
    // vitest's default for `run` is one worker fewer than the CPUs: a single worker on a 2-core CI
    // machine. Most of a test file's time is spent waiting on the relspec processes it spawns
    // (start-up, debounces, daemons), so two files at a time use both cores.
    maxWorkers: Number(process.env.RELSPEC_TEST_WORKERS ?? 2),
    // A worker runs file after file in one process: src and its dependencies (TypeScript, DuckDB)
    // are imported once per worker rather than once per file (about a third of the CPU time of the
    // unit-test files). Tests restore what they change in the process (env) in their afterEach.
    isolate: process.env.RELSPEC_TEST_ISOLATE === '1',
  },
});
