/**
 * Scratch directory trees for tests (in the style of vitest's own `useFS` test utility): write a tree
 * from an object, edit, rename and remove files in it by relative path, and delete it afterwards.
 *
 * `useTempTree` is for one test: call it inside the test (or its beforeEach) and the tree is deleted
 * when the test finishes, pass or fail, after the afterEach hooks (so those can still close databases
 * and stop processes that hold files in it). `createTempTree` is the same tree without the hook, for a
 * tree shared by a describe block (beforeAll/afterAll) or owned by harness code that also runs outside
 * vitest (scripts/torture.ts): its owner calls `dispose()`, or keeps the tree for debugging.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

export type TreeFiles = Record<string, string | Uint8Array>;

export interface TempTreeOptions {
  /** The directory name's prefix under the OS temp dir, so a leftover tree says which test made it. */
  prefix?: string;
}

export interface TempTree {
  /** The tree's absolute directory. */
  readonly root: string;
  /** The absolute path of `rel` (the root without an argument). */
  path(rel?: string): string;
  /** Writes a file, creating its directories; returns its absolute path. */
  write(rel: string, content: string | Uint8Array): string;
  read(rel: string): string;
  /** Rewrites a text file through `fn`; returns its absolute path. */
  edit(rel: string, fn: (text: string) => string): string;
  /** Renames (moves) a file or directory within the tree, creating the target's directory; returns the new path. */
  rename(from: string, to: string): string;
  /** Removes a file or directory; nothing if it is absent. */
  remove(rel: string): void;
  mkdir(rel: string): string;
  /** Deletes the whole tree (idempotent). */
  dispose(): void;
}

export function createTempTree(files: TreeFiles = {}, opts: TempTreeOptions = {}): TempTree {
  const root = mkdtempSync(path.join(tmpdir(), opts.prefix ?? 'relspec-test-'));
  const at = (rel = '.'): string => path.join(root, rel);
  const mkdir = (rel: string): string => {
    mkdirSync(at(rel), { recursive: true });
    return at(rel);
  };
  const write = (rel: string, content: string | Uint8Array): string => {
    mkdir(path.dirname(rel));
    writeFileSync(at(rel), content);
    return at(rel);
  };
  const read = (rel: string): string => readFileSync(at(rel), 'utf8');
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return {
    root,
    path: at,
    write,
    read,
    edit: (rel, fn) => write(rel, fn(read(rel))),
    rename(from, to) {
      mkdir(path.dirname(to));
      renameSync(at(from), at(to));
      return at(to);
    },
    remove: (rel) => rmSync(at(rel), { recursive: true, force: true }),
    mkdir,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A tree deleted when the current test finishes. Call it inside a test or a beforeEach hook. */
export function useTempTree(files: TreeFiles = {}, opts: TempTreeOptions = {}): TempTree {
  const tree = createTempTree(files, opts);
  onTestFinished(() => tree.dispose());
  return tree;
}
