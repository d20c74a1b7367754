/**
 * DRF keys (authtoken_token): only the SHA-256 of a key is stored; making keys and hashing
 * them is the caller's business (src/services/accounts.ts TokenKeys).
 */
import { parseUserFlags, PRINCIPAL_COLUMNS } from './columns';
import type { AuthTokenRow, DataContext, PreparedRead } from './db';
import type { PrincipalRow } from './users';

/** Every Token-authenticated request runs this: the key's row and its user's principal columns, in one read. */
const KEY_WITH_PRINCIPAL = `SELECT t.id AS token_id, t.key_hash AS key_hash, t.last_used AS token_last_used, ${PRINCIPAL_COLUMNS} FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = ?`;

/** A key's row (its id, hash and last use) with its user's principal columns. */
export type KeyWithPrincipal = PrincipalRow & { token_id: number; key_hash: string; token_last_used: number | null };

export class KeysRepository {
  private readonly withPrincipal: PreparedRead;

  constructor(private readonly ctx: DataContext) {
    this.withPrincipal = ctx.prepare('keys_with_principal', KEY_WITH_PRINCIPAL);
  }

  /** Stores a key's hash for the user; returns the new row. */
  async create(key: { keyHash: string; userId: number; created: number; prefix?: string | null }): Promise<AuthTokenRow> {
    return this.ctx.models.AuthToken.query().insert({ key_hash: key.keyHash, user_id: key.userId, created: key.created, last_used: null, prefix: key.prefix ?? null });
  }

  /** The user's keys, newest first (at most `limit`): never their hashes. */
  async listFor(userId: number, limit: number): Promise<Pick<AuthTokenRow, 'id' | 'prefix' | 'created' | 'last_used'>[]> {
    return this.ctx.models.AuthToken.query().where({ user_id: userId }).orderBy('created', 'desc').orderBy('id', 'desc').limit(limit).select('id', 'prefix', 'created', 'last_used');
  }

  /** Deletes the key `id` if it is the user's; returns its prefix (null when it had none), or undefined when the user has no such key. */
  async deleteFor(userId: number, id: number): Promise<{ prefix: string | null } | undefined> {
    const row = await this.ctx.models.AuthToken.query().findOne({ id, user_id: userId }).select('id', 'prefix');
    if (!row) return undefined;
    if ((await this.ctx.models.AuthToken.query().deleteById(id)) === 0) return undefined;
    return { prefix: row.prefix ?? null };
  }

  /** The user a key belongs to and its prefix, or undefined. */
  async find(id: number): Promise<Pick<AuthTokenRow, 'id' | 'user_id' | 'prefix'> | undefined> {
    return this.ctx.models.AuthToken.query().findById(id).select('id', 'user_id', 'prefix');
  }

  /** The key with this hash and its user, or undefined (a prepared read). */
  async findWithPrincipal(keyHash: string): Promise<KeyWithPrincipal | undefined> {
    const row = await this.withPrincipal(keyHash);
    return row && (parseUserFlags(row) as KeyWithPrincipal);
  }

  /** Records the key's use at `now`. */
  async touch(id: number, now: number): Promise<void> {
    await this.ctx.models.AuthToken.query().findById(id).patch({ last_used: now });
  }

  /** Deletes one key; returns false when it was gone already. */
  async delete(id: number): Promise<boolean> {
    return (await this.ctx.models.AuthToken.query().deleteById(id)) > 0;
  }

  /** Deletes every key of the user; returns how many there were. */
  async deleteAllFor(userId: number): Promise<number> {
    return this.ctx.models.AuthToken.query().where({ user_id: userId }).delete();
  }
}
