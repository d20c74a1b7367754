#!/usr/bin/env node
/**
 * The management commands, after Django's manage.py: `npm run manage -- <command> [options]`
 * (or `little-lemon-manage <command>`). They read the server's settings (environment and
 * `.env`), so they act on the server's database.
 *
 * Exit status: 0 done; 1 the command failed (unknown user or group, invalid or taken username,
 * refused password, configuration or database error); 2 the command line is wrong (unknown
 * command or option, missing argument or option value). A failure is one line on stderr.
 */
import { ImproperlyConfigured } from '../errors';
import { loadDotEnv, type Env } from '../settings';
import { CommandError, COMMON_OPTIONS, UsageError, oneLine, parseCommandArgs, type OptionSpec, type ParsedArgs } from './args';
import { commands } from './commands';
import { Runtime, type Command, type Io } from './context';
import { Cancelled, EndOfInput, createPrompter, type TerminalInput } from './prompt';

const PROG = 'manage';

export interface Streams {
  readonly stdin: TerminalInput;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Env;
}

/**
 * Runs one command line (the words after the program name).
 * @returns the exit status; never throws.
 */
export async function main(argv: readonly string[], streams: Streams = processStreams()): Promise<number> {
  const io: Io = {
    out: (line) => void streams.stdout.write(`${line}\n`),
    err: (line) => void streams.stderr.write(`${line}\n`),
    prompt: createPrompter(streams.stdin, streams.stdout),
  };
  const traceback = argv.includes('--traceback');
  const runtime = new Runtime(streams.env, io, traceback);
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      io.out(help(name === 'help' ? rest : []));
      return 0;
    }
    const command = lookup(name);
    const parsed = parseArgsFor(name, rest, command);
    if (parsed.options.help) {
      io.out(commandHelp(name, command));
      return 0;
    }
    await command.run(runtime, parsed);
    return 0;
  } catch (err) {
    return report(err, io, traceback);
  } finally {
    await runtime.close().catch(() => undefined);
  }
}

/** parseCommandArgs, its usage errors pointing at the command's help. */
function parseArgsFor(name: string, rest: readonly string[], command: Command): ParsedArgs {
  try {
    return parseCommandArgs(rest, command);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message} (run '${PROG} ${name} --help')`, { cause: err });
    throw err;
  }
}

function lookup(name: string): Command {
  if (Object.hasOwn(commands, name)) return commands[name]!;
  throw new UsageError(`unknown command '${name}' (run '${PROG} help' for the list)`);
}

/** Prints the failure as one line; returns the exit status. */
function report(err: unknown, io: Io, traceback: boolean): number {
  if (err instanceof CommandError) {
    io.err(`Error: ${oneLine(err.message)}`);
    return err.exitCode;
  }
  if (err instanceof Cancelled) {
    io.err(`Error: ${err.message}`);
    return 1;
  }
  if (err instanceof EndOfInput) {
    io.err('Error: input ended before every question was answered (use --noinput to run without prompts)');
    return 1;
  }
  if (err instanceof ImproperlyConfigured) {
    io.err(`ImproperlyConfigured: ${oneLine(err.message)}`); // as the server prints it
    return 1;
  }
  const described = err instanceof Error ? (err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message) : String(err);
  io.err(`Error: ${oneLine(described)}${traceback ? '' : ' (run with --traceback for details)'}`);
  if (traceback && err instanceof Error && err.stack) io.err(err.stack);
  return 1;
}

/** The usage listing, or one command's help when `rest` names it. */
function help(rest: readonly string[]): string {
  if (rest.length > 0) return commandHelp(rest[0]!, lookup(rest[0]!));
  const entries: Array<[string, string]> = Object.entries(commands).map(([name, c]) => [`${name}${synopsis(c)}`, c.summary]);
  entries.push(['help [COMMAND]', "List the commands, or show a command's options."]);
  const width = Math.max(...entries.map(([left]) => left.length));
  return [
    `Usage: ${PROG} <command> [options]     (npm run manage -- <command> [options])`,
    '',
    'Commands:',
    ...entries.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    `Run '${PROG} <command> --help' for a command's options.`,
    'Settings (DATABASE_URL, DATA_DIR, SECRET_KEY, ...) come from the environment and .env, as for the server.',
    'Exit status: 0 done, 1 the command failed, 2 the command line is wrong.',
  ].join('\n');
}

function commandHelp(name: string, command: Command): string {
  const options: Array<[string, OptionSpec]> = [...Object.entries(command.options), ...Object.entries(COMMON_OPTIONS)];
  const label = ([option, spec]: [string, OptionSpec]) =>
    `${spec.short ? `-${spec.short}, ` : ''}--${option}${spec.type === 'string' ? ` ${spec.metavar ?? 'VALUE'}` : ''}`;
  const width = Math.max(...options.map((o) => label(o).length));
  return [
    `Usage: ${PROG} ${name}${synopsis(command)}${options.length ? ' [options]' : ''}`,
    '',
    command.summary,
    ...(command.description ? ['', ...wrap(command.description, 92)] : []),
    '',
    'Options:',
    ...options.map((o) => `  ${label(o).padEnd(width)}  ${o[1].help}`),
  ].join('\n');
}

function synopsis(command: Command): string {
  return command.positionals.map((p) => (p.optional ? ` [${p.name}]` : ` ${p.name}`)).join('');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function processStreams(): Streams {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

if (require.main === module) {
  try {
    loadDotEnv();
  } catch (err) {
    process.stderr.write(`Error: .env could not be read: ${oneLine(String((err as Error).message))}\n`);
    process.exit(1);
  }
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed by now; should a driver still hold a handle, do not hang.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
