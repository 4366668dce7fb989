import { readFileSync } from 'node:fs';
import { producerUri } from './types.js';

/**
 * The producer URI of this relspec: package.json sits two levels above this file both in src/ (tests)
 * and in dist/ (the CLI). Unreadable (a bundled copy): the repository's URL without a tag.
 */
export function relspecProducer(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (pkg.version) return producerUri(pkg.version);
  } catch {
    /* fall through */
  }
  return 'https://github.com/relspec/relspec';
}
