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
  async create(key: { keyHash: string; userId: number; created: number }): Promise<AuthTokenRow> {
    return this.ctx.models.AuthToken.query().insert({ key_hash: key.keyHash, user_id: key.userId, created: key.created, last_used: null });
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
