import { WhyRenderer } from '../../format/why.js';
import { whyCaveatLines } from '../../incremental/caveatText.js';
import type { WhyResult } from '../../incremental/why.js';

/** `relspec why NAME` as lines, exactly as the CLI prints them (src/cli/commands/why.ts), for the page. */
export function whyLines(res: WhyResult, name: string, root: string): string[] {
  const r = new WhyRenderer(root);
  if (res.explanations.length > 1) r.lines.push(`output ${name} has ${res.tasks.length} producers: ${res.tasks.join(', ')}`);
  res.explanations.forEach((e, i) => {
    if (i > 0 || res.explanations.length > 1) r.lines.push('');
    r.explanation(e, 0, true);
    if (e.caveats) for (const l of whyCaveatLines(e.caveats)) r.lines.push(`  ${l}`);
    if (e.status !== 'built' && !e.elided && e.lastBuiltRun != null) {
      r.lines.push(`(\`relspec why ${e.task} --run ${e.lastBuiltRun}\` explains that build)`);
    }
  });
  return r.lines;
}
