import type { KeyProof, KeyRefusal } from '../lineage/keys.js';

/** Why a task is not key-scoped, in words: "inner join on symbol, not on the key", "LIMIT reads other keys". */
export function formatKeyRefusal(r: KeyRefusal): string {
  switch (r.kind) {
    case 'not_passed_through':
      return `${r.column} is not carried unchanged from ${r.input ?? 'every input'}`;
    case 'join_not_on_key':
      if (r.nullable) return `the key comes from the side of a ${r.join} join that may be NULL`;
      if (r.join === 'cross') return 'cross join (not on the key)';
      return `${r.join} join${r.on && r.on.length > 0 ? ` on ${r.on.join(', ')}` : ''}, not on the key`;
    case 'aggregate_without_key':
      return 'aggregate without the key';
    case 'window_without_key':
      return 'window without the key in PARTITION BY';
    case 'limit':
      return 'LIMIT reads other keys';
    case 'subquery':
      return 'subquery not correlated on the key reads other keys';
    case 'operator':
      return `${r.operator} is not modelled by the proof`;
    case 'no_input':
      return 'no input';
    case 'unknown_column':
      return `the output has no column ${r.column}`;
    case 'plan_unavailable':
      return `no plan: ${r.message.split('\n')[0]}`;
  }
}

/** A proof in a line, as `relspec lineage` prints it: "key-scoped on path" / "not key-scoped: aggregate without the key". */
export function formatKeyProof(p: KeyProof): string {
  const on = p.keys.map((k) => k.columns.join(', '));
  const declared =
    p.declared && !p.declared.proven
      ? `; declared @key ${p.declared.columns.join(', ')} refused: ${p.declared.reason ? formatKeyRefusal(p.declared.reason) : 'not proven'}`
      : '';
  // Every bare column of a projection is a key: the first few say enough (--json lists them all).
  const shown = on.slice(0, 4).map((k) => (k.includes(',') ? `(${k})` : k));
  const more = on.length > shown.length ? ` (+${on.length - shown.length} more)` : '';
  if (on.length > 0) return `key-scoped on ${shown.join(' | ')}${more}${declared}`;
  return `not key-scoped${p.reason ? `: ${formatKeyRefusal(p.reason)}` : ''}${declared}`;
}
