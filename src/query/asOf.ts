import type { Store } from '../state/store.js';

/** Which run the warehouse reflects for a read, and whether another is writing now. */
export interface AsOf {
  /** The latest run that finished (its builds are committed); null before any. */
  asOfRun: number | null;
  running: boolean;
}

/**
 * Every build commits in its own DuckDB transaction, so a reader sees outputs as of finished
 * builds; a run still going (`running` and its writer alive) may commit more while you read.
 */
export function readAsOf(store: Store, writerAlive: boolean): AsOf {
  const recent = store.runs(20);
  const finished = recent.find((r) => r.status !== 'running');
  return { asOfRun: finished?.id ?? null, running: writerAlive && recent.some((r) => r.status === 'running') };
}
