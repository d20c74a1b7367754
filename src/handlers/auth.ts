/** DRF authtoken, djoser token and simplejwt endpoints. */
import { AuthenticationFailed, InvalidToken, ValidationError } from '../errors';
import { authenticateCredentials } from '../services/credentials';
import { TokenError, userIdOf } from '../tokens/tokens';
import type { UserRow } from '../data/db';
import type { AuditEvent } from '../services/audit';
import type { Call, Handler, OperationId } from './types';

const UNABLE_TO_LOG_IN = 'Unable to log in with provided credentials.';
const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials';
const NO_ACTIVE_ACCOUNT_FOR_TOKEN = 'No active account found for the given token.';

function credentials(call: Call) {
  return { services: call.services, ip: call.req.ip, loginGuard: call.loginGuard };
}

/** A sign-in's audit entry: the user, the client address, how (never the password or the key). */
function signedIn(call: Call, user: Pick<UserRow, 'id' | 'username'>, detail: Record<string, unknown>): AuditEvent {
  const who = { id: user.id, username: user.username };
  return { kind: 'login', actor: who, user: who, address: call.req.ip, detail: { operation: call.operationId, ...detail } };
}

/** A failed sign-in, written on its own (it changes nothing): the name tried and the address, never the password. */
async function signInFailed(call: Call, username: string): Promise<void> {
  const user = await call.services.db.users.findByUsername(username);
  await call.services.audit.writeAlone({
    kind: 'login_failed',
    user: user ? { id: user.id, username: user.username } : null,
    username,
    address: call.req.ip,
    detail: { operation: call.operationId },
  });
}

/** A new key for a user who signed in, with its `login` entry in the same transaction. */
async function keyForSignIn(call: Call, user: UserRow): Promise<string> {
  return (await call.services.accounts.issueKey(user.id, ({ prefix }) => signedIn(call, user, { method: 'token', prefix }))).key;
}

/** simplejwt's view edge: a TokenError becomes InvalidToken(its message). */
async function translateTokenErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TokenError) throw new InvalidToken(err.message, undefined, { cause: err });
    throw err;
  }
}

const obtainPair = async (call: Call<'tokenObtainPair' | 'jwtCreate'>) => {
  const { username, password } = call.body;
  const user = await authenticateCredentials(credentials(call), username, password);
  if (!user) {
    await signInFailed(call, username);
    throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
  }
  const pair = await call.services.accounts.issuePair(user.id, user.tokens_valid_after, signedIn(call, user, { method: 'jwt' }));
  return { status: 200 as const, body: pair, headers: refreshCookie(call, pair.refresh) };
};

const REFRESH_COOKIE = 'refresh_token';
/** The cookie's path when a client asks for it with X-Refresh-Cookie: the simplejwt operations under /api/token/ only. */
const HEADER_COOKIE_PATH = '/api/token/';

/** Whether the request asks for the refresh cookie (`X-Refresh-Cookie: 1`, the /admin console), whatever JWT_REFRESH_COOKIE says. */
function cookieAsked(call: Call): boolean {
  const value = call.req.headers['x-refresh-cookie'];
  return (Array.isArray(value) ? value[0] : value)?.trim() === '1';
}

/** The refresh token of the body or, with JWT_REFRESH_COOKIE on or X-Refresh-Cookie sent, of the cookie. Raises DRF's required-field error. */
function refreshToken(call: Call<'tokenRefresh' | 'jwtRefresh' | 'tokenBlacklist'>): string {
  const fromBody = call.body.refresh;
  if (fromBody !== undefined) return String(fromBody);
  const fromCookie = call.services.settings.jwt.refreshCookie || cookieAsked(call) ? call.cookie(REFRESH_COOKIE) : undefined;
  if (fromCookie) return fromCookie;
  throw ValidationError.field('refresh', 'This field is required.');
}

/**
 * With X-Refresh-Cookie sent (Path=/api/token/) or JWT_REFRESH_COOKIE on (Path=/): the
 * Set-Cookie header carrying `refresh` (or clearing it, with null).
 */
function refreshCookie(call: Call, refresh: string | null): Record<string, string> {
  const { settings } = call.services;
  const asked = cookieAsked(call);
  if (!settings.jwt.refreshCookie && !asked) return {};
  const secure = settings.mail.siteUrl.startsWith('https:') ? '; Secure' : '';
  const maxAge = refresh === null ? 0 : settings.jwt.refreshLifetimeSeconds;
  const where = asked ? HEADER_COOKIE_PATH : '/';
  return { 'Set-Cookie': `${REFRESH_COOKIE}=${refresh ?? ''}; Max-Age=${maxAge}; Path=${where}; HttpOnly; SameSite=Strict${secure}` };
}

const refresh = async (call: Call<'tokenRefresh' | 'jwtRefresh'>) => {
  const raw = refreshToken(call);
  const { jwt, db } = call.services;
  return translateTokenErrors(async () => {
    const validated = await jwt.validateRefresh(raw, call.req.ip);
    const userId = userIdOf(validated.payload);
    const user = userId === null ? undefined : await db.users.findById(userId);
    // As simplejwt >= 5.3.1 (CVE-2024-22513): a deleted or inactive user cannot refresh.
    if (!user || !user.is_active) throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT_FOR_TOKEN);
    const body = await jwt.refresh(raw, user.id, validated, user.tokens_valid_after, call.req.ip);
    return { status: 200 as const, body, headers: body.refresh ? refreshCookie(call, body.refresh) : {} };
  });
};

const verify = async (call: Call<'tokenVerify' | 'jwtVerify'>) => {
  // JwtService.verify refuses revoked tokens (logout-all, a password change) too.
  await translateTokenErrors(() => call.services.jwt.verify(String(call.body.token)));
  return { status: 200 as const, body: {} };
};

export const authHandlers = {
  async obtainAuthToken(call) {
    const { username, password } = call.body;
    const user = await authenticateCredentials(credentials(call), username, password);
    if (!user) {
      await signInFailed(call, username);
      throw ValidationError.nonField(UNABLE_TO_LOG_IN);
    }
    return { status: 200, body: { token: await keyForSignIn(call, user) } };
  },

  async tokenCreate(call) {
    const { username, password } = call.body;
    const user = username !== undefined && password !== undefined ? await authenticateCredentials(credentials(call), username, password) : null;
    if (!user) {
      if (username !== undefined) await signInFailed(call, username);
      throw ValidationError.nonField(UNABLE_TO_LOG_IN);
    }
    return { status: 200, body: { auth_token: await keyForSignIn(call, user) } };
  },

  async tokenDestroy(call) {
    const principal = call.req.principal as NonNullable<typeof call.req.principal>;
    if (call.req.auth?.scheme === 'TokenAuth') {
      const who = { id: principal.id, username: principal.username };
      await call.services.accounts.revokeKey(call.req.auth.tokenId, {
        audit: ({ prefix }) => ({ kind: 'token_revoked', actor: who, user: who, address: call.req.ip, detail: { prefix, operation: call.operationId } }),
      });
    }
    return { status: 204 };
  },

  async tokenDestroyAll(call) {
    const principal = call.req.principal as NonNullable<typeof call.req.principal>;
    const who = { id: principal.id, username: principal.username };
    await call.services.accounts.signOutEverywhere(principal.id, { kind: 'logout_all', actor: who, user: who, address: call.req.ip, detail: { operation: call.operationId } });
    return { status: 204 };
  },

  tokenObtainPair: obtainPair,
  jwtCreate: obtainPair,
  tokenRefresh: refresh,
  jwtRefresh: refresh,
  tokenVerify: verify,
  jwtVerify: verify,

  async tokenBlacklist(call) {
    await translateTokenErrors(() => call.services.jwt.blacklist(refreshToken(call), call.req.ip));
    return { status: 200, body: {}, headers: refreshCookie(call, null) };
  },

  async jwks(call) {
    return { status: 200, body: call.services.jwt.jwks() };
  },
} satisfies { [K in OperationId]?: Handler<K> };
