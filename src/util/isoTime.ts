/** ISO-8601 date or date-time; without an offset it is read as UTC (the same instant on every machine). */
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

/** Milliseconds since the epoch of an ISO-8601 string, or undefined when it is not one. */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  let s = text.trim().replace(' ', 'T');
  if (m[1] && !m[4]) s += 'Z';
  else if (m[4] && /^[+-]\d{2}$/.test(m[4])) s += ':00'; // `+01`: V8 wants the minutes
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}
