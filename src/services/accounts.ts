/**
 * Users as the policies see them, and DRF token keys. Keys are 40 hex characters from a
 * CSPRNG (DRF's format, so imported keys keep working); only their SHA-256 is stored
 * (src/data/keys.ts).
 */
import crypto from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import type { Database, Repositories } from '../data/db';
import type { KeyWithPrincipal } from '../data/keys';
import type { PrincipalRow, UsersRepository } from '../data/users';
import type { Principal } from '../policies/types';

/** The authenticated user of one request; its groups are read once, on first use. */
export function toPrincipal(users: UsersRepository, row: PrincipalRow): Principal {
  let groups: Promise<ReadonlySet<string>> | null = null;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isActive: row.is_active,
    isStaff: row.is_staff,
    isSuperuser: row.is_superuser,
    groups: () => (groups ??= users.groupNames(row.id)),
  };
}

export function hashKey(key: string): string {
  return sha256Hex(key);
}

/** SHA-256 as hex: Node's one-shot crypto.hash where it exists (20.12+), a Hash object otherwise. */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: 'hex'): string }).hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** How many leading characters of a new key are kept in the clear (authtoken_token.prefix). */
export const KEY_PREFIX_LENGTH = 8;

export class TokenKeys {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A new key for the user (one per login/device), stored in `tx` when given; returns the key, shown once. */
  async create(userId: number, tx: Repositories = this.db): Promise<string> {
    return (await this.createRow(userId, tx)).key;
  }

  /**
   * A new key for the user, stored in `tx` when given, with its first KEY_PREFIX_LENGTH
   * characters (not enough to use it: the rest is 128 random bits); returns the key, shown
   * once, and its row.
   */
  async createRow(userId: number, tx: Repositories = this.db): Promise<{ key: string; id: number; prefix: string; created: number }> {
    const key = crypto.randomBytes(20).toString('hex');
    const prefix = key.slice(0, KEY_PREFIX_LENGTH);
    const row = await tx.keys.create({ keyHash: hashKey(key), userId, created: this.clock.now(), prefix });
    return { key, id: row.id, prefix, created: Number(row.created) };
  }

  /**
   * The token row and its user for a key, or undefined. The row is found by the key's hash
   * and the hashes are compared again in constant time.
   */
  async lookup(key: string): Promise<{ tokenId: number; lastUsed: number | null; user: KeyWithPrincipal } | undefined> {
    const digest = hashKey(key);
    const row = await this.db.keys.findWithPrincipal(digest);
    if (!row || !crypto.timingSafeEqual(Buffer.from(row.key_hash, 'latin1'), Buffer.from(digest, 'latin1'))) return undefined;
    return { tokenId: row.token_id, lastUsed: row.token_last_used, user: row };
  }

  /** Whether a key last used at `lastUsed` is due a `touch` (use is recorded at most once a minute). */
  isTouchDue(lastUsed: number | null): boolean {
    return lastUsed === null || this.clock.now() - lastUsed >= 60_000;
  }

  /** Records use, at most once a minute per key (a write per request would not scale). */
  async touch(tokenId: number, lastUsed: number | null): Promise<void> {
    if (!this.isTouchDue(lastUsed)) return;
    await this.db.keys.touch(tokenId, this.clock.now());
  }

  async delete(tokenId: number): Promise<void> {
    await this.db.keys.delete(tokenId);
  }

  /** Deletes every key of the user, in `tx` when given. */
  async deleteAllFor(userId: number, tx: Repositories = this.db): Promise<void> {
    await tx.keys.deleteAllFor(userId);
  }
}
