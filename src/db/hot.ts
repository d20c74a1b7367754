/**
 * The queries on every authenticated request (token → user, id → user), prepared once. On
 * SQLite they run on a read connection of their own with statements prepared at start-up
 * (knex's query builder and better-sqlite3's `prepare` on every call took a fifth of the CPU
 * of a token-authenticated GET); on PostgreSQL they are fixed SQL texts sent with bindings.
 */
import Database from 'better-sqlite3';
import type { Db } from './knex';

/** The columns authentication reads: what a Principal and the revocation check need, no more. */
const PRINCIPAL_COLUMNS = 'u.id, u.username, u.email, u.is_active, u.is_staff, u.is_superuser, u.tokens_valid_after';
const TOKEN_WITH_PRINCIPAL = `SELECT t.id AS token_id, t.key_hash AS key_hash, t.last_used AS token_last_used, ${PRINCIPAL_COLUMNS} FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = ?`;
const PRINCIPAL_BY_ID = `SELECT ${PRINCIPAL_COLUMNS} FROM auth_user u WHERE u.id = ?`;
const USER_BY_ID = 'SELECT * FROM auth_user WHERE id = ?';

export interface HotQueries {
  /** The token with the key hash and its user's principal columns. */
  tokenWithPrincipal(keyHash: string): Promise<Record<string, unknown> | undefined>;
  /** The principal columns of a user. */
  principalById(id: number): Promise<Record<string, unknown> | undefined>;
  /** The whole user row. */
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
    let principal: Database.Statement | null = null;
    let user: Database.Statement | null = null;
    // Opened on first use: the schema exists by then (migrations run before the first request).
    const ready = () => {
      if (!conn) {
        conn = new Database(filename, { fileMustExist: true });
        conn.pragma('busy_timeout = 5000');
        token = conn.prepare(TOKEN_WITH_PRINCIPAL);
        principal = conn.prepare(PRINCIPAL_BY_ID);
        user = conn.prepare(USER_BY_ID);
      }
      return { token: token as Database.Statement, principal: principal as Database.Statement, user: user as Database.Statement };
    };
    return {
      tokenWithPrincipal: async (keyHash) => ready().token.get(keyHash) as Record<string, unknown> | undefined,
      principalById: async (id) => ready().principal.get(id) as Record<string, unknown> | undefined,
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
    tokenWithPrincipal: async (keyHash) => row(await first(TOKEN_WITH_PRINCIPAL, keyHash)),
    principalById: async (id) => row(await first(PRINCIPAL_BY_ID, id)),
    userById: async (id) => row(await first(USER_BY_ID, id)),
    close: () => undefined,
  };
}

/** Closes the read connection of `db`'s hot queries, if one was opened. */
export function closeHotQueries(db: Db): void {
  cache.get(db)?.close();
  cache.delete(db);
}
