import type { Json } from '@duckdb/node-api';

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; NULL is empty. */
const field = (v: Json): string => {
  const s = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function formatCsv(columns: readonly string[], rows: readonly Json[][]): string {
  return [columns, ...rows].map((r) => `${r.map(field).join(',')}\r\n`).join('');
}
