/**
 * What a management command is given: the environment, its output streams and prompter, and
 * the project's services, built on first use by createServices (as the server builds them,
 * without Redis), so `help` needs no settings and only commands that touch the database open
 * it. The database is migrated when the services are built: Django asks for `migrate` first;
 * doing it here is friendlier and harmless.
 */
import { Writable } from 'node:stream';
import { systemClock, type Clock } from '../clock';
import { openDatabase, type Database } from '../data/db';
import { createLogger, type Logger } from '../log';
import { createServices, type Services } from '../services';
import { loadSettings, type Env, type Settings } from '../settings';
import type { ParsedArgs, Signature } from './args';
import type { Prompter } from './prompt';

export interface Io {
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  readonly prompt: Prompter;
}

export interface CommandContext {
  readonly env: Env;
  readonly io: Io;
  /** The server's settings (raises ImproperlyConfigured). */
  settings(): Settings;
  /** The services, the database opened and migrated (raises what createServices raises). */
  services(): Promise<Services>;
  /** The database, opened without running migrations (for `migrate` itself); closed with the run. */
  openDatabase(): Database;
  /** The clock the services were given. */
  readonly clock: Clock;
}

export interface Command extends Signature {
  readonly summary: string;
  /** Extra paragraphs for `help <command>`. */
  readonly description?: string;
  run(ctx: CommandContext, parsed: ParsedArgs): Promise<void>;
}

/** The CommandContext of one run; close() releases what it opened. */
export class Runtime implements CommandContext {
  private cachedSettings: Settings | undefined;
  private built: Promise<Services> | undefined;
  private database: Database | undefined;

  constructor(
    readonly env: Env,
    readonly io: Io,
    /** --traceback: knex's own warnings are shown too. */
    private readonly verbose = false,
    readonly clock: Clock = systemClock,
  ) {}

  settings(): Settings {
    return (this.cachedSettings ??= loadSettings(this.env));
  }

  services(): Promise<Services> {
    return (this.built ??= createServices(this.settings(), { logger: this.logger(), clock: this.clock, redis: false }));
  }

  openDatabase(): Database {
    return (this.database ??= openDatabase(this.settings().databaseUrl, {
      log: this.verbose ? (_level, line) => this.io.err(`knex: ${line}`) : undefined,
    }));
  }

  /** Stops reading stdin and closes the services and the database. */
  async close(): Promise<void> {
    this.io.prompt.close();
    const [built, database] = [this.built, this.database];
    this.built = this.database = undefined;
    // A build that failed has closed what it opened.
    const services = await built?.catch(() => undefined);
    await services?.close();
    await database?.destroy();
  }

  /** Silent, but with --traceback the services' warnings (knex's) go to stderr, one line each. */
  private logger(): Logger {
    if (!this.verbose) return createLogger('silent');
    const io = this.io;
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          const { source, msg } = JSON.parse(line) as { source?: string; msg?: string };
          io.err(`${source ?? 'log'}: ${msg ?? ''}`);
        }
        done();
      },
    });
    return createLogger('warn', lines);
  }
}
