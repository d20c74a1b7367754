/**
 * Mailed tokens (password reset, account activation) after Django's
 * PasswordResetTokenGenerator, and djoser's uid encoding.
 *
 * A token is `<timestamp base36>-<every second hex char of an HMAC-SHA256>`, the timestamp
 * counting seconds since 2001-01-01T00:00:00Z. The HMAC covers the user's id, password hash,
 * last login (seconds) and email, so setting a password, logging in or changing the email
 * invalidates every outstanding token. Its key is salted with the token's purpose, so a token
 * mailed for one purpose is worthless for another. Nothing is stored server-side.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The user fields a reset token is bound to. */
export interface TokenUser {
  id: number;
  /** The stored password hash. */
  password: string;
  /** Epoch milliseconds, or null if the user never logged in. */
  last_login: number | null;
  email: string | null;
}

/** What a mailed token is for; every make and check names it. */
export type TokenPurpose = 'password-reset' | 'activation';

/**
 * The HMAC key salt of each purpose. Password reset keeps the salt of Django's
 * PasswordResetTokenGenerator (a reset link Django mailed before the move still works here);
 * activation has its own. djoser makes both with the one generator, so its activation link
 * can also set a new password: deliberately not copied (#14).
 */
const KEY_SALTS: Readonly<Record<TokenPurpose, string>> = {
  'password-reset': 'django.contrib.auth.tokens.PasswordResetTokenGenerator',
  activation: 'little-lemon.accounts.ActivationTokenGenerator',
};
/** 2001-01-01T00:00:00Z, Django's token epoch. */
const TOKEN_EPOCH_MS = Date.UTC(2001, 0, 1);
/** 8 base36 digits reach year ~90,000, well inside Number's safe integers. */
const TOKEN_RE = /^[0-9a-z]{1,8}-[0-9a-f]{32}$/;
/** Decimal ids up to MAX_SAFE_INTEGER are 16 digits, i.e. 22 base64 characters. */
const UID_RE = /^[A-Za-z0-9_-]{1,22}$/;

/**
 * Make a token for `purpose` for `user` at time `nowMs`.
 * @returns `<ts36>-<32 hex chars>`.
 * @throws RangeError if `nowMs` is before 2001-01-01 or not finite.
 */
export function makeToken(purpose: TokenPurpose, user: TokenUser, secret: string, nowMs: number): string {
  return tokenAt(purpose, user, secondsSinceEpoch(nowMs), secret);
}

/**
 * Check a token for `purpose`. `secret` may list the current secret first and then fallbacks
 * (Django's SECRET_KEY_FALLBACKS).
 * @returns true iff the token is well formed, was made by `makeToken` for this purpose and this
 *   user's current id/password/last_login/email with one of the secrets, is not from the future
 *   and is at most `timeoutSeconds` old. Never throws.
 */
export function checkToken(
  purpose: TokenPurpose,
  user: TokenUser,
  token: string,
  secret: string | readonly string[],
  nowMs: number,
  timeoutSeconds: number,
): boolean {
  if (typeof token !== 'string' || !TOKEN_RE.test(token) || !Number.isFinite(nowMs) || nowMs < TOKEN_EPOCH_MS) return false;
  const timestamp = parseInt(token.slice(0, token.indexOf('-')), 36);
  const age = secondsSinceEpoch(nowMs) - timestamp;
  if (age < 0 || !(age <= timeoutSeconds)) return false;
  const given = Buffer.from(token);
  let ok = false;
  for (const s of typeof secret === 'string' ? [secret] : secret) {
    const expected = Buffer.from(tokenAt(purpose, user, timestamp, s));
    // Always try every secret so the time taken does not reveal which one matched.
    ok = (expected.length === given.length && timingSafeEqual(expected, given)) || ok;
  }
  return ok;
}

/**
 * Encode a user id as Django's `urlsafe_base64_encode(force_bytes(pk))`.
 * @returns URL-safe base64 of the decimal id, without padding.
 * @throws RangeError if `id` is not a positive safe integer.
 */
export function encodeUid(id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`invalid user id: ${id}`);
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/**
 * Decode a uid made by `encodeUid`. Non-canonical encodings are refused.
 * @returns the id, or null unless `uid` is the canonical encoding of a positive safe integer.
 *   Never throws.
 */
export function decodeUid(uid: string): number | null {
  if (typeof uid !== 'string' || !UID_RE.test(uid) || uid.length % 4 === 1) return null;
  const text = Buffer.from(uid, 'base64url').toString('latin1');
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) && encodeUid(id) === uid ? id : null;
}

/** Whole seconds from the token epoch to `nowMs`; throws RangeError before 2001 or if not finite. */
function secondsSinceEpoch(nowMs: number): number {
  if (!Number.isFinite(nowMs) || nowMs < TOKEN_EPOCH_MS) throw new RangeError(`invalid token time: ${nowMs}`);
  return Math.floor((nowMs - TOKEN_EPOCH_MS) / 1000);
}

/** The token for `purpose` for `user` at `timestamp` (seconds since the token epoch) with `secret`. */
function tokenAt(purpose: TokenPurpose, user: TokenUser, timestamp: number, secret: string): string {
  const lastLogin = user.last_login == null ? '' : String(Math.floor(user.last_login / 1000));
  const value = `${user.id}${user.password}${lastLogin}${timestamp}${user.email ?? ''}`;
  // Django's salted_hmac: the HMAC key is sha256(key_salt + secret).
  const key = createHash('sha256').update(KEY_SALTS[purpose] + secret).digest();
  const digest = createHmac('sha256', key).update(value).digest('hex');
  let sampled = '';
  for (let i = 0; i < digest.length; i += 2) sampled += digest[i];
  return `${timestamp.toString(36)}-${sampled}`;
}
