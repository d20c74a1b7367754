/**
 * The command line's shape: each command declares its positionals and options once; that
 * declaration drives both parsing (node:util.parseArgs, strict) and the help text. Errors
 * carry their exit status, as Django's CommandError(returncode=…) does.
 */
import { parseArgs } from 'node:util';

/** A command failed: the message is printed as `Error: <message>`; exit status 1. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly exitCode: number = 1;
}

/** The command line itself is wrong (unknown command or option, missing argument): status 2. */
export class UsageError extends CommandError {
  override name = 'UsageError';
  override readonly exitCode: number = 2;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's name in the help text (`--username NAME`). */
  readonly metavar?: string;
  readonly help: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly optional?: boolean;
}

export interface Signature {
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = Object.freeze({
  help: { type: 'boolean', short: 'h', help: 'Show this help and exit.' },
  traceback: { type: 'boolean', help: 'Print the stack trace when an unexpected error stops the command.' },
});

export interface ParsedArgs {
  /** Positionals by name (absent optional ones are undefined). */
  readonly args: Readonly<Record<string, string | undefined>>;
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

/**
 * Parses `argv` (the words after the command's name) against `signature` plus COMMON_OPTIONS.
 * Raises UsageError for an unknown option, a missing option value, or too few/many positionals
 * (not when `--help` is given: help wins).
 */
export function parseCommandArgs(argv: readonly string[], signature: Signature): ParsedArgs {
  const all = { ...COMMON_OPTIONS, ...signature.options };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(all)) config[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err), { cause: err });
  }
  const options = parsed.values as Record<string, string | boolean | undefined>;
  const args: Record<string, string | undefined> = {};
  if (options.help) return { args, options };
  const required = signature.positionals.filter((p) => !p.optional).length;
  const given = parsed.positionals;
  if (given.length < required) {
    const missing = signature.positionals.slice(given.length, required).map((p) => p.name);
    throw new UsageError(`missing argument${missing.length > 1 ? 's' : ''}: ${missing.join(' ')}`);
  }
  if (given.length > signature.positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(given[signature.positionals.length])}`);
  }
  signature.positionals.forEach((p, i) => {
    args[p.name] = given[i];
  });
  return { args, options };
}

/** parseArgs' error, shortened to what the operator needs. */
function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  let m: RegExpExecArray | null;
  if ((m = /^Unknown option '([^']+)'/.exec(message))) return `unknown option '${m[1]}'`;
  if ((m = /^Option '(\S+)(?: <value>)?' argument missing/.exec(message))) return `option '${m[1]}' needs a value`;
  if ((m = /^Option '(\S+)' does not take an argument/.exec(message))) return `option '${m[1]}' takes no value`;
  return firstLine(message);
}

/** The option's string value; undefined when absent. */
export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(parsed: ParsedArgs, ...names: string[]): boolean {
  return names.some((n) => parsed.options[n] === true);
}

/** The argument, which parseCommandArgs guaranteed present. */
export function arg(parsed: ParsedArgs, name: string): string {
  const v = parsed.args[name];
  if (v === undefined) throw new UsageError(`missing argument: ${name}`);
  return v;
}

/** Collapses a message to one line (error output is one line per failure). */
export function firstLine(message: string): string {
  return message.split(/\r?\n/, 1)[0]!.trim();
}

export function oneLine(message: string): string {
  return message.replace(/\s*\r?\n\s*/g, ' ').trim();
}
