import type { Refresh, RefreshReason } from '../records/types.js';
import { formatKeyRefusal } from './keys.js';

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Why a refresh ran in full, in words ("join on symbol, not on the key", "3 of 5 keys changed (over 30%)"). */
export function refreshReasonText(r: RefreshReason): string {
  switch (r.kind) {
    case 'not_key_scoped':
      return r.refusal ? `not key-scoped: ${formatKeyRefusal(r.refusal)}` : 'not key-scoped';
    case 'declared_key_refused':
      return `the declared key (${r.columns.join(', ')}) does not hold${r.refusal ? `: ${formatKeyRefusal(r.refusal)}` : ''}`;
    case 'materialization':
      return r.materialize === 'shared' ? 'the output has several producers' : `a ${r.materialize} output is rewritten whole`;
    case 'contract':
      return 'a contract on a Delta output is checked on the whole table';
    case 'first_build':
      return 'no earlier key-scoped build to refresh';
    case 'cause':
      return `${r.cause.replace(/_/g, ' ')}: every key is affected`;
    case 'changes_unknown':
      return `no change rows for input ${r.input}`;
    case 'too_many_keys':
      if (r.of === 0) return 'the output was empty: nothing to refresh by key';
      return `${r.keys} of ${r.of} keys changed (over ${pct(r.threshold)}: a full refresh is cheaper)`;
    case 'too_many_rows':
      return `the changed keys hold ${r.rows} of ${r.of} rows (over ${pct(r.threshold)}: a full refresh is cheaper)`;
    case 'keys_off':
      return 'refresh by key is off (engine.keyThreshold is 0)';
    case 'interrupted_write':
      return 'the previous write was interrupted';
    case 'not_rewritable':
      return 'the SQL could not be restricted to the changed keys';
    case 'new_columns':
      return 'a consumer reads columns with no stored token';
  }
}

/** `refreshed 1 of 519 keys (path)` or `refreshed in full: join on symbol, not on the key`. */
export function refreshText(r: Refresh): string {
  if (r.mode === 'keys') {
    return `refreshed ${r.keys ?? '?'} of ${r.of ?? '?'} key${r.of === 1 ? '' : 's'} (${(r.key ?? []).join(', ')})${r.rows !== undefined ? `, ${r.rows} row${r.rows === 1 ? '' : 's'} recomputed` : ''}`;
  }
  return `refreshed in full${r.reason ? `: ${refreshReasonText(r.reason)}` : ''}`;
}
