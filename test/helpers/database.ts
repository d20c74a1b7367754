/**
 * A database of a test's own: a SQLite file in a temporary folder, or a fresh schema in
 * TEST_DATABASE_URL's PostgreSQL (dropped afterwards). The data layer's unit tests run on both
 * when TEST_DATABASE_URL is set (`KINDS`); the servers of the API tests on the one configured.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/data/db';

export type Kind = 'SQLite' | 'PostgreSQL';

/** Each kind, with the reason it is skipped in this run (PostgreSQL needs TEST_DATABASE_URL). */
export const KINDS: readonly { readonly kind: Kind; readonly skip: string | false }[] = [
  { kind: 'SQLite', skip: false },
  { kind: 'PostgreSQL', skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set' },
];

/** The kind the API tests run on. */
export const CONFIGURED_KIND: Kind = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite';

/**
 * A DATABASE_URL naming a fresh, empty database: `sqlite:<dir>/db.sqlite3`, or TEST_DATABASE_URL
 * with `search_path` set to a new schema. `drop` removes the schema (the folder is the caller's).
 */
export async function freshDatabaseUrl(kind: Kind, dir: string): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  if (kind === 'SQLite') return { databaseUrl: `sqlite:${path.join(dir, 'db.sqlite3')}`, drop: async () => undefined };
  const pgUrl = process.env.TEST_DATABASE_URL;
  if (!pgUrl) throw new Error('PostgreSQL needs TEST_DATABASE_URL');
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(pgUrl, `CREATE SCHEMA ${schema}`);
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), drop: () => adminQuery(pgUrl, `DROP SCHEMA ${schema} CASCADE`) };
}

/** One statement on the server's default schema (creating and dropping the tests' own). */
async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = openDatabase(url);
  try {
    await admin.knex.raw(sql);
  } finally {
    await admin.destroy();
  }
}

export interface TestDatabase {
  readonly db: Database;
  readonly databaseUrl: string;
  /** Closes the database and removes it. */
  close(): Promise<void>;
}

/** A fresh database of `kind`, opened through the data layer and migrated. */
export async function openTestDatabase(kind: Kind): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'little-lemon-data-'));
  const { databaseUrl, drop } = await freshDatabaseUrl(kind, dir);
  const db = openDatabase(databaseUrl);
  await db.migrate();
  return {
    db,
    databaseUrl,
    async close() {
      await db.destroy();
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
