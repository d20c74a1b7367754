/**
 * The database connection: the only importer of knex. SQLite (better-sqlite3, WAL) by default,
 * PostgreSQL when DATABASE_URL is a postgres:// URL. Both run the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { Model } from 'objection';
import { migrationSource } from './migrations';

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
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
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

/** Runs every pending migration; returns the names it ran. */
export async function migrate(db: Db): Promise<string[]> {
  const [, ran] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return ran;
}
