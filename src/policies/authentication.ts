/**
 * The authenticators behind the spec's security schemes (DRF's TokenAuthentication and
 * simplejwt's JWTAuthentication). Each returns null for a header that is not its scheme,
 * throws AuthenticationFailed for its scheme with bad credentials, and never returns false.
 */
import type { Db } from '../db/knex';
import { AuthenticationFailed, InvalidToken, JwtAuthenticationFailed } from '../errors';
import { findUserById, toPrincipal, type TokenKeys } from '../services/accounts';
import { TokenError, type JwtService } from '../tokens/tokens';
import type { AuthInfo, Authenticator, Principal, RequestInfo } from './types';

/** The Authorization header split on whitespace runs, as Python's bytes.split(). */
function authorizationParts(req: RequestInfo): string[] {
  const header = req.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.trim().split(/\s+/).filter(Boolean) : [];
}

/** `Authorization: Token <key>` (the keyword is case-insensitive, as DRF's). */
export class TokenAuthentication implements Authenticator {
  readonly scheme = 'TokenAuth';
  constructor(private readonly db: Db, private readonly keys: TokenKeys) {}

  async authenticate(req: RequestInfo): Promise<{ principal: Principal; auth: AuthInfo } | null> {
    const parts = authorizationParts(req);
    if (parts.length === 0 || parts[0].toLowerCase() !== 'token') return null;
    if (parts.length === 1) throw new AuthenticationFailed('Invalid token header. No credentials provided.');
    if (parts.length > 2) throw new AuthenticationFailed('Invalid token header. Token string should not contain spaces.');
    // Node reads header bytes as latin1: anything past ASCII is a key no client could hold.
    if (!/^[\x21-\x7e]+$/.test(parts[1])) {
      throw new AuthenticationFailed('Invalid token header. Token string should not contain invalid characters.');
    }
    const found = parts[1].length === 40 ? await this.keys.lookup(parts[1]) : undefined;
    if (!found) throw new AuthenticationFailed('Invalid token.');
    if (!found.user.is_active) throw new AuthenticationFailed('User inactive or deleted.');
    // Recording use must not fail the request.
    this.keys.touch(found.tokenId, found.lastUsed).catch(() => undefined);
    return { principal: toPrincipal(this.db, found.user), auth: { scheme: 'TokenAuth', tokenId: found.tokenId } };
  }

  authenticateHeader(): string {
    return 'Token';
  }
}

/** `Authorization: Bearer <access JWT>` (simplejwt; the keyword is case-sensitive). */
export class JwtAuthentication implements Authenticator {
  readonly scheme = 'JWTAuth';
  constructor(private readonly db: Db, private readonly tokens: JwtService) {}

  async authenticate(req: RequestInfo): Promise<{ principal: Principal; auth: AuthInfo } | null> {
    const raw = this.rawToken(req);
    if (raw === null) return null;
    const payload = this.validatedToken(raw);
    const userId = payload.user_id;
    if (userId === undefined) throw new InvalidToken('Token contained no recognizable user identification');
    const user = Number.isSafeInteger(userId) ? await findUserById(this.db, userId as number) : undefined;
    if (!user) throw new JwtAuthenticationFailed('User not found', 'user_not_found');
    if (!user.is_active) throw new JwtAuthenticationFailed('User is inactive', 'user_inactive');
    if (this.tokens.issuedAtMs(payload) < Number(user.tokens_valid_after)) {
      throw this.invalid('Token has been revoked');
    }
    return { principal: toPrincipal(this.db, user), auth: { scheme: 'JWTAuth', payload } };
  }

  private rawToken(req: RequestInfo): string | null {
    const parts = authorizationParts(req);
    if (parts.length === 0 || parts[0] !== 'Bearer') return null;
    if (parts.length !== 2) {
      throw new JwtAuthenticationFailed('Authorization header must contain two space-delimited values', 'bad_authorization_header');
    }
    return parts[1];
  }

  private validatedToken(raw: string): Record<string, unknown> {
    try {
      return this.tokens.validate(raw, 'access');
    } catch (err) {
      if (err instanceof TokenError) throw this.invalid(err.message, err);
      throw err;
    }
  }

  private invalid(message: string, cause?: unknown): InvalidToken {
    return new InvalidToken(
      {
        detail: 'Given token not valid for any token type',
        messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
      },
      undefined,
      { cause },
    );
  }

  authenticateHeader(): string {
    return 'Bearer realm="api"';
  }
}
