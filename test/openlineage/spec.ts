import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { RunEvent } from '../../src/openlineage/index.js';

/** The OpenLineage specification's JSON Schemas, outside the repository (../shared): tests skip their checks without it. */
export const SPEC_DIR = path.resolve(import.meta.dirname, '../../../shared/openlineage-spec');
export const specPresent = existsSync(path.join(SPEC_DIR, 'OpenLineage.json'));

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;

/** A validator: the event against RunEvent, and each facet relspec emits against its own facet schema. Returns the problems. */
export function specValidator(): (e: RunEvent) => string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const main = JSON.parse(readFileSync(path.join(SPEC_DIR, 'OpenLineage.json'), 'utf8')) as { $id: string };
  ajv.addSchema(main);
  const facetIds = new Map<string, string>();
  for (const f of readdirSync(path.join(SPEC_DIR, 'facets'))) {
    const s = JSON.parse(readFileSync(path.join(SPEC_DIR, 'facets', f), 'utf8')) as { $id: string; properties?: Record<string, unknown> };
    ajv.addSchema(s);
    for (const key of Object.keys(s.properties ?? {})) facetIds.set(key, s.$id);
  }
  const runEvent = ajv.compile({ $ref: `${main.$id}#/$defs/RunEvent` });
  return (e) => {
    const problems: string[] = [];
    if (!runEvent(e)) problems.push(`RunEvent: ${ajv.errorsText(runEvent.errors)}`);
    const facets: [string, Record<string, unknown> | undefined][] = [
      ['run', e.run.facets],
      ['job', e.job.facets],
      ...e.inputs.map((d) => [`input ${d.name}`, d.facets] as [string, Record<string, unknown> | undefined]),
      ...e.outputs.map((d) => [`output ${d.name}`, d.facets] as [string, Record<string, unknown> | undefined]),
    ];
    for (const [where, fs] of facets) {
      for (const [key, value] of Object.entries(fs ?? {})) {
        const id = facetIds.get(key);
        if (!id) continue; // a custom facet (relspec_rebuild): checked by the tests themselves
        const v = ajv.getSchema(id)!;
        if (!v({ [key]: value })) problems.push(`${where} facet ${key}: ${ajv.errorsText(v.errors)}`);
      }
    }
    return problems;
  };
}
