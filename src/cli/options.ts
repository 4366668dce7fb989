import { Option, type Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { parseInteger, type IntegerRule } from './flags.js';

/**
 * The CLI's typed option table. Each command declares its flags once, with the type its value has
 * after parsing; the command's `run` receives exactly those types (integers already checked), so no
 * command re-parses a string or casts its options. `run` lazy-imports the implementation: `--help`
 * must not load DuckDB or TypeScript (test/cli/startup.test.ts).
 */
export interface Flag<V> {
  /** Commander's spelling: `-n, --limit <n>`, `--json`. */
  readonly flags: string;
  readonly description: string;
  /** Turns the raw string into the typed value; throws a RelspecError for a bad one. */
  readonly parse?: (raw: string) => V;
  readonly default?: V;
  readonly required?: boolean;
}

type FlagTable = Readonly<Record<string, Flag<unknown>>>;

/** The options object a command receives: the table's keys with their parsed types, plus `--config`. */
export type OptionsOf<F extends FlagTable> = { [K in keyof F]?: F[K] extends Flag<infer V> ? V : never } & GlobalOptions;

const longName = (flags: string): string => /--[\w-]+/.exec(flags)?.[0] ?? flags;

export const flag = {
  boolean: (flags: string, description: string): Flag<boolean> => ({ flags, description }),
  string: (flags: string, description: string, init?: string): Flag<string> => ({ flags, description, default: init }),
  /** A required string flag (commander reports it missing). */
  requiredString: (flags: string, description: string): Flag<string> => ({ flags, description, required: true }),
  integer: (flags: string, description: string, rule: IntegerRule & { default?: number; required?: boolean }): Flag<number> => ({
    flags,
    description,
    parse: (raw) => parseInteger(longName(flags), raw, rule),
    default: rule.default,
    required: rule.required,
  }),
};

/** A command's one positional argument (no command takes more): its syntax and how to read commander's value. */
export interface Operand<V> {
  /** `<name>` (required) or `[task...]` (any number). */
  readonly syntax: string;
  readonly description: string;
  readonly read: (v: unknown) => V;
}

export const operand = {
  required: (name: string, description: string): Operand<string> => ({ syntax: `<${name}>`, description, read: (v) => String(v) }),
  variadic: (name: string, description: string): Operand<string[]> => ({
    syntax: `[${name}...]`,
    description,
    read: (v) => (Array.isArray(v) ? v.map(String) : []),
  }),
};

/** A command, type-erased once defined: `action` gets commander's operands and merged options. */
export interface CommandDef {
  readonly name: string;
  readonly description: string;
  readonly operand?: Omit<Operand<unknown>, 'read'>;
  readonly flags: readonly Flag<unknown>[];
  readonly action: (operands: readonly unknown[], options: Readonly<Record<string, unknown>>) => Promise<number>;
}

interface Spec<F extends FlagTable> {
  name: string;
  description: string;
  flags: F;
}

/**
 * Picks the table's keys out of commander's option values. The one cast of the CLI: commander's
 * values are untyped, but each was produced by this table (a parse function, a default, or a flag's
 * `true`), so it has the type the table declares.
 */
function pick<F extends FlagTable>(table: F, values: Readonly<Record<string, unknown>>): OptionsOf<F> {
  const out: Record<string, unknown> = { config: values.config };
  for (const key of Object.keys(table)) if (values[key] !== undefined) out[key] = values[key];
  return out as OptionsOf<F>;
}

/** Each key must be the attribute commander derives from the flag (`--full-refresh` → `fullRefresh`), or the option would be read as unset. */
function checkKeys(name: string, table: FlagTable): void {
  for (const [key, f] of Object.entries(table)) {
    const attr = new Option(f.flags).attributeName();
    if (attr !== key) throw new Error(`command ${name}: option key '${key}' does not match ${f.flags} ('${attr}')`);
  }
}

export function command<F extends FlagTable>(spec: Spec<F> & { run: (opts: OptionsOf<F>) => Promise<number> }): CommandDef {
  checkKeys(spec.name, spec.flags);
  return { ...spec, flags: Object.values(spec.flags), action: (_, values) => spec.run(pick(spec.flags, values)) };
}

export function commandWith<V, F extends FlagTable>(
  spec: Spec<F> & { operand: Operand<V>; run: (value: V, opts: OptionsOf<F>) => Promise<number> },
): CommandDef {
  checkKeys(spec.name, spec.flags);
  return {
    ...spec,
    flags: Object.values(spec.flags),
    action: (operands, values) => spec.run(spec.operand.read(operands[0]), pick(spec.flags, values)),
  };
}

/** Adds `def` under `parent`; `onDone` receives the exit code its action resolved to. */
export function register(parent: Command, def: CommandDef, onDone: (code: number) => void): Command {
  const cmd = parent.command(def.name).description(def.description);
  if (def.operand) cmd.argument(def.operand.syntax, def.operand.description);
  for (const f of def.flags) {
    const o = new Option(f.flags, f.description);
    if (f.parse) o.argParser(f.parse);
    if (f.default !== undefined) o.default(f.default);
    if (f.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  // Commander calls the action with (...operands, options, command); options of the program (--config) merge in.
  cmd.action(async (...args: unknown[]) => {
    onDone(await def.action(args.slice(0, -2), cmd.optsWithGlobals()));
  });
  return cmd;
}
