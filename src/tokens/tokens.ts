/**
 * simplejwt's tokens: access and refresh JWTs with `token_type`, `exp`, `iat`, `jti` and
 * `user_id`; every refresh token recorded as outstanding so it can be blacklisted; rotation
 * with reuse detection (a rotated-away refresh token presented again revokes its family);
 * per-user revocation of access tokens. Errors are TokenError (simplejwt's messages) and know
 * nothing of HTTP; handlers translate them.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { TokenBackend, TokenBackendError, type Payload } from './backend';

export class TokenError extends Error {
  override name = 'TokenError';
}

export type TokenType = 'access' | 'refresh';

export interface JwtSettings {
  readonly accessLifetimeSeconds: number;
  readonly refreshLifetimeSeconds: number;
  readonly rotateRefreshTokens: boolean;
  readonly blacklistAfterRotation: boolean;
}

/** Milliseconds since the epoch at which a token was issued (our claim; `iat` is whole seconds). */
const ISSUED_MS_CLAIM = 'iat_ms';

export class JwtService {
  constructor(
    private readonly backend: TokenBackend,
    private readonly db: Db,
    private readonly settings: JwtSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Decodes and checks a token as simplejwt's Token(): signature, expiry, then the claims.
   * `type` null accepts either type (UntypedToken). Raises TokenError with simplejwt's message.
   */
  validate(raw: string, type: TokenType | null): Payload {
    let payload: Payload;
    try {
      payload = this.backend.decode(raw);
    } catch (err) {
      if (err instanceof TokenBackendError) throw new TokenError(err.message, { cause: err });
      throw err;
    }
    if (!('exp' in payload)) throw new TokenError("Token has no 'exp' claim");
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= this.now() - this.backend.leewaySeconds * 1000) {
      throw new TokenError("Token 'exp' claim has expired");
    }
    if (!('jti' in payload)) throw new TokenError('Token has no id');
    if (type !== null) {
      if (!('token_type' in payload)) throw new TokenError('Token has no type');
      if (payload.token_type !== type) throw new TokenError('Token has wrong type');
    }
    return payload;
  }

  /** When the token was issued, in ms (our claim, else `iat`), for revocation checks. */
  issuedAtMs(payload: Payload): number {
    const ms = payload[ISSUED_MS_CLAIM];
    if (typeof ms === 'number') return ms;
    return typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
  }

  private claims(type: TokenType, userId: number, lifetimeSeconds: number): Payload {
    const now = this.now();
    return {
      token_type: type,
      exp: Math.floor(now / 1000) + lifetimeSeconds,
      iat: Math.floor(now / 1000),
      [ISSUED_MS_CLAIM]: now,
      jti: crypto.randomBytes(16).toString('hex'),
      user_id: userId,
    };
  }

  accessFor(userId: number): string {
    return this.backend.encode(this.claims('access', userId, this.settings.accessLifetimeSeconds));
  }

  /** A new refresh token, recorded as outstanding in `family` (a new family when null). */
  private async newRefresh(userId: number, family: string | null, db: Db = this.db): Promise<string> {
    const payload = this.claims('refresh', userId, this.settings.refreshLifetimeSeconds);
    await db('token_blacklist_outstandingtoken').insert({
      user_id: userId,
      jti: payload.jti,
      family: family ?? payload.jti,
      created_at: this.now(),
      expires_at: (payload.exp as number) * 1000,
    });
    return this.backend.encode(payload);
  }

  /** `{refresh, access}` for a user who has just proved who they are. */
  async obtainPair(userId: number): Promise<{ refresh: string; access: string }> {
    const refresh = await this.newRefresh(userId, null);
    return { refresh, access: this.accessFor(userId) };
  }

  /**
   * Checks a refresh token (type, blacklist) and returns its payload and outstanding row.
   * A blacklisted token that rotation replaced is a stolen one: its whole family is revoked.
   */
  async validateRefresh(raw: string): Promise<{ payload: Payload; outstandingId: number | null; family: string | null }> {
    const payload = this.validate(raw, 'refresh');
    const row = (await this.db('token_blacklist_outstandingtoken as o')
      .leftJoin('token_blacklist_blacklistedtoken as b', 'b.token_id', 'o.id')
      .where('o.jti', String(payload.jti))
      .first('o.id', 'o.family', 'b.id as blacklisted')) as { id: number; family: string; blacklisted: number | null } | undefined;
    if (row?.blacklisted) {
      if (this.settings.rotateRefreshTokens) await this.blacklistFamily(row.family);
      throw new TokenError('Token is blacklisted');
    }
    return { payload, outstandingId: row?.id ?? null, family: row?.family ?? null };
  }

  /**
   * simplejwt's refresh: a new access token, and with rotation a new refresh token (the old
   * one blacklisted when BLACKLIST_AFTER_ROTATION). Raises TokenError.
   */
  async refresh(raw: string, userId: number, validated?: Awaited<ReturnType<JwtService['validateRefresh']>>): Promise<{ access: string; refresh?: string }> {
    const { payload, outstandingId, family } = validated ?? (await this.validateRefresh(raw));
    const access = this.accessFor(userId);
    if (!this.settings.rotateRefreshTokens) return { access };
    const refresh = await this.db.transaction(async (trx) => {
      const id = outstandingId ?? (await this.recordOutstanding(trx, payload));
      if (this.settings.blacklistAfterRotation) {
        // The unique token_id makes a concurrent second use of the same token fail here.
        const inserted = await trx('token_blacklist_blacklistedtoken')
          .insert({ token_id: id, blacklisted_at: this.now() })
          .onConflict('token_id')
          .ignore()
          .returning('id');
        if (inserted.length === 0) throw new TokenError('Token is blacklisted');
      }
      return this.newRefresh(userId, family ?? String(payload.jti), trx);
    });
    return { access, refresh };
  }

  /** Accepts any valid token of ours; refuses a blacklisted refresh token (unlike simplejwt). */
  async verify(raw: string): Promise<Payload> {
    const payload = this.validate(raw, null);
    if (payload.token_type === 'refresh') {
      const blacklisted = await this.db('token_blacklist_outstandingtoken as o')
        .join('token_blacklist_blacklistedtoken as b', 'b.token_id', 'o.id')
        .where('o.jti', String(payload.jti))
        .first('b.id');
      if (blacklisted) throw new TokenError('Token is blacklisted');
    }
    return payload;
  }

  /** Blacklists a refresh token for good. Raises TokenError (already blacklisted included). */
  async blacklist(raw: string): Promise<void> {
    const { payload, outstandingId } = await this.validateRefresh(raw);
    await this.db.transaction(async (trx) => {
      const id = outstandingId ?? (await this.recordOutstanding(trx, payload));
      await trx('token_blacklist_blacklistedtoken').insert({ token_id: id, blacklisted_at: this.now() }).onConflict('token_id').ignore();
    });
  }

  private async recordOutstanding(db: Db, payload: Payload): Promise<number> {
    const [row] = await db('token_blacklist_outstandingtoken')
      .insert({
        user_id: typeof payload.user_id === 'number' ? payload.user_id : null,
        jti: String(payload.jti),
        family: String(payload.jti),
        created_at: this.now(),
        expires_at: typeof payload.exp === 'number' ? payload.exp * 1000 : this.now(),
      })
      .returning('id');
    return typeof row === 'object' ? (row as { id: number }).id : (row as number);
  }

  private async blacklistFamily(family: string, db: Db = this.db): Promise<void> {
    const ids = db('token_blacklist_outstandingtoken').where({ family }).select('id');
    await this.insertBlacklist(db, ids);
  }

  /**
   * Signs a user out everywhere: blacklists every refresh token and refuses every access token
   * issued until now. Run inside the caller's transaction when given.
   */
  async revokeUser(userId: number, db: Db = this.db): Promise<void> {
    const ids = db('token_blacklist_outstandingtoken').where({ user_id: userId }).where('expires_at', '>', this.now()).select('id');
    await this.insertBlacklist(db, ids);
    await db('auth_user').where({ id: userId }).update({ tokens_valid_after: this.now() });
  }

  private async insertBlacklist(db: Db, ids: ReturnType<Db['select']>): Promise<void> {
    const now = this.now();
    const rows = (await ids) as { id: number }[];
    for (let i = 0; i < rows.length; i += 500) {
      await db('token_blacklist_blacklistedtoken')
        .insert(rows.slice(i, i + 500).map((r) => ({ token_id: r.id, blacklisted_at: now })))
        .onConflict('token_id')
        .ignore();
    }
  }

  /** simplejwt's flushexpiredtokens: removes expired outstanding tokens (and their blacklist rows). */
  async flushExpired(): Promise<number> {
    const expired = this.db('token_blacklist_outstandingtoken').where('expires_at', '<', this.now()).select('id');
    await this.db('token_blacklist_blacklistedtoken').whereIn('token_id', expired).delete();
    return this.db('token_blacklist_outstandingtoken').where('expires_at', '<', this.now()).delete();
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return this.backend.jwks();
  }
}
