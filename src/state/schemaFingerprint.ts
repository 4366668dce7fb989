import { createHash } from 'node:crypto';

/** A dataset's schema fingerprint: its columns, names and types in order. Two datasets with one fingerprint have one shape. */
export function schemaFingerprint(schema: readonly { name: string; type: string }[] | null | undefined): string | null {
  if (!schema) return null;
  const text = JSON.stringify(schema.map((c) => [c.name, c.type]));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
