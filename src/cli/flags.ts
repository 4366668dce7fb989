import { RelspecError } from '../errors.js';

/**
 * The one parser for integer flags (`--limit`, `--run`, `--version`, `--from`, `--to`). Digits only:
 * `Number()` would take '' as 0, '1e3' as 1000, '0x10' as 16 and ' 7 ' as 7, none of which a user
 * means as a count. A bad value is a usage error (exit 2) whose one line names the flag and the fix.
 */
export interface IntegerRule {
  /** The smallest value accepted: 0 for counts and versions, 1 for run numbers. */
  min: 0 | 1;
  /** What to do instead, e.g. `e.g. --limit 10`. */
  fix: string;
}

export function parseInteger(flag: string, raw: string, rule: IntegerRule): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(n) && n >= rule.min) return n;
  const wanted = rule.min === 1 ? 'a positive integer (1 or more)' : 'a whole number (0 or more)';
  throw new RelspecError('E_USAGE', `${flag} takes ${wanted}, got '${raw}'`, { fix: rule.fix });
}
