/**
 * The authenticators behind the spec's security schemes (DRF's TokenAuthentication and
 * simplejwt's JWTAuthentication). Each returns null for a header that is not its scheme,
 * throws AuthenticationFailed for its scheme with bad credentials, and never returns false.
 * Each failure has its code (the body of TokenAuth's shows only `detail`, as DRF's; the metrics
 * count failures by code).
 */
import type { Database } from '../data/db';
import type { PrincipalRow } from '../data/users';
import { AuthenticationFailed, InvalidToken, JwtAuthenticationFailed } from '../errors';
import { toPrincipal, type TokenKeys } from '../services/accounts';
import type { Payload } from '../tokens/backend';
import { TokenError, userIdOf, type JwtService } from '../tokens/tokens';
import type { AuthInfo, Authenticator, Principal, RequestInfo } from './types';

/**
 * The Authorization header split as Python's `bytes.split()` splits it: on runs of ASCII
 * whitespace only. A no-break space (0xA0) or NEL (0x85) is part of a value, as in DRF, where
 * JavaScript's `\s` would have split on it.
 */
function authorizationParts(req: RequestInfo): readonly string[] {
  // Every authenticator of an operation reads the same request's header: split it once.
  if (req === lastSplit.req) return lastSplit.parts;
  const header = req.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const parts = value ? value.split(/[ \t\n\r\v\f]+/).filter(Boolean) : [];
  lastSplit = { req, parts };
  return parts;
}
let lastSplit: { readonly req: RequestInfo | null; readonly parts: readonly string[] } = { req: null, parts: [] };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ASCII = /^[\x00-\x7f]*$/;

/** Node reads header bytes as latin-1; DRF decodes the key as UTF-8. Null when that fails. */
function decodeUtf8(latin1: string): string | null {
  if (ASCII.test(latin1)) return latin1; // the usual case: ASCII reads the same either way
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return null;
  }
}

/** `Authorization: Token <key>` (the keyword is case-insensitive, as DRF's). */
export class TokenAuthentication implements Authenticator {
  readonly scheme = 'TokenAuth';
  constructor(private readonly db: Database, private readonly keys: TokenKeys) {}

  async authenticate(req: RequestInfo): Promise<{ principal: Principal; auth: AuthInfo } | null> {
    const parts = authorizationParts(req);
    if (parts.length === 0 || parts[0].toLowerCase() !== 'token') return null;
    if (parts.length === 1) throw new AuthenticationFailed('Invalid token header. No credentials provided.', 'no_credentials');
    if (parts.length > 2) throw new AuthenticationFailed('Invalid token header. Token string should not contain spaces.', 'token_has_spaces');
    const key = decodeUtf8(parts[1]);
    if (key === null) throw new AuthenticationFailed('Invalid token header. Token string should not contain invalid characters.', 'invalid_characters');
    // A key is 40 characters (DRF's max_length): a key of another length costs no query.
    const found = key.length === 40 ? await this.keys.lookup(key) : undefined;
    if (!found) throw new AuthenticationFailed('Invalid token.', 'invalid_token');
    if (!found.user.is_active) throw new AuthenticationFailed('User inactive or deleted.', 'user_inactive');
    // Recording use must not fail the request.
    if (this.keys.isTouchDue(found.lastUsed)) this.keys.touch(found.tokenId, found.lastUsed).catch(() => undefined);
    return { principal: toPrincipal(this.db.users, found.user), auth: { scheme: 'TokenAuth', tokenId: found.tokenId } };
  }

  authenticateHeader(): string {
    return 'Token';
  }
}

/**
 * `Authorization: Bearer <access JWT>` (simplejwt's JWTAuthentication; the keyword is
 * case-sensitive). Four steps: the raw token from the header, the validated token, the user,
 * and (our addition) the user's revocation time.
 */
export class JwtAuthentication implements Authenticator {
  readonly scheme = 'JWTAuth';
  constructor(private readonly db: Database, private readonly tokens: JwtService) {}

  async authenticate(req: RequestInfo): Promise<{ principal: Principal; auth: AuthInfo } | null> {
    const raw = this.rawToken(req);
    if (raw === null) return null;
    const payload = this.validatedToken(raw);
    const user = await this.user(payload);
    // Access tokens issued before logout-all (or a password change) no longer work.
    if (this.tokens.isRevoked(payload, user.tokens_valid_after)) throw this.invalid('Token has been revoked');
    return { principal: toPrincipal(this.db.users, user), auth: { scheme: 'JWTAuth', payload } };
  }

  /** The token, null when the header is not ours; raises for `Bearer` with no token or two. */
  private rawToken(req: RequestInfo): string | null {
    const parts = authorizationParts(req);
    if (parts.length === 0 || parts[0] !== 'Bearer') return null;
    if (parts.length !== 2) {
      throw new JwtAuthenticationFailed('Authorization header must contain two space-delimited values', 'bad_authorization_header');
    }
    return parts[1];
  }

  /** The payload of a valid access token; raises InvalidToken with simplejwt's messages. */
  private validatedToken(raw: string): Payload {
    try {
      return this.tokens.validate(raw, 'access');
    } catch (err) {
      if (err instanceof TokenError) throw this.invalid(err.message, err);
      throw err;
    }
  }

  /** The active user the token names; raises simplejwt's user_not_found / user_inactive. */
  private async user(payload: Payload): Promise<PrincipalRow> {
    if (!('user_id' in payload)) throw new InvalidToken('Token contained no recognizable user identification');
    const id = userIdOf(payload);
    const user = id === null ? undefined : await this.db.users.findPrincipal(id);
    if (!user) throw new JwtAuthenticationFailed('User not found', 'user_not_found');
    if (!user.is_active) throw new JwtAuthenticationFailed('User is inactive', 'user_inactive');
    return user;
  }

  /** simplejwt's body, keys in its order: detail, code, messages. */
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
