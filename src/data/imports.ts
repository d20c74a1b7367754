/**
 * The Django import's reads and writes on our database (src/cli/importDjango.ts decides what
 * to write; this module owns how): whole tables read once, rows inserted in chunks with the
 * ids they had in Django, and PostgreSQL's id sequences moved past them. Single-row changes go
 * through the other repositories of the same transaction.
 */
import type { AuthTokenRow, DataContext, GroupRow, MenuItemRow, OutstandingTokenRow, UserRow } from './db';
import type { OutstandingFields } from './refreshTokens';
import { newUserRow, type UserFields } from './users';

/** Rows per INSERT: well under SQLite's limit of bound values. */
const INSERT_CHUNK = 50;

/** A user as the import compares them. */
export type ImportedUser = Pick<
  UserRow,
  'id' | 'username' | 'username_key' | 'password' | 'email' | 'first_name' | 'last_name' | 'is_staff' | 'is_superuser' | 'is_active' | 'date_joined' | 'last_login'
>;

/** The tables whose ids the import may give explicitly (kept from Django). */
export type TableWithIds = 'auth_user' | 'menu_items';

export class ImportRepository {
  constructor(private readonly ctx: DataContext) {}

  /** Every user, with the columns the import compares. */
  async users(): Promise<ImportedUser[]> {
    return this.ctx.models.User.query().select(
      'id', 'username', 'username_key', 'password', 'email', 'first_name', 'last_name', 'is_staff', 'is_superuser', 'is_active', 'date_joined', 'last_login',
    );
  }

  /** Inserts users, keeping the ids given. Call `advanceIdSequence('auth_user')` after the last. */
  async insertUsers(users: readonly UserFields[]): Promise<void> {
    await this.insertChunks(() => this.ctx.models.User.knexQuery(), users.map(newUserRow));
  }

  /** Every group. */
  async groups(): Promise<GroupRow[]> {
    return this.ctx.models.Group.query().select('id', 'name');
  }

  /** Every membership. */
  async memberships(): Promise<{ user_id: number; group_id: number }[]> {
    return (await this.ctx.models.User.knex()('auth_user_groups').select('user_id', 'group_id')) as { user_id: number; group_id: number }[];
  }

  async insertMemberships(rows: readonly { user_id: number; group_id: number }[]): Promise<void> {
    await this.insertChunks(() => this.ctx.models.User.knex()('auth_user_groups'), rows);
  }

  /** The keys among these hashes. */
  async keysByHash(hashes: readonly string[]): Promise<Pick<AuthTokenRow, 'id' | 'key_hash' | 'user_id' | 'created'>[]> {
    return this.ctx.models.AuthToken.query().whereIn('key_hash', hashes as string[]).select('id', 'key_hash', 'user_id', 'created');
  }

  async insertKeys(rows: readonly Pick<AuthTokenRow, 'key_hash' | 'user_id' | 'created'>[]): Promise<void> {
    await this.insertChunks(() => this.ctx.models.AuthToken.knexQuery(), rows.map((r) => ({ ...r, last_used: null })));
  }

  /** Sets a key's creation time. */
  async setKeyCreated(id: number, created: number): Promise<void> {
    await this.ctx.models.AuthToken.query().findById(id).patch({ created });
  }

  /** The outstanding tokens among these jtis. */
  async outstandingByJti(jtis: readonly string[]): Promise<Pick<OutstandingTokenRow, 'id' | 'jti' | 'user_id' | 'created_at' | 'expires_at'>[]> {
    return this.ctx.models.OutstandingToken.query().whereIn('jti', jtis as string[]).select('id', 'jti', 'user_id', 'created_at', 'expires_at');
  }

  async insertOutstanding(tokens: readonly OutstandingFields[]): Promise<void> {
    const rows = tokens.map((t) => ({ user_id: t.userId, jti: t.jti, family: t.family, created_at: t.createdAt, expires_at: t.expiresAt }));
    await this.insertChunks(() => this.ctx.models.OutstandingToken.knexQuery(), rows);
  }

  async updateOutstanding(id: number, changes: Partial<Pick<OutstandingTokenRow, 'user_id' | 'created_at' | 'expires_at'>>): Promise<void> {
    await this.ctx.models.OutstandingToken.query().findById(id).patch(changes);
  }

  /** Which of these outstanding tokens are blacklisted. */
  async blacklistedAmong(tokenIds: readonly number[]): Promise<Set<number>> {
    const rows = await this.ctx.models.BlacklistedToken.query().whereIn('token_id', tokenIds as number[]).select('token_id');
    return new Set(rows.map((r) => Number(r.token_id)));
  }

  async insertBlacklisted(rows: readonly { token_id: number; blacklisted_at: number }[]): Promise<void> {
    await this.insertChunks(() => this.ctx.models.BlacklistedToken.knexQuery(), rows);
  }

  /** The menu items among these ids. */
  async menuItems(ids: readonly number[]): Promise<MenuItemRow[]> {
    return this.ctx.models.MenuItem.query().whereIn('id', ids as number[]);
  }

  /** Inserts menu items, keeping their ids. Call `advanceIdSequence('menu_items')` after the last. */
  async insertMenuItems(items: readonly MenuItemRow[]): Promise<void> {
    await this.insertChunks(() => this.ctx.models.MenuItem.knexQuery(), items);
  }

  /**
   * PostgreSQL: moves the table's id sequence past the ids inserted explicitly, never backwards
   * (a running server may have taken ids past the largest one). SQLite does it itself.
   */
  async advanceIdSequence(table: TableWithIds): Promise<void> {
    if (this.ctx.kind !== 'postgres') return;
    const knex = this.ctx.models.User.knex();
    const result = (await knex.raw("select pg_get_serial_sequence(?, 'id') as seq", [table])) as { rows: { seq: string | null }[] };
    const seq = result.rows[0]?.seq;
    if (!seq) return;
    await knex.raw(`select setval(?::regclass, greatest((select coalesce(max(id), 0) from ??), (select last_value from ${seq})))`, [seq, table]);
  }

  /**
   * Plain multi-row INSERTs through the model's connection (objection inserts several rows at
   * once only on PostgreSQL, and the import needs no ids back).
   */
  private async insertChunks(table: () => ReturnType<DataContext['models']['User']['knexQuery']>, rows: readonly object[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await table().insert(rows.slice(i, i + INSERT_CHUNK));
  }
}
