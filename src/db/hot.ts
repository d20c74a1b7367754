/**
 * The queries on every authenticated request (token → user, id → user), prepared once. On
 * SQLite they run on a read connection of their own with statements prepared at start-up
 * (knex's query builder and better-sqlite3's `prepare` on every call took a fifth of the CPU
 * of a token-authenticated GET); on PostgreSQL they are fixed SQL texts sent with bindings.
 */
import Database from 'better-sqlite3';
import type { Db } from './knex';

const TOKEN_WITH_USER =
  'SELECT t.id AS token_id, t.key_hash AS key_hash, t.last_used AS token_last_used, u.* FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = ?';
const USER_BY_ID = 'SELECT * FROM auth_user WHERE id = ?';

export interface HotQueries {
  tokenWithUser(keyHash: string): Promise<Record<string, unknown> | undefined>;
  userById(id: number): Promise<Record<string, unknown> | undefined>;
  close(): void;
}

const cache = new WeakMap<Db, HotQueries>();

/** The prepared queries for this database (made once per Db). */
export function hotQueries(db: Db): HotQueries {
  let q = cache.get(db);
  if (!q) cache.set(db, (q = build(db)));
  return q;
}

function build(db: Db): HotQueries {
  const config = db.client.config as { client: string; connection?: { filename?: string } };
  const filename = config.connection?.filename;
  if (config.client === 'better-sqlite3' && filename && filename !== ':memory:') {
    let conn: Database.Database | null = null;
    let token: Database.Statement | null = null;
    let user: Database.Statement | null = null;
    // Opened on first use: the schema exists by then (migrations run before the first request).
    const ready = () => {
      if (!conn) {
        conn = new Database(filename, { fileMustExist: true });
        conn.pragma('busy_timeout = 5000');
        token = conn.prepare(TOKEN_WITH_USER);
        user = conn.prepare(USER_BY_ID);
      }
      return { token: token as Database.Statement, user: user as Database.Statement };
    };
    return {
      tokenWithUser: async (keyHash) => ready().token.get(keyHash) as Record<string, unknown> | undefined,
      userById: async (id) => ready().user.get(id) as Record<string, unknown> | undefined,
      close: () => {
        conn?.close();
        conn = null;
      },
    };
  }
  const first = async (sql: string, value: unknown) => (await db.raw(sql, [value as string | number])) as { rows?: Record<string, unknown>[] } | Record<string, unknown>[];
  const row = (result: Awaited<ReturnType<typeof first>>) => (Array.isArray(result) ? result[0] : result.rows?.[0]);
  return {
    tokenWithUser: async (keyHash) => row(await first(TOKEN_WITH_USER, keyHash)),
    userById: async (id) => row(await first(USER_BY_ID, id)),
    close: () => undefined,
  };
}

/** Closes the read connection of `db`'s hot queries, if one was opened. */
export function closeHotQueries(db: Db): void {
  cache.get(db)?.close();
  cache.delete(db);
}
