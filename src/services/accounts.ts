/**
 * Users as the policies see them, and DRF token keys. Keys are 40 hex characters from a
 * CSPRNG (DRF's format, so imported keys keep working); only their SHA-256 is stored.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { hotQueries } from '../db/hot';
import type { Principal } from '../policies/types';

export interface UserRow {
  id: number;
  password: string;
  last_login: number | null;
  is_superuser: boolean | number;
  username: string;
  /** The username's comparison key (src/username.ts usernameKey), unique. */
  username_key: string;
  first_name: string;
  last_name: string;
  email: string;
  is_staff: boolean | number;
  is_active: boolean | number;
  date_joined: number;
  tokens_valid_after: number;
}

/** The columns of a user that authentication reads (src/db/hot.ts selects exactly these). */
export type PrincipalRow = Pick<UserRow, 'id' | 'username' | 'email' | 'is_active' | 'is_staff' | 'is_superuser' | 'tokens_valid_after'>;

/** The authenticated user of one request; its groups are read once, on first use. */
export function toPrincipal(db: Db, row: PrincipalRow): Principal {
  let groups: Promise<ReadonlySet<string>> | null = null;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isActive: Boolean(row.is_active),
    isStaff: Boolean(row.is_staff),
    isSuperuser: Boolean(row.is_superuser),
    groups: () => (groups ??= groupNames(db, row.id)),
  };
}

export async function groupNames(db: Db, userId: number): Promise<ReadonlySet<string>> {
  const rows = (await db('auth_user_groups as ug')
    .join('auth_group as g', 'g.id', 'ug.group_id')
    .where('ug.user_id', userId)
    .select('g.name')) as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return (await hotQueries(db).userById(id)) as UserRow | undefined;
}

/** The principal columns of a user (what authentication needs). */
export async function findPrincipalRow(db: Db, id: number): Promise<PrincipalRow | undefined> {
  return (await hotQueries(db).principalById(id)) as PrincipalRow | undefined;
}

/** Exact (case-sensitive) username match, as Django's ModelBackend. */
export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db('auth_user').where({ username }).first();
}

export function hashKey(key: string): string {
  return sha256Hex(key);
}

/** SHA-256 as hex: Node's one-shot crypto.hash where it exists (20.12+), a Hash object otherwise. */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: 'hex'): string }).hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export class TokenKeys {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  /** A new key for the user (one per login/device); returns the key, shown once. */
  async create(userId: number, db: Db = this.db): Promise<string> {
    const key = crypto.randomBytes(20).toString('hex');
    await db('authtoken_token').insert({ key_hash: hashKey(key), user_id: userId, created: this.now(), last_used: null });
    return key;
  }

  /**
   * The token row and its user for a key, or undefined. The row is found by the key's hash
   * and the hashes are compared again in constant time.
   */
  async lookup(key: string): Promise<{ tokenId: number; lastUsed: number | null; user: PrincipalRow } | undefined> {
    const digest = hashKey(key);
    const row = (await hotQueries(this.db).tokenWithPrincipal(digest)) as
      | (PrincipalRow & { token_id: number; key_hash: string; token_last_used: number | null })
      | undefined;
    if (!row || !crypto.timingSafeEqual(Buffer.from(row.key_hash, 'latin1'), Buffer.from(digest, 'latin1'))) return undefined;
    return { tokenId: row.token_id, lastUsed: row.token_last_used, user: row };
  }

  /** Whether a key last used at `lastUsed` is due a `touch` (use is recorded at most once a minute). */
  isTouchDue(lastUsed: number | null): boolean {
    return lastUsed === null || this.now() - lastUsed >= 60_000;
  }

  /** Records use, at most once a minute per key (a write per request would not scale). */
  async touch(tokenId: number, lastUsed: number | null): Promise<void> {
    if (!this.isTouchDue(lastUsed)) return;
    await this.db('authtoken_token').where({ id: tokenId }).update({ last_used: this.now() });
  }

  async delete(tokenId: number): Promise<void> {
    await this.db('authtoken_token').where({ id: tokenId }).delete();
  }

  async deleteAllFor(userId: number, db: Db = this.db): Promise<void> {
    await db('authtoken_token').where({ user_id: userId }).delete();
  }
}
