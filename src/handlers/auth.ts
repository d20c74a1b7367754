/** DRF authtoken, djoser token and simplejwt endpoints. */
import { AuthenticationFailed, InvalidToken, ValidationError } from '../errors';
import { authenticateCredentials } from '../services/credentials';
import { TokenError, userIdOf } from '../tokens/tokens';
import type { Call, Handler, OperationId } from './types';

const UNABLE_TO_LOG_IN = 'Unable to log in with provided credentials.';
const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials';
const NO_ACTIVE_ACCOUNT_FOR_TOKEN = 'No active account found for the given token.';

function credentials(call: Call) {
  return { services: call.services, ip: call.req.ip, loginGuard: call.loginGuard };
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
  if (!user) throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
  const pair = await call.services.jwt.obtainPair(user.id, user.tokens_valid_after);
  return { status: 200 as const, body: pair, headers: refreshCookie(call, pair.refresh) };
};

const REFRESH_COOKIE = 'refresh_token';

/** The refresh token of the body or, with JWT_REFRESH_COOKIE on, of the cookie. Raises DRF's required-field error. */
function refreshToken(call: Call<'tokenRefresh' | 'jwtRefresh' | 'tokenBlacklist'>): string {
  const fromBody = call.body.refresh;
  if (fromBody !== undefined) return String(fromBody);
  const fromCookie = call.services.settings.jwt.refreshCookie ? call.cookie(REFRESH_COOKIE) : undefined;
  if (fromCookie) return fromCookie;
  throw ValidationError.field('refresh', 'This field is required.');
}

/** With JWT_REFRESH_COOKIE on: the Set-Cookie header carrying `refresh` (or clearing it, with null). */
function refreshCookie(call: Call, refresh: string | null): Record<string, string> {
  const { settings } = call.services;
  if (!settings.jwt.refreshCookie) return {};
  const secure = settings.mail.siteUrl.startsWith('https:') ? '; Secure' : '';
  const maxAge = refresh === null ? 0 : settings.jwt.refreshLifetimeSeconds;
  return { 'Set-Cookie': `${REFRESH_COOKIE}=${refresh ?? ''}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}` };
}

const refresh = async (call: Call<'tokenRefresh' | 'jwtRefresh'>) => {
  const raw = refreshToken(call);
  const { jwt, db } = call.services;
  return translateTokenErrors(async () => {
    const validated = await jwt.validateRefresh(raw);
    const userId = userIdOf(validated.payload);
    const user = userId === null ? undefined : await db.users.findById(userId);
    // As simplejwt >= 5.3.1 (CVE-2024-22513): a deleted or inactive user cannot refresh.
    if (!user || !user.is_active) throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT_FOR_TOKEN);
    const body = await jwt.refresh(raw, user.id, validated, user.tokens_valid_after);
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
    if (!user) throw ValidationError.nonField(UNABLE_TO_LOG_IN);
    return { status: 200, body: { token: await call.services.keys.create(user.id) } };
  },

  async tokenCreate(call) {
    const { username, password } = call.body;
    const user = username !== undefined && password !== undefined ? await authenticateCredentials(credentials(call), username, password) : null;
    if (!user) throw ValidationError.nonField(UNABLE_TO_LOG_IN);
    return { status: 200, body: { auth_token: await call.services.keys.create(user.id) } };
  },

  async tokenDestroy(call) {
    if (call.req.auth?.scheme === 'TokenAuth') await call.services.keys.delete(call.req.auth.tokenId);
    return { status: 204 };
  },

  async tokenDestroyAll(call) {
    await call.services.accounts.signOutEverywhere((call.req.principal as { id: number }).id);
    return { status: 204 };
  },

  tokenObtainPair: obtainPair,
  jwtCreate: obtainPair,
  tokenRefresh: refresh,
  jwtRefresh: refresh,
  tokenVerify: verify,
  jwtVerify: verify,

  async tokenBlacklist(call) {
    await translateTokenErrors(() => call.services.jwt.blacklist(refreshToken(call)));
    return { status: 200, body: {}, headers: refreshCookie(call, null) };
  },

  async jwks(call) {
    return { status: 200, body: call.services.jwt.jwks() };
  },
} satisfies { [K in OperationId]?: Handler<K> };
