import { CodeFactExtractor } from '../../code/index.js';
import { ManifestCache } from './manifest.js';

/**
 * The warm extractors of code sources, one per source identity (root, glob, table layout): a
 * language service whose program is reused, so re-extracting an edit costs milliseconds. Owned by
 * whoever runs: one `run` makes a pool and disposes it when done; the daemon keeps one for its life
 * (with `keepWarm`, so the first save after start-up does not pay the program build).
 */
export class CodeExtractors {
  readonly keepWarm: boolean;
  /** The manifests as last written (./manifest.ts): a watch step reads none from disk. */
  readonly manifests = new ManifestCache();
  private readonly byIdentity = new Map<string, CodeFactExtractor>();

  constructor(opts: { keepWarm?: boolean } = {}) {
    this.keepWarm = opts.keepWarm ?? false;
  }

  get(identity: string): CodeFactExtractor | undefined {
    return this.byIdentity.get(identity);
  }

  has(identity: string): boolean {
    return this.byIdentity.has(identity);
  }

  /** A new extractor for `root` (and its `tsconfig`: ../../code/program.ts), replacing (and disposing) any held for `identity`. */
  create(identity: string, root: string, tsconfig?: string | null): CodeFactExtractor {
    this.drop(identity);
    const ex = new CodeFactExtractor(root, tsconfig);
    this.byIdentity.set(identity, ex);
    return ex;
  }

  drop(identity: string): void {
    this.byIdentity.get(identity)?.dispose();
    this.byIdentity.delete(identity);
  }

  dispose(): void {
    for (const ex of this.byIdentity.values()) ex.dispose();
    this.byIdentity.clear();
  }
}
