/**
 * Where a command prints: the process's stdout and stderr in direct mode, or the socket when the
 * daemon answers for it — the same printing code, so both modes print the same bytes.
 */
export interface Out {
  /** A line on stdout ('\n' added unless it ends in one). */
  print(s: string): void;
  printJson(v: unknown): void;
  /** Raw text on stdout (CSV, already line-terminated). */
  write(s: string): void;
  /** Raw text on stderr (callers end their lines in '\n'). */
  err(s: string): void;
}

export function outTo(stdout: (s: string) => void, stderr: (s: string) => void): Out {
  const print = (s: string) => stdout(s.endsWith('\n') ? s : s + '\n');
  return { print, printJson: (v) => print(JSON.stringify(v, null, 2)), write: stdout, err: stderr };
}

export const stdio: Out = outTo(
  (s) => void process.stdout.write(s),
  (s) => void process.stderr.write(s),
);
