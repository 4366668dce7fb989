import type { Cause } from '../records/types.js';

/** A cause in a few words, as the run's console lines and the daemon's log show it (`why` tells the whole chain). */
export function causeText(c: Cause): string {
  switch (c.kind) {
    case 'input_changed':
      return `${c.input}(${c.columns.join(', ') || 'row count'}) changed`;
    case 'plan_changed':
      return 'plan changed';
    case 'previous_failure':
      return `failed in run ${c.runId}`;
    case 'engine_changed':
      return `engine ${c.from} → ${c.to}`;
    case 'output_missing':
      return 'output missing';
    case 'new':
      return 'new';
    case 'forced':
      return 'forced';
    case 'file_changed':
      return `file ${c.path} ${c.to === 'missing' ? 'missing' : c.from === null ? 'new' : c.to === null ? 'no longer read' : 'changed'}`;
    case 'volatile':
      return 'volatile';
  }
}
