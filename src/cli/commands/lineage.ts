import { lineageBlockText } from '../../format/reasons.js';
import path from 'node:path';
import { RelspecError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import type { Project } from '../../project/load.js';
import { serveProjectCommand } from '../../serve/client.js';
import type { GlobalOptions } from '../context.js';
import { openProject } from '../../project/open.js';
import { stdio, type Out } from '../out.js';
import { contractOf } from '../../catalog/contract.js';
import { contractText } from '../../format/contract.js';
import { formatKeyProof } from '../../format/keys.js';

export async function lineageCommand(names: string[], opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const served = await serveProjectCommand(loaded, { type: 'lineage', tasks: names, json: opts.json });
  if (served !== undefined) return served;
  const { project, db } = await openProject(opts, loaded);
  db.close();
  return printLineage(project, names, opts, stdio);
}

export function printLineage(project: Project, names: string[], opts: { json?: boolean }, o: Out): number {
  const { lineage, tasks } = project;
  const wanted = names.length > 0 ? names : tasks.map((t) => t.name);
  const out = [];
  for (const name of wanted) {
    const spec = project.taskByName.get(name);
    if (!spec) {
      throw new RelspecError('E_SELECT', `no task named '${name}'`, { fix: 'run `relspec lineage` to list every task' });
    }
    const p = lineage.parsed.get(name);
    const full = lineage.lineage.get(name);
    const inputs: Record<string, string[] | null> = {};
    for (const ds of p?.reads ?? []) inputs[ds] = full?.inputs[ds] ?? null;
    const notes = [...(full?.notes ?? p?.notes ?? [])];
    const blocked = lineage.blocked.get(name);
    if (blocked) notes.push(`no column lineage: ${lineageBlockText(blocked)}`);
    if (!p) notes.push('no lineage: the task has errors (see `relspec validate`)');
    out.push({
      task: name,
      output: spec.options.output,
      file: spec.relPath,
      materialize: spec.options.materialize,
      inputs,
      outputSchema: full?.outputSchema ?? null,
      // `-- @contract` / `-- @unique`: the declared columns (types normalized) and unique keys.
      contract: contractOf(spec.options) ?? null,
      // The key proof: the keys it is key-scoped on, the declared `-- @key` and why a key does not hold.
      keys: full?.keys ?? null,
      fingerprint: p?.fingerprint ?? null,
      // Files read through table functions (tracked inputs), computed paths (untracked), volatile calls.
      files: (p?.files ?? []).map((f) => ({ fn: f.fn, pattern: f.pattern, paths: f.paths })),
      untracked: (p?.untracked ?? []).map((u) => u.call),
      volatile: p?.volatile ?? [],
      notes,
    });
  }
  if (opts.json) {
    o.printJson({ tasks: out });
    return 0;
  }
  for (const t of out) {
    o.print(`${t.task} → ${t.output} (${t.materialize}, ${t.file})`);
    o.print(`  fingerprint ${t.fingerprint?.slice(0, 16) ?? '-'}`);
    for (const [ds, cols] of Object.entries(t.inputs)) {
      o.print(`  reads ${ds}: ${cols === null ? '(unknown)' : cols.length === 0 ? '(row count only)' : cols.join(', ')}`);
    }
    for (const f of t.files)
      o.print(
        `  reads file${f.paths.length === 1 ? '' : 's'} ${f.fn}('${f.pattern}'): ${f.paths.length === 0 ? '(no match)' : f.paths.map((x) => path.relative(project.config.root, x)).join(', ')}`,
      );
    for (const u of t.untracked) o.print(`  untracked: ${u} (a computed path)`);
    if (t.volatile.length > 0) o.print(`  volatile: ${t.volatile.join(', ')}`);
    if (t.outputSchema) o.print(`  columns ${t.outputSchema.map((c) => `${c.name} ${c.type}`).join(', ')}`);
    if (t.contract) o.print(`  contract ${contractText(t.contract)}`);
    if (t.keys) o.print(`  ${formatKeyProof(t.keys)}`);
    for (const n of t.notes) o.print(`  note: ${n}`);
  }
  return 0;
}
