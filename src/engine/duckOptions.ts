/**
 * Settings of every DuckDB database relspec reads data through (the warehouse, read-only opens,
 * scratch connections). `window_self_join` (DuckDB 1.5) rewrites `agg(…) OVER (PARTITION BY …)` into
 * a join with a second scan built from the first scan's *expanded* file names, which DuckDB globs
 * again: a file named `p[0] é.parquet`, read through its escaped pattern `p[[]0] é.parquet`
 * (sources/files.ts duckPathPattern), is then read as `p0 é.parquet` — wrong rows reported as fresh
 * (found by the keyed differential, seed 501; test/sources/literalPaths.test.ts). Turning the rewrite
 * off costs a window its self-join shortcut, never a result.
 */
export const DUCK_OPTIONS: Readonly<Record<string, string>> = { disabled_optimizers: 'window_self_join' };
