/**
 * The database, and the only importer of knex, objection, pg and better-sqlite3 (#16).
 * SQLite (better-sqlite3, WAL) by default, PostgreSQL when DATABASE_URL is a postgres:// URL;
 * both run the same migrations (./migrations.ts).
 *
 * `openDatabase` returns a Database: the objection models bound to it (Model.bindKnex: no
 * global Model.knex, so two databases can live in one process), one repository per aggregate
 * built on those models (./users.ts, ./keys.ts, ./refreshTokens.ts, ./menu.ts, and
 * ./imports.ts for the Django import's bulk writes), and `transaction(fn)`, which hands `fn`
 * the same repositories bound to the transaction. Repositories own all the SQL; this module
 * gives them the models and one mechanism for the reads on every authenticated request
 * (`prepare`): a statement prepared once, on a read connection of its own on SQLite and as a
 * named statement on a small pool of its own on PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { Model, QueryBuilder, type ModelObject, type Page, type Pojo } from 'objection';
import type { Pool, QueryResultRow } from 'pg';
import { ImproperlyConfigured } from '../errors';
import { maskPassword } from '../settings';
import { AuditRepository } from './audit';
import { parseUserFlags } from './columns';
import { ImportRepository } from './imports';
import { KeysRepository } from './keys';
import { MenuRepository } from './menu';
import { migrationSource } from './migrations';
import { RefreshTokensRepository } from './refreshTokens';
import { UsersRepository } from './users';

export type { Knex };

// Models ------------------------------------------------------------------------------------
// One class per table, in Django's column names; times in epoch milliseconds. They are never
// used unbound: each Database binds its own copies (bindKnex), which repositories receive.

/**
 * The driver's error, where objection wrapped it (db-errors' DBError and its subclasses, whose
 * `code` is the wrapper's, not the driver's): the data layer raises the drivers' errors, as knex
 * does, so that one vocabulary reaches its callers (a unique violation's code, render.ts's
 * "database unavailable" codes).
 */
function driverError(err: unknown): unknown {
  const native = (err as { nativeError?: unknown } | null)?.nativeError;
  return native instanceof Error ? native : err;
}

/** objection's query builder, raising the drivers' errors. */
class DriverErrorQueryBuilder<M extends Model, R = M[]> extends QueryBuilder<M, R> {
  declare ArrayQueryBuilderType: DriverErrorQueryBuilder<M, M[]>;
  declare SingleQueryBuilderType: DriverErrorQueryBuilder<M, M>;
  declare MaybeSingleQueryBuilderType: DriverErrorQueryBuilder<M, M | undefined>;
  declare NumberQueryBuilderType: DriverErrorQueryBuilder<M, number>;
  declare PageQueryBuilderType: DriverErrorQueryBuilder<M, Page<M>>;

  override async execute(): Promise<R> {
    try {
      return await super.execute();
    } catch (err) {
      throw driverError(err);
    }
  }
}

/**
 * The models' base. Columns are `declare`d: as class fields (ES2022) they would be own
 * properties, undefined, on every row, even where a query did not select them.
 */
class Row extends Model {
  static override QueryBuilder = DriverErrorQueryBuilder;
  declare QueryBuilderType: DriverErrorQueryBuilder<this>;
}

/** A row of `auth_user` (Django's columns, plus the username's comparison key and our revocation time). */
export class User extends Row {
  static override tableName = 'auth_user';

  declare id: number;
  declare password: string;
  declare last_login: number | null;
  declare is_superuser: boolean;
  declare username: string;
  /** The username's comparison key (src/username.ts usernameKey): what is unique. */
  declare username_key: string;
  declare first_name: string;
  declare last_name: string;
  declare email: string;
  declare is_staff: boolean;
  declare is_active: boolean;
  declare date_joined: number;
  /** Access tokens issued before this time (ms) are refused: logout-all, a password change. */
  declare tokens_valid_after: number;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseUserFlags(super.$parseDatabaseJson(json));
  }

  static override get relationMappings() {
    return {
      groups: {
        relation: Model.ManyToManyRelation,
        modelClass: Group,
        join: { from: 'auth_user.id', through: { from: 'auth_user_groups.user_id', to: 'auth_user_groups.group_id' }, to: 'auth_group.id' },
      },
    };
  }
}

/** A row of `auth_group`. The spec's `x-groups` exist once the services are built. */
export class Group extends Row {
  static override tableName = 'auth_group';
  declare id: number;
  declare name: string;

  static override get relationMappings() {
    return {
      users: {
        relation: Model.ManyToManyRelation,
        modelClass: User,
        join: { from: 'auth_group.id', through: { from: 'auth_user_groups.group_id', to: 'auth_user_groups.user_id' }, to: 'auth_user.id' },
      },
    };
  }
}

/** A DRF key, one per login/device; only the SHA-256 of the key is stored. */
export class AuthToken extends Row {
  static override tableName = 'authtoken_token';
  declare id: number;
  declare key_hash: string;
  declare user_id: number;
  declare created: number;
  declare last_used: number | null;
  /** The key's first 8 characters, kept at creation (null for keys made before migration 0003). */
  declare prefix: string | null;
}

/** Every refresh token issued (simplejwt's token_blacklist app), so it can be blacklisted. */
export class OutstandingToken extends Row {
  static override tableName = 'token_blacklist_outstandingtoken';
  declare id: number;
  /** SET NULL when the user is deleted, as simplejwt: the blacklist outlives its user. */
  declare user_id: number | null;
  declare jti: string;
  /** The jti of the first refresh token of a rotation chain: reuse revokes the family. */
  declare family: string;
  declare created_at: number;
  declare expires_at: number;
}

/** A blacklisted refresh token (one row per outstanding token at most). */
export class BlacklistedToken extends Row {
  static override tableName = 'token_blacklist_blacklistedtoken';
  declare id: number;
  declare token_id: number;
  declare blacklisted_at: number;
}

/** One audit log entry (append-only: inserted, listed, pruned by age; never updated). */
export class AuditEntry extends Row {
  static override tableName = 'audit_entry';
  declare id: number;
  declare at: number;
  declare kind: string;
  declare actor_id: number | null;
  declare actor_username: string | null;
  declare user_id: number | null;
  declare username: string | null;
  declare address: string | null;
  /** JSON text. */
  declare detail: string;
}

/** A menu item; the price in integer cents (rendered as a 2-place decimal string by the API). */
export class MenuItem extends Row {
  static override tableName = 'menu_items';
  declare id: number;
  declare title: string;
  declare price_cents: number;
  declare inventory: number;
}

/** One row type per table, derived from its model. */
export type UserRow = ModelObject<User>;
export type GroupRow = ModelObject<Group>;
export type AuthTokenRow = ModelObject<AuthToken>;
export type OutstandingTokenRow = ModelObject<OutstandingToken>;
export type BlacklistedTokenRow = ModelObject<BlacklistedToken>;
export type MenuItemRow = ModelObject<MenuItem>;
export type AuditEntryRow = ModelObject<AuditEntry>;

/** The models, bound to one database or one transaction. */
export interface Models {
  readonly User: typeof User;
  readonly Group: typeof Group;
  readonly AuthToken: typeof AuthToken;
  readonly OutstandingToken: typeof OutstandingToken;
  readonly BlacklistedToken: typeof BlacklistedToken;
  readonly MenuItem: typeof MenuItem;
  readonly AuditEntry: typeof AuditEntry;
}

function bindModels(knex: Knex): Models {
  return {
    User: User.bindKnex(knex),
    Group: Group.bindKnex(knex),
    AuthToken: AuthToken.bindKnex(knex),
    OutstandingToken: OutstandingToken.bindKnex(knex),
    BlacklistedToken: BlacklistedToken.bindKnex(knex),
    MenuItem: MenuItem.bindKnex(knex),
    AuditEntry: AuditEntry.bindKnex(knex),
  };
}

// The database ----------------------------------------------------------------------------------

export type DatabaseKind = 'sqlite' | 'postgres';

/**
 * A read of at most one row, by one value. Resolves with the driver's row as it is (no model
 * parsing: the repository that wrote the SQL knows its columns), or undefined.
 */
export type PreparedRead = (value: string | number) => Promise<Pojo | undefined>;

/** What a repository is built from: one database, or one transaction in it. */
export interface DataContext {
  readonly kind: DatabaseKind;
  readonly models: Models;
  /**
   * The read `sql` (one `?` for the value), prepared once: on SQLite on the read connection,
   * on PostgreSQL as the named statement `name` (unique per text); inside a transaction it runs
   * in the transaction, so that it sees the transaction's writes. Call it once, at construction.
   */
  prepare(name: string, sql: string): PreparedRead;
  /** Runs `fn` in a transaction (or in the current one) with the models bound to it. */
  atomically<T>(fn: (models: Models) => Promise<T>): Promise<T>;
}

/** The repositories, bound to one database or one transaction. */
export interface Repositories {
  readonly kind: DatabaseKind;
  readonly models: Models;
  /** Users, groups and memberships. */
  readonly users: UsersRepository;
  /** DRF keys (authtoken_token). */
  readonly keys: KeysRepository;
  /** Outstanding and blacklisted refresh tokens. */
  readonly refreshTokens: RefreshTokensRepository;
  readonly menu: MenuRepository;
  /** The Django import's bulk reads and writes. */
  readonly imports: ImportRepository;
  /** The audit log (append-only). */
  readonly audit: AuditRepository;
}

export interface Database extends Repositories {
  /**
   * Runs `fn` in one transaction, handing it the repositories bound to it: committed when `fn`
   * resolves, rolled back (and the error re-raised) when it rejects.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Runs every pending migration; returns the names it ran. It is the first query of every
   * entry point (server, cluster, CLI), so it also tells whether the database can be reached:
   * raises ImproperlyConfigured naming DATABASE_URL (its password masked) and the reason when
   * it cannot be (refused, unknown host or database, bad credentials, no answer, a file that
   * cannot be opened). Any other error (a failing migration) is raised as it is.
   */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a query; raises the driver's error otherwise. */
  ping(): Promise<void>;
  /** How busy each connection pool is now (knex's `main`; on PostgreSQL the prepared reads' `reads` once opened). */
  pools(): PoolUse[];
  /** Closes every connection (the pool, the read connection or the statement pool). Idempotent. */
  destroy(): Promise<void>;
  /**
   * The knex instance underneath. Not for the application (handlers, services, policies and
   * the CLI go through the repositories, #16): for migrations' own tools and for tests that
   * inspect or break the database on purpose.
   */
  readonly knex: Knex;
}

/** One connection pool's use: connections lent out, and queries waiting for one. */
export interface PoolUse {
  readonly pool: 'main' | 'reads';
  readonly inUse: number;
  readonly waiting: number;
}

/** Where knex's own warnings go (by default it prints them on stdout). */
export type DbLog = (level: 'warn' | 'error' | 'deprecate' | 'debug', message: string) => void;

export interface OpenOptions {
  /** Receives knex's warnings, one line each (the server sends them to its JSON log). */
  readonly log?: DbLog;
}

/** PostgreSQL's bigint (OID 20): epoch milliseconds and counts, read as numbers. */
const PG_INT8 = 20;
/** The statement pool's size: the prepared reads are short, and the main pool keeps 10. */
const STATEMENT_POOL_SIZE = 4;

/**
 * Opens the database named by `databaseUrl` (`sqlite:<file>` or `postgres://…`) without
 * migrating it. Connections are made on first use; nothing is global, so several databases
 * may be open at once. Raises ImproperlyConfigured when a SQLite file's folder cannot be made.
 */
export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Database {
  const log = options.log ?? (() => undefined);
  const line = (level: Parameters<DbLog>[0]) => (message: unknown) =>
    log(level, String(message instanceof Error ? message.message : message).split('\n', 1)[0]);
  const knexLog = { warn: line('warn'), error: line('error'), deprecate: line('deprecate'), debug: line('debug') };
  if (databaseUrl.startsWith('sqlite:')) return openSqlite(databaseUrl, knexLog);
  return openPostgres(databaseUrl, knexLog);
}

type KnexLog = NonNullable<Knex.Config['log']>;

function openSqlite(databaseUrl: string, log: KnexLog): Database {
  const filename = databaseUrl.slice('sqlite:'.length);
  if (filename !== ':memory:') {
    try {
      fs.mkdirSync(path.dirname(filename), { recursive: true });
    } catch (err) {
      throw new ImproperlyConfigured(`DATABASE_URL: cannot open ${databaseUrl}: ${(err as Error).message}`, { cause: err });
    }
  }
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // knex would put the bound values (a password hash, an email) in its error messages.
    compileSqlOnError: false,
    log,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: BetterSqlite3.Database, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
  // An in-memory database exists only on knex's one connection: its reads go through knex.
  if (filename === ':memory:') return database('sqlite', databaseUrl, knex, (_name, sql) => knexRead(knex, sql), async () => undefined, () => []);
  // The prepared reads run on a connection of their own, opened on first use (the schema
  // exists by then): knex's builder and a `prepare` on every call took a fifth of the CPU of a
  // token-authenticated GET. WAL lets it read while knex's connection writes.
  let reader: BetterSqlite3.Database | null = null;
  let closed = false;
  const open = (): BetterSqlite3.Database => {
    if (closed) throw databaseClosed();
    if (!reader) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Driver = require('better-sqlite3') as typeof BetterSqlite3;
      reader = new Driver(filename, { fileMustExist: true });
      reader.pragma('busy_timeout = 5000');
    }
    return reader;
  };
  const prepare = (_name: string, sql: string): PreparedRead => {
    let statement: BetterSqlite3.Statement | null = null;
    return async (value) => {
      // A statement prepared before the close would fail with the driver's own TypeError.
      if (closed) throw databaseClosed();
      return (statement ??= open().prepare(sql)).get(value) as Pojo | undefined;
    };
  };
  return database(
    'sqlite',
    databaseUrl,
    knex,
    prepare,
    async () => {
      closed = true;
      reader?.close();
      reader = null;
    },
    () => [],
  );
}

/**
 * A prepared read after Database.destroy(): the database is gone for this process (it is
 * shutting down, or a test took it away). Its code is one of render.ts's "database unavailable"
 * codes, so a request that meets it is answered 503, not 500.
 */
function databaseClosed(): Error {
  return Object.assign(new Error('the database is closed'), { code: 'EDBCLOSED' });
}

function openPostgres(url: string, log: KnexLog): Database {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  // Per connection, not pg.types.setTypeParser: a process may hold other connections (the
  // Django import's source) that read bigint otherwise.
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === PG_INT8) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  const knex = knexFactory({
    client: 'pg',
    connection: { connectionString: url, types } as Knex.PgConnectionConfig,
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 5000,
    compileSqlOnError: false,
    log,
  });
  // The prepared reads: named statements (parsed and planned once per connection, then only
  // bound and executed) on a small pool of their own, created on first use.
  let pool: Pool | null = null;
  let closed = false;
  const open = (): Pool => {
    if (closed) throw databaseClosed();
    if (!pool) {
      pool = new pg.Pool({ connectionString: url, types, max: STATEMENT_POOL_SIZE, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5000 });
      // An idle connection that breaks (a restart, a failover) is dropped by the pool; the
      // next query opens another. Without a listener the error would end the process.
      pool.on('error', () => undefined);
    }
    return pool;
  };
  const prepare = (name: string, sql: string): PreparedRead => {
    const text = dollarParameters(sql);
    return async (value) => (await open().query<QueryResultRow>({ name, text, values: [value] })).rows[0];
  };
  return database(
    'postgres',
    url,
    knex,
    prepare,
    async () => {
      closed = true;
      const closing = pool;
      pool = null;
      await closing?.end();
    },
    () => (pool ? [{ pool: 'reads', inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }] : []),
  );
}

/** `?` → `$1`, `$2`, … (the prepared texts have no other question mark). */
function dollarParameters(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The read `sql` through knex (a transaction, or an in-memory SQLite database). */
function knexRead(knex: Knex, sql: string): PreparedRead {
  return async (value) => {
    const result = (await knex.raw(sql, [value])) as Pojo[] | { rows: Pojo[] };
    return Array.isArray(result) ? result[0] : result.rows[0];
  };
}

/** The pools other than knex's, by kind: the prepared reads' on PostgreSQL. */
type ReadPools = () => PoolUse[];

/** tarn's pool under knex, as far as the counts go (undefined once destroyed). */
interface TarnCounts {
  numUsed(): number;
  numPendingAcquires(): number;
}

function database(kind: DatabaseKind, url: string, knex: Knex, prepare: DataContext['prepare'], closeReads: () => Promise<void>, readPools: ReadPools): Database {
  const models = bindModels(knex);
  const transaction = <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> =>
    knex.transaction((trx) => fn(repositories(transactionContext(kind, trx))));
  const context: DataContext = { kind, models, prepare, atomically: (fn) => knex.transaction((trx) => fn(bindModels(trx))) };
  let destroyed: Promise<void> | null = null;
  return {
    ...repositories(context),
    knex,
    transaction,
    async migrate() {
      try {
        const [, ran] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
        return ran;
      } catch (err) {
        const reason = unreachable(err);
        if (reason === null) throw err;
        throw new ImproperlyConfigured(`DATABASE_URL: cannot connect to ${maskPassword(url)}: ${reason}`, { cause: err });
      }
    },
    async ping() {
      await knex.raw('select 1');
    },
    pools() {
      const main = (knex.client as { pool?: TarnCounts }).pool;
      return [...(main ? [{ pool: 'main' as const, inUse: main.numUsed(), waiting: main.numPendingAcquires() }] : []), ...readPools()];
    },
    destroy: () =>
      (destroyed ??= (async () => {
        try {
          await closeReads();
        } finally {
          await knex.destroy();
        }
      })()),
  };
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

/** Inside a transaction everything, the prepared reads included, runs on the transaction. */
function transactionContext(kind: DatabaseKind, trx: Knex.Transaction): DataContext {
  const models = bindModels(trx);
  return { kind, models, prepare: (_name, sql) => knexRead(trx, sql), atomically: (fn) => fn(models) };
}

function repositories(context: DataContext): Repositories {
  return {
    kind: context.kind,
    models: context.models,
    users: new UsersRepository(context),
    keys: new KeysRepository(context),
    refreshTokens: new RefreshTokensRepository(context),
    menu: new MenuRepository(context),
    imports: new ImportRepository(context),
    audit: new AuditRepository(context),
  };
}

// Foreign databases ------------------------------------------------------------------------------

export type ForeignDatabase =
  | { readonly kind: 'sqlite'; readonly filename: string }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /** Parsers by type OID for this connection only; the others are pg's defaults. */
      readonly typeParsers: Readonly<Record<number, (value: string) => unknown>>;
      /** Run on every new connection (session settings). */
      readonly onConnect: string;
    };

/**
 * A read-only look at another project's database (the Django import's source): a knex
 * instance of its own, never bound to our models. SQLite files are opened read-only.
 */
export function openForeignDatabase(source: ForeignDatabase): Knex {
  if (source.kind === 'sqlite') {
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: source.filename, options: { readonly: true } },
      useNullAsDefault: true,
      compileSqlOnError: false,
      pool: { min: 1, max: 1 },
    });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      return source.typeParsers[oid] ?? pg.types.getTypeParser(oid, format as 'text');
    },
  };
  return knexFactory({
    client: 'pg',
    connection: { connectionString: source.url, types } as Knex.PgConnectionConfig,
    compileSqlOnError: false,
    pool: {
      min: 0,
      max: 2,
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        conn.query(source.onConnect, (err) => done(err, conn));
      },
    },
    acquireConnectionTimeout: 10_000,
  });
}
