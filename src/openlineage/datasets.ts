import path from 'node:path';
import { deltaOutputDir } from '../engine/deltaOutput.js';
import type { ResolvedConfig } from '../config/types.js';
import type { GraphTask } from '../graph/index.js';

/**
 * Dataset identity as OpenLineage's naming conventions have it (docs/openlineage.md): files and Delta
 * tables are `file` + their absolute path (a file source's glob), tables in relspec's DuckDB warehouse
 * are `duckdb://<warehouse file>` + their name. The same dataset gets the same name as input and output.
 */
export function datasetRef(config: ResolvedConfig, ds: string, producer?: GraphTask): { namespace: string; name: string } {
  const source = config.sources[ds] ?? config.sources[ds.split('.')[0]!];
  if (source && source.format !== 'code') return { namespace: 'file', name: source.path };
  if (producer?.materialize === 'delta') return { namespace: 'file', name: deltaOutputDir(config.outputsDir, ds) };
  return { namespace: `duckdb://${path.join(config.stateDir, 'warehouse.duckdb')}`, name: ds };
}
