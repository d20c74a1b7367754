/**
 * The database connection: the only importer of knex. SQLite (better-sqlite3, WAL) by default,
 * PostgreSQL when DATABASE_URL is a postgres:// URL. Both run the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { Model } from 'objection';
import { ImproperlyConfigured } from '../errors';
import { maskPassword } from '../settings';
import { migrationSource } from '../data/migrations';

export type Db = Knex;
export type { Knex };

export function isPostgres(db: Db): boolean {
  return db.client.config.client === 'pg';
}

/** Where knex's own warnings go (by default it prints them on stdout). */
export type DbLog = (level: 'warn' | 'error' | 'deprecate' | 'debug', message: string) => void;

/**
 * Opens the database named by `databaseUrl` and binds objection's models to it. `log`
 * receives knex's warnings, one line each (the server sends them to its JSON log).
 */
export function openDatabase(databaseUrl: string, log: DbLog = () => undefined): Db {
  const line = (level: Parameters<DbLog>[0]) => (message: unknown) =>
    log(level, String(message instanceof Error ? message.message : message).split('\n', 1)[0]);
  const knexLog = { warn: line('warn'), error: line('error'), deprecate: line('deprecate'), debug: line('debug') };
  let db: Db;
  if (databaseUrl.startsWith('sqlite:')) {
    const filename = databaseUrl.slice('sqlite:'.length);
    if (filename !== ':memory:') {
      try {
        fs.mkdirSync(path.dirname(filename), { recursive: true });
      } catch (err) {
        throw new ImproperlyConfigured(`DATABASE_URL: cannot open ${databaseUrl}: ${(err as Error).message}`, { cause: err });
      }
    }
    db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // knex would put the bound values (a password hash, an email) in its error messages.
      compileSqlOnError: false,
      log: knexLog,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    });
  } else {
    // bigint columns (epoch milliseconds) come back as numbers, not strings.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as typeof import('pg');
    pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
    db = knexFactory({
      client: 'pg',
      connection: { connectionString: databaseUrl },
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout: 5000,
      compileSqlOnError: false,
      log: knexLog,
    });
  }
  Model.knex(db);
  return db;
}

/**
 * Runs every pending migration; returns the names it ran. It is the first query of every
 * entry point (server, cluster, CLI), so it also tells whether the database can be reached:
 * raises ImproperlyConfigured naming DATABASE_URL (its password masked) and the reason when
 * it cannot be (refused, unknown host or database, bad credentials, no answer, a file that
 * cannot be opened). Any other error (a failing migration) is raised as it is.
 */
export async function migrate(db: Db): Promise<string[]> {
  try {
    const [, ran] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
    return ran;
  } catch (err) {
    const reason = unreachable(err);
    if (reason === null) throw err;
    throw new ImproperlyConfigured(`DATABASE_URL: cannot connect to ${maskPassword(describe(db))}: ${reason}`, { cause: err });
  }
}

/** The database a knex instance was opened on, as DATABASE_URL would name it. */
function describe(db: Db): string {
  const connection = db.client.config.connection as { connectionString?: string; filename?: string };
  return connection.connectionString ?? `sqlite:${connection.filename}`;
}

/** Network errors, and PostgreSQL's SQLSTATE classes 08 (connection) and 28 (authorization). */
const UNREACHABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EACCES|EROFS|08...|28...|3D000|57P03|53300|SQLITE_CANTOPEN|SQLITE_NOTADB|SQLITE_PERM|SQLITE_READONLY)/;

/** Why the database cannot be reached (one line), or null when `err` is about something else. */
function unreachable(err: unknown): string | null {
  const e = err as { code?: unknown; name?: string; message?: string } | null;
  if (!e) return null;
  if (e.name === 'KnexTimeoutError') return 'no connection within the acquire timeout (is the server up and reachable?)';
  const message = String(e.message ?? err).split('\n', 1)[0];
  if (typeof e.code === 'string' && UNREACHABLE_CODES.test(e.code)) return message;
  if (/Connection terminated|SSL|certificate|ENOTFOUND|ECONNREFUSED/.test(message)) return message;
  return null;
}
