/**
 * simplejwt's tokens: access and refresh JWTs with `token_type`, `exp`, `iat`, `jti` and
 * `user_id`; every refresh token recorded as outstanding so it can be blacklisted; rotation
 * with reuse detection (a rotated-away refresh token presented again revokes its family);
 * per-user revocation of every token, access and refresh, recorded here or not
 * (auth_user.tokens_valid_after, compared with the issue time in milliseconds that our UUIDv7
 * jti carries, or with `iat` for a token minted elsewhere). Errors are TokenError (simplejwt's
 * messages) and know nothing of HTTP; handlers translate them.
 */
import crypto from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import type { Database, Repositories } from '../data/db';
import type { AuditLog } from '../services/audit';
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

/**
 * The user id a token names: its `user_id` claim, an integer or (as simplejwt 5.5 writes it)
 * the integer as a string. Null when the claim is missing or names no possible user.
 */
export function userIdOf(payload: Payload): number | null {
  const id = payload.user_id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  if (typeof id === 'string' && /^[1-9][0-9]{0,15}$/.test(id) && Number.isSafeInteger(Number(id))) return Number(id);
  return null;
}

/** Whole seconds since the epoch, as simplejwt writes `iat` and `exp`. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * A jti: 32 hex digits like simplejwt's `uuid4().hex`, but a UUIDv7 (RFC 9562), whose first
 * 48 bits are the issue time in milliseconds. Revocation needs that precision and `iat` is
 * whole seconds; keeping it in the jti leaves the claims exactly simplejwt's.
 */
function newJti(issuedMs: number): string {
  const bytes = crypto.randomBytes(16);
  bytes.writeUIntBE(issuedMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC 9562 variant
  return bytes.toString('hex');
}

const UUID7_HEX = /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/;

/** The outstanding row of a refresh token that passed validateRefresh. */
export interface ValidatedRefresh {
  readonly payload: Payload;
  readonly outstandingId: number | null;
  readonly family: string | null;
}

export class JwtService {
  constructor(
    private readonly backend: TokenBackend,
    private readonly db: Database,
    private readonly settings: JwtSettings,
    private readonly clock: Clock = systemClock,
    private readonly audit: AuditLog | null = null,
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
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= this.clock.now() - this.backend.leewaySeconds * 1000) {
      throw new TokenError("Token 'exp' claim has expired");
    }
    if (!('jti' in payload)) throw new TokenError('Token has no id');
    if (type !== null) {
      if (!('token_type' in payload)) throw new TokenError('Token has no type');
      if (payload.token_type !== type) throw new TokenError('Token has wrong type');
    }
    return payload;
  }

  /**
   * When a token was issued, in ms: from our UUIDv7 jti, else (a token minted elsewhere, such
   * as by the Django service with the same key) from `iat`; 0 without either.
   */
  issuedAtMs(payload: Payload): number {
    if (typeof payload.jti === 'string' && UUID7_HEX.test(payload.jti)) return parseInt(payload.jti.slice(0, 12), 16);
    return typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
  }

  /** True when the token was issued before the user's `tokens_valid_after` (ms, set by revokeUser). */
  isRevoked(payload: Payload, tokensValidAfterMs: number): boolean {
    return this.issuedAtMs(payload) < Number(tokensValidAfterMs);
  }

  /**
   * simplejwt's claims, in its order. A token issued in the very millisecond of a revocation
   * is dated just after it (in its jti), so that it is not caught by it.
   */
  private claims(type: TokenType, userId: number, lifetimeSeconds: number, tokensValidAfterMs: number): Payload {
    const now = this.clock.now();
    return {
      token_type: type,
      exp: seconds(now) + lifetimeSeconds,
      iat: seconds(now),
      jti: newJti(Math.max(now, Number(tokensValidAfterMs))),
      user_id: userId,
    };
  }

  /** The user's `tokens_valid_after` (0 for a user that does not exist). */
  private validAfter(userId: number): Promise<number> {
    return this.db.users.tokensValidAfter(userId);
  }

  private accessFor(userId: number, tokensValidAfterMs: number): string {
    return this.backend.encode(this.claims('access', userId, this.settings.accessLifetimeSeconds, tokensValidAfterMs));
  }

  /** A new refresh token, recorded as outstanding in `family` (a new family when null). */
  private async newRefresh(userId: number, family: string | null, tokensValidAfterMs: number, tx: Repositories = this.db): Promise<string> {
    const payload = this.claims('refresh', userId, this.settings.refreshLifetimeSeconds, tokensValidAfterMs);
    const jti = payload.jti as string;
    await tx.refreshTokens.record({ userId, jti, family: family ?? jti, createdAt: this.clock.now(), expiresAt: (payload.exp as number) * 1000 });
    return this.backend.encode(payload);
  }

  /**
   * `{refresh, access}` for a user who has just proved who they are. Pass the user's
   * `tokens_valid_after` when at hand (it is read otherwise).
   */
  async obtainPair(userId: number, tokensValidAfterMs?: number, tx: Repositories = this.db): Promise<{ refresh: string; access: string }> {
    const validAfter = tokensValidAfterMs ?? (await this.validAfter(userId));
    const refresh = await this.newRefresh(userId, null, validAfter, tx);
    return { refresh, access: this.accessFor(userId, validAfter) };
  }

  /**
   * Raises TokenError('Token is invalid or expired') when the token was issued before its
   * user's `tokens_valid_after` (logout-all, a password change). Blacklisting the user's
   * outstanding rows is not enough: a refresh token with no row here (one Django signed with
   * the same SECRET_KEY, or one from before the table was flushed) has nothing to blacklist
   * (#14). A token naming no user, or a user that no longer exists, is not revoked here.
   */
  private async assertNotRevoked(payload: Payload): Promise<void> {
    const userId = userIdOf(payload);
    if (userId === null) return;
    if (this.isRevoked(payload, await this.validAfter(userId))) throw new TokenError('Token is invalid or expired');
  }

  /**
   * Checks a refresh token (type, blacklist, the user's revocation time) and returns its
   * payload and outstanding row. Every use of a refresh token goes through here: refresh (body
   * or cookie) and blacklist. A blacklisted token that rotation replaced is a stolen one: its
   * whole family is revoked.
   */
  async validateRefresh(raw: string, address: string | null = null): Promise<ValidatedRefresh> {
    const payload = this.validate(raw, 'refresh');
    const row = await this.db.refreshTokens.findByJti(String(payload.jti));
    if (row?.blacklisted) {
      if (this.settings.rotateRefreshTokens) await this.blacklistFamily(row.family, userIdOf(payload), address);
      throw new TokenError('Token is blacklisted');
    }
    await this.assertNotRevoked(payload);
    return { payload, outstandingId: row?.id ?? null, family: row?.family ?? null };
  }

  /**
   * simplejwt's refresh: a new access token, and with rotation a new refresh token in the same
   * family (the old one blacklisted when BLACKLIST_AFTER_ROTATION). Raises TokenError; losing
   * a race with another use of the same token is reuse, and revokes the family.
   */
  async refresh(raw: string, userId: number, validated?: ValidatedRefresh, tokensValidAfterMs?: number, address: string | null = null): Promise<{ access: string; refresh?: string }> {
    const { payload, outstandingId, family } = validated ?? (await this.validateRefresh(raw, address));
    const validAfter = tokensValidAfterMs ?? (await this.validAfter(userId));
    const access = this.accessFor(userId, validAfter);
    if (!this.settings.rotateRefreshTokens) return { access };
    const rotated = await this.db.transaction(async (tx) => {
      const id = outstandingId ?? (await this.recordOutstanding(tx, payload));
      // The unique token_id makes a concurrent second use of the same token fail here.
      if (this.settings.blacklistAfterRotation && !(await tx.refreshTokens.blacklist(id, this.clock.now()))) return null;
      return this.newRefresh(userId, family ?? String(payload.jti), validAfter, tx);
    });
    if (rotated === null) {
      await this.blacklistFamily(family ?? String(payload.jti), userId, address);
      throw new TokenError('Token is blacklisted');
    }
    return { access, refresh: rotated };
  }

  /**
   * Accepts any valid token of ours; unlike simplejwt, refuses a blacklisted refresh token and
   * a token of either type revoked by logout-all or a password change.
   */
  async verify(raw: string): Promise<Payload> {
    const payload = this.validate(raw, null);
    if (payload.token_type === 'refresh' && (await this.db.refreshTokens.isBlacklisted(String(payload.jti)))) {
      throw new TokenError('Token is blacklisted');
    }
    await this.assertNotRevoked(payload);
    return payload;
  }

  /** Blacklists a refresh token for good. Raises TokenError (already blacklisted included). */
  async blacklist(raw: string, address: string | null = null): Promise<void> {
    const { payload, outstandingId } = await this.validateRefresh(raw, address);
    await this.db.transaction(async (tx) => {
      const id = outstandingId ?? (await this.recordOutstanding(tx, payload));
      await tx.refreshTokens.blacklist(id, this.clock.now());
    });
  }

  /**
   * Records a valid refresh token that has no outstanding row (issued before the table was
   * flushed, or its user deleted since: the row went with the user). Its user_id is kept only
   * when that user still exists, as simplejwt's SET_NULL would leave it.
   */
  private async recordOutstanding(tx: Repositories, payload: Payload): Promise<number> {
    const userId = userIdOf(payload);
    const exists = userId !== null && (await tx.users.exists(userId));
    const jti = String(payload.jti);
    return tx.refreshTokens.record({
      userId: exists ? userId : null,
      jti,
      family: jti,
      createdAt: this.clock.now(),
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : this.clock.now(),
    });
  }

  /** Blacklists a rotation family (a rotated token was reused: stolen), with its audit entry (`jwt_family_revoked`), in one transaction; nothing when the whole family is blacklisted already. */
  private blacklistFamily(family: string, userId: number | null, address: string | null): Promise<void> {
    return this.db.transaction(async (tx) => {
      // Presented again once revoked: nothing left to revoke, and nothing new to record.
      if ((await tx.refreshTokens.countOpenInFamily(family)) === 0) return;
      await tx.refreshTokens.blacklistFamily(family, this.clock.now());
      if (!this.audit) return;
      const user = userId === null ? undefined : await tx.users.findById(userId);
      await this.audit.write(tx, { kind: 'jwt_family_revoked', user: user ? { id: user.id, username: user.username } : null, address, detail: { family, reason: 'reuse' } });
    });
  }

  /**
   * Signs a user out everywhere: blacklists every refresh token and refuses every access token
   * issued until now (tokens_valid_after = now + 1 ms, and at least 1 ms past the previous
   * one, so that a second revocation in the same millisecond still catches what was issued
   * between the two). Run inside the caller's transaction `tx` when given.
   */
  async revokeUser(userId: number, tx: Repositories = this.db): Promise<void> {
    const now = this.clock.now();
    await tx.refreshTokens.blacklistUser(userId, now);
    await tx.users.revokeTokens(userId, now);
  }

  /** simplejwt's flushexpiredtokens: removes expired outstanding tokens (and their blacklist rows); returns how many. */
  flushExpired(): Promise<number> {
    return this.db.refreshTokens.flushExpired(this.clock.now());
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return this.backend.jwks();
  }
}
