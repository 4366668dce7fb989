import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { RelspecError } from '../../src/errors.js';
import { parseInteger } from '../../src/cli/flags.js';
import { command, commandWith, flag, operand, register } from '../../src/cli/options.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/relspec.js');
const dir = mkdtempSync(path.join(tmpdir(), 'relspec-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const usageError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof RelspecError && e.code === 'E_USAGE') return e.oneLine();
    throw e;
  }
  throw new Error('no error');
};

describe('parseInteger', () => {
  const limit = { min: 1, fix: 'e.g. --limit 10' } as const;
  const version = { min: 0, fix: 'e.g. --version 3' } as const;

  it('accepts decimal digits at or above the minimum', () => {
    expect(parseInteger('--limit', '1', limit)).toBe(1);
    expect(parseInteger('--limit', '20', limit)).toBe(20);
    expect(parseInteger('--limit', '007', limit)).toBe(7);
    expect(parseInteger('--version', '0', version)).toBe(0);
    expect(parseInteger('--version', '9007199254740991', version)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['', ' ', '-1', '+1', '1.5', '1.0', '1e3', '0x10', ' 7', '7 ', 'abc', '12abc', 'Infinity', '9007199254740992'])(
    "rejects '%s' with one line naming the flag and the fix",
    (raw) => {
      expect(usageError(() => parseInteger('--version', raw, version))).toBe(
        `E_USAGE --version takes a whole number (0 or more), got '${raw}' — e.g. --version 3`,
      );
    },
  );

  it('rejects values under the minimum', () => {
    expect(usageError(() => parseInteger('--limit', '0', limit))).toBe(
      "E_USAGE --limit takes a positive integer (1 or more), got '0' — e.g. --limit 10",
    );
  });
});

describe('the option table', () => {
  /** Parses `argv` through a real commander program holding `def`; resolves to what `run` received. */
  async function parse(def: Parameters<typeof register>[1], argv: string[]) {
    const program = new Command('t').option('-c, --config <file>', 'config file', 'watch.config.ts').exitOverride();
    program.configureOutput({ writeErr: () => {} });
    let code = -1;
    register(program, def, (c) => (code = c));
    await program.parseAsync(argv, { from: 'user' });
    return code;
  }

  it('hands run typed values: integers parsed, defaults applied, --config merged in', async () => {
    let got: unknown;
    const def = commandWith({
      name: 'x',
      description: '',
      operand: operand.required('name', ''),
      flags: {
        limit: flag.integer('-n, --limit <n>', '', { min: 1, fix: '', default: 20 }),
        fullRefresh: flag.boolean('--full-refresh', ''),
        order: flag.string('-o, --order <sql>', ''),
      },
      run: async (name, o) => {
        got = { name, ...o };
        return 3;
      },
    });
    expect(await parse(def, ['x', 'a', '-n', '5', '--full-refresh', '-c', 'other.ts'])).toBe(3);
    expect(got).toEqual({ name: 'a', limit: 5, fullRefresh: true, config: 'other.ts' });
    await parse(def, ['x', 'b']);
    expect(got).toEqual({ name: 'b', limit: 20, config: 'watch.config.ts' });
  });

  it('a bad integer is the E_USAGE error, thrown before run', async () => {
    let ran = false;
    const def = command({
      name: 'x',
      description: '',
      flags: { run: flag.integer('-r, --run <n>', '', { min: 1, fix: 'see history' }) },
      run: async () => ((ran = true), 0),
    });
    await expect(parse(def, ['x', '--run', '2.5'])).rejects.toThrow(RelspecError);
    await expect(parse(def, ['x', '--run', '0'])).rejects.toThrow("--run takes a positive integer (1 or more), got '0'");
    expect(ran).toBe(false);
  });

  it('a key that is not the attribute commander derives from the flag is refused at definition', () => {
    expect(() =>
      command({ name: 'x', description: '', flags: { full_refresh: flag.boolean('--full-refresh', '') }, run: async () => 0 }),
    ).toThrow("command x: option key 'full_refresh' does not match --full-refresh ('fullRefresh')");
  });
});

describe('integer flags of the relspec CLI (real process)', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  // Checked while parsing, before the config is looked for: this directory has none.
  it.each([
    [['history', '--limit', '0'], "--limit takes a positive integer (1 or more), got '0' — e.g. --limit 10"],
    [['history', '-n', 'ten'], "--limit takes a positive integer (1 or more), got 'ten' — e.g. --limit 10"],
    [['show', 'x', '--limit', '-5'], "--limit takes a whole number (0 or more), got '-5' — e.g. --limit 100"],
    [['why', 'x', '--run', '1.5'], "--run takes a positive integer (1 or more), got '1.5' — pick a run number from `relspec history`"],
    [['delta', 'inspect', '.', '--version', 'v2'], "--version takes a whole number (0 or more), got 'v2' — e.g. --version 3"],
    [['delta', 'changes', '.', '--from', '1e2'], "--from takes a whole number (0 or more), got '1e2' — e.g. --from 3"],
    [['delta', 'changes', '.', '--from', '1', '--to', '-1'], "--to takes a whole number (0 or more), got '-1' — e.g. --to 3"],
  ])('%j exits 2 with one E_USAGE line', (args, message) => {
    expect(cli(...args)).toEqual({ code: 2, stdout: '', stderr: `relspec: E_USAGE ${message}\n` });
  });

  it('help shows the numeric defaults', () => {
    expect(cli('history', '--help').stdout).toContain('-n, --limit <n>  how many runs (default: 20)');
  });
});
