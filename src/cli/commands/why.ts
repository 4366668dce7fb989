import { why } from '../../incremental/why.js';
import { WhyRenderer } from '../../format/why.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { openStateReader } from './status.js';
import { whyCaveatLines } from '../../incremental/caveatText.js';

export interface WhyCliOptions extends GlobalOptions {
  /** Checked by the option table (cli/main.ts): a positive integer. */
  run?: number;
  json?: boolean;
}

export async function whyCommand(name: string, opts: WhyCliOptions): Promise<number> {
  const reader = await openStateReader(opts);
  try {
    const res = why(reader.store, name, { runId: opts.run });
    if (opts.json) {
      printJson(res.explanations.length === 1 ? res.explanations[0] : { target: res.target, producers: res.explanations });
      return 0;
    }
    const r = new WhyRenderer(reader.root);
    if (res.explanations.length > 1) r.lines.push(`output ${name} has ${res.tasks.length} producers: ${res.tasks.join(', ')}`);
    res.explanations.forEach((e, i) => {
      if (i > 0 || res.explanations.length > 1) r.lines.push('');
      r.explanation(e, 0, true);
      if (e.caveats) for (const l of whyCaveatLines(e.caveats)) r.lines.push(`  ${l}`);
      if (e.status !== 'built' && !e.elided && e.lastBuiltRun != null) {
        r.lines.push(`(\`relspec why ${e.task} --run ${e.lastBuiltRun}\` explains that build)`);
      }
    });
    print(r.lines.join('\n'));
    return 0;
  } finally {
    reader.close();
  }
}
