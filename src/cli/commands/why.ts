import { why } from '../../incremental/why.js';
import { whyLines } from '../../format/why.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { openStateReader } from './status.js';

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
    print(whyLines(res, name, reader.root).join('\n'));
    return 0;
  } finally {
    reader.close();
  }
}
