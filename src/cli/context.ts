/**
 * What a management command is given: the environment, its output streams and prompter, and
 * the project's services, each built on first use (so `help` needs no settings, and only
 * commands that touch the database open it). The database is migrated before a command first
 * uses it: Django asks for `migrate` first; doing it here is friendlier and harmless.
 */
import { migrate, openDatabase, type Db } from '../db/knex';
import { TokenKeys } from '../services/accounts';
import { loadSettings, type Env, type Settings } from '../settings';
import { TokenBackend } from '../tokens/backend';
import { JwtService } from '../tokens/tokens';
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
  /** The database, opened and migrated. */
  db(): Promise<Db>;
  /** The database, opened, without running migrations (for `migrate` itself). */
  rawDb(): Db;
  jwt(): Promise<JwtService>;
  keys(): Promise<TokenKeys>;
  now(): number;
}

export interface Command extends Signature {
  readonly summary: string;
  /** Extra paragraphs for `help <command>`. */
  readonly description?: string;
  run(ctx: CommandContext, parsed: ParsedArgs): Promise<void>;
}

/** The CommandContext of one run; close() releases the database. */
export class Runtime implements CommandContext {
  private cachedSettings: Settings | undefined;
  private database: Db | undefined;
  private migrated: Promise<unknown> | undefined;

  constructor(
    readonly env: Env,
    readonly io: Io,
    /** --traceback: knex's own warnings are shown too. */
    private readonly verbose = false,
    readonly now: () => number = Date.now,
  ) {}

  settings(): Settings {
    return (this.cachedSettings ??= loadSettings(this.env));
  }

  rawDb(): Db {
    if (!this.database) {
      this.database = openDatabase(this.settings().databaseUrl, this.verbose ? (_level, line) => this.io.err(`knex: ${line}`) : undefined);
    }
    return this.database;
  }

  async db(): Promise<Db> {
    const db = this.rawDb();
    await (this.migrated ??= migrate(db));
    return db;
  }

  async jwt(): Promise<JwtService> {
    const settings = this.settings();
    const backend = new TokenBackend({ ...settings.jwt, secretKey: settings.secretKey, secretKeyFallbacks: settings.secretKeyFallbacks }, this.now);
    return new JwtService(backend, await this.db(), settings.jwt, this.now);
  }

  async keys(): Promise<TokenKeys> {
    return new TokenKeys(await this.db(), this.now);
  }

  /** Stops reading stdin and closes the database connections. */
  async close(): Promise<void> {
    this.io.prompt.close();
    const db = this.database;
    this.database = undefined;
    if (db) await db.destroy();
  }
}
