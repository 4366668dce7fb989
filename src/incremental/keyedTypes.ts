// TEMPORARY mirror of src/lineage/keys.ts's types until that module lands (replaced by its imports).
export type KeyRefusal = { kind: string; [k: string]: unknown };
export interface ProvenKey {
  columns: string[];
  inputs: Record<string, string[]>;
}
export interface KeyProof {
  keys: ProvenKey[];
  declared?: { columns: string[]; proven: boolean; reason?: KeyRefusal };
  reason?: KeyRefusal;
}
