import type { FileSchema } from './fileSchema.js';

/**
 * What reading Delta tables learns about immutable files, kept by whoever owns a series of reads:
 * parquet footers (data files are written once, so a schema keyed by path, size and mtime stays
 * true) and decoded deletion vectors (DV files are immutable and uniquely named). The daemon's
 * session keeps one for its life, a run or a project load keeps one for its own reads; a reader
 * entry point given none makes a fresh one for that call. The bounds keep a long-lived owner's
 * memory flat when tables churn through many files.
 */
export class DeltaReadCache {
  /** Distinct file schemas by their signature (few: one per schema a table's files ever had). */
  private readonly bySignature = new Map<string, FileSchema>();
  /** `path\0size\0mtime` → schema signature. */
  private readonly byFile = new Map<string, string>();
  /** `file@offset#size` → deleted row indexes. */
  private readonly deletionVectors = new Map<string, number[]>();

  /** The schema of a file seen before, by `path\0size\0mtime`. */
  fileSchema(fileKey: string): FileSchema | undefined {
    const signature = this.byFile.get(fileKey);
    return signature === undefined ? undefined : this.bySignature.get(signature);
  }

  /** A schema seen before in another file with the same footer signature. */
  schema(signature: string): FileSchema | undefined {
    return this.bySignature.get(signature);
  }

  putFile(fileKey: string, schema: FileSchema): void {
    this.bySignature.set(schema.signature, schema);
    if (this.byFile.size > 100_000) this.byFile.clear();
    this.byFile.set(fileKey, schema.signature);
  }

  deletionVector(key: string): number[] | undefined {
    return this.deletionVectors.get(key);
  }

  putDeletionVector(key: string, rows: number[]): void {
    if (this.deletionVectors.size > 10_000) this.deletionVectors.clear();
    this.deletionVectors.set(key, rows);
  }
}
