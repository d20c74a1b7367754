/**
 * Refresh tokens as simplejwt's token_blacklist app records them: every refresh token issued
 * is outstanding (by its jti, in a rotation family), and may be blacklisted once. The JWTs
 * themselves are src/tokens/tokens.ts's business.
 */
import type { DataContext } from './db';

/** Rows per INSERT when blacklisting many tokens: well under SQLite's limit of bound values. */
const BLACKLIST_CHUNK = 500;

export interface OutstandingFields {
  /** Null for a token whose user no longer exists (simplejwt's SET_NULL). */
  readonly userId: number | null;
  readonly jti: string;
  /** The jti of the first token of its rotation chain (its own for a new chain). */
  readonly family: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** An outstanding token as the admin API lists it. */
export interface OutstandingListing {
  id: number;
  jti: string;
  family: string;
  created_at: number;
  expires_at: number;
  blacklisted: boolean;
}

/** A blacklisted token as the admin API lists it. */
export interface BlacklistListing {
  id: number;
  jti: string;
  user_id: number | null;
  username: string | null;
  blacklisted_at: number;
  expires_at: number;
}

type RawListing = Omit<OutstandingListing, 'blacklisted'> & { blacklisted_id: number | null };

function listing(r: RawListing): OutstandingListing {
  return { id: r.id, jti: r.jti, family: r.family, created_at: Number(r.created_at), expires_at: Number(r.expires_at), blacklisted: r.blacklisted_id !== null && r.blacklisted_id !== undefined };
}

export class RefreshTokensRepository {
  constructor(private readonly ctx: DataContext) {}

  /** Records a refresh token as outstanding; returns its row id. Raises the driver's unique violation for a jti recorded already. */
  async record(token: OutstandingFields): Promise<number> {
    const row = await this.ctx.models.OutstandingToken.query().insert({
      user_id: token.userId,
      jti: token.jti,
      family: token.family,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    });
    return row.id;
  }

  /** The outstanding token with this jti: its id, its family, and whether it is blacklisted; undefined when not recorded. */
  async findByJti(jti: string): Promise<{ id: number; family: string; blacklisted: boolean } | undefined> {
    const { OutstandingToken } = this.ctx.models;
    const row = (await OutstandingToken.query()
      .leftJoin('token_blacklist_blacklistedtoken as b', 'b.token_id', 'token_blacklist_outstandingtoken.id')
      .where('token_blacklist_outstandingtoken.jti', jti)
      .select('token_blacklist_outstandingtoken.id', 'token_blacklist_outstandingtoken.family', 'b.id as blacklisted_id')
      .first()) as
      | { id: number; family: string; blacklisted_id?: number | null }
      | undefined;
    return row && { id: row.id, family: row.family, blacklisted: row.blacklisted_id !== null && row.blacklisted_id !== undefined };
  }

  /** Whether the token with this jti is recorded and blacklisted. */
  async isBlacklisted(jti: string): Promise<boolean> {
    return (await this.findByJti(jti))?.blacklisted ?? false;
  }

  /**
   * Blacklists the outstanding token `tokenId` at `now`.
   * @returns true when this call blacklisted it, false when it was already (the unique
   * token_id makes the second of two concurrent calls return false).
   */
  async blacklist(tokenId: number, now: number): Promise<boolean> {
    const inserted = (await this.blacklistRows().insert({ token_id: tokenId, blacklisted_at: now }).onConflict('token_id').ignore().returning('id')) as unknown[];
    return inserted.length > 0;
  }

  /** Blacklists every token of the rotation family (a stolen token was reused). */
  async blacklistFamily(family: string, now: number): Promise<void> {
    await this.blacklistAll(await this.ctx.models.OutstandingToken.query().where({ family }).select('id'), now);
  }

  /** Blacklists every unexpired outstanding token of the user. */
  async blacklistUser(userId: number, now: number): Promise<void> {
    await this.blacklistAll(await this.ctx.models.OutstandingToken.query().where({ user_id: userId }).where('expires_at', '>', now).select('id'), now);
  }

  /** The user's outstanding tokens, newest first (at most `limit`), each with whether it is blacklisted. */
  async listFor(userId: number, limit: number): Promise<OutstandingListing[]> {
    const rows = (await this.withBlacklist().where('o.user_id', userId).orderBy('o.created_at', 'desc').orderBy('o.id', 'desc').limit(limit)) as RawListing[];
    return rows.map(listing);
  }

  /** The user's outstanding token with this jti, or undefined. */
  async findForUser(userId: number, jti: string): Promise<OutstandingListing | undefined> {
    const row = (await this.withBlacklist().where('o.user_id', userId).where('o.jti', jti).first()) as RawListing | undefined;
    return row && listing(row);
  }

  /** The blacklist, the most recently blacklisted first: a page of it, with each token's user. */
  async blacklisted(page: { limit: number; offset: number }): Promise<BlacklistListing[]> {
    const rows = (await this.ctx.models.BlacklistedToken.knex()('token_blacklist_blacklistedtoken as b')
      .join('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
      .leftJoin('auth_user as u', 'u.id', 'o.user_id')
      .orderBy('b.blacklisted_at', 'desc')
      .orderBy('b.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .select('b.id', 'o.jti', 'o.user_id', 'u.username', 'b.blacklisted_at', 'o.expires_at')) as BlacklistListing[];
    return rows.map((r) => ({ ...r, blacklisted_at: Number(r.blacklisted_at), expires_at: Number(r.expires_at) }));
  }

  /** How many tokens are blacklisted. */
  async countBlacklisted(): Promise<number> {
    return this.ctx.models.BlacklistedToken.query().resultSize();
  }

  private withBlacklist() {
    return this.ctx.models.OutstandingToken.knex()('token_blacklist_outstandingtoken as o')
      .leftJoin('token_blacklist_blacklistedtoken as b', 'b.token_id', 'o.id')
      .select('o.id', 'o.jti', 'o.family', 'o.created_at', 'o.expires_at', 'b.id as blacklisted_id');
  }

  /** simplejwt's flushexpiredtokens: deletes the tokens expired before `now` and their blacklist rows; returns how many tokens. */
  async flushExpired(now: number): Promise<number> {
    return this.ctx.atomically(async ({ OutstandingToken, BlacklistedToken }) => {
      await BlacklistedToken.query().whereIn('token_id', OutstandingToken.query().where('expires_at', '<', now).select('id')).delete();
      return OutstandingToken.query().where('expires_at', '<', now).delete();
    });
  }

  private async blacklistAll(tokens: readonly { id: number }[], now: number): Promise<void> {
    for (let i = 0; i < tokens.length; i += BLACKLIST_CHUNK) {
      await this.blacklistRows()
        .insert(tokens.slice(i, i + BLACKLIST_CHUNK).map((t) => ({ token_id: t.id, blacklisted_at: now })))
        .onConflict('token_id')
        .ignore();
    }
  }

  /**
   * The blacklist table, through the model's connection: objection's insert neither takes
   * several rows on SQLite nor tells whether ON CONFLICT DO NOTHING inserted.
   */
  private blacklistRows() {
    return this.ctx.models.BlacklistedToken.knexQuery();
  }
}
