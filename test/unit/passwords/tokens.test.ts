import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkToken, decodeUid, encodeUid, makeToken, type TokenUser } from '../../../src/passwords/tokens';

const RESET = 'password-reset' as const;

const SECRET = 'test-secret';
const EPOCH_2001 = Date.UTC(2001, 0, 1);
const NOW = EPOCH_2001 + 700_000_000 * 1000 + 250; // 700,000,000 s after the token epoch
const DAY = 86_400;
const TIMEOUT = 3 * DAY; // djoser / Django default PASSWORD_RESET_TIMEOUT
const user: TokenUser = {
  id: 42,
  password: 'pbkdf2_sha256$x$y$z',
  last_login: 1_700_000_000_123,
  email: 'alice@example.com',
};

test('a password-reset token\'s format and value match Django\'s algorithm (vector from Python hmac/hashlib)', () => {
  // Python: ts36(700000000) + "-" + hmac(sha256(key_salt + secret), "42<password>1700000000700000000<email>").hexdigest()[::2]
  assert.equal(makeToken(RESET, user, SECRET, NOW), 'bkrfgg-0d35d6b0457096b8a203ba2b73d4bbb9');
  assert.match(makeToken(RESET, { ...user, last_login: null }, SECRET, NOW), /^bkrfgg-[0-9a-f]{32}$/);
});

test('a fresh token checks; it stays valid up to the timeout and expires after', () => {
  const token = makeToken(RESET, user, SECRET, NOW);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW, TIMEOUT), true);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW + TIMEOUT * 1000, TIMEOUT), true);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW + (TIMEOUT + 1) * 1000, TIMEOUT), false);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW + 10 * DAY * 1000, TIMEOUT), false);
});

test('tokens from the future are refused', () => {
  const token = makeToken(RESET, user, SECRET, NOW + 5_000);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW, TIMEOUT), false);
});

test('changing the password hash, last_login or email invalidates the token', () => {
  const token = makeToken(RESET, user, SECRET, NOW);
  assert.equal(checkToken(RESET, { ...user, password: 'argon2$argon2id$new' }, token, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, { ...user, last_login: user.last_login! + 60_000 }, token, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, { ...user, last_login: null }, token, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, { ...user, email: 'mallory@example.com' }, token, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, { ...user, id: 43 }, token, SECRET, NOW, TIMEOUT), false);
  // last_login is taken at second precision (Django drops microseconds).
  assert.equal(checkToken(RESET, { ...user, last_login: user.last_login! + 500 }, token, SECRET, NOW, TIMEOUT), true);
});

test('a token checks only for the purpose it was made for', () => {
  const reset = makeToken(RESET, user, SECRET, NOW);
  const activation = makeToken('activation', user, SECRET, NOW);
  assert.notEqual(activation, reset);
  assert.equal(checkToken('activation', user, activation, SECRET, NOW, TIMEOUT), true);
  assert.equal(checkToken(RESET, user, activation, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken('activation', user, reset, SECRET, NOW, TIMEOUT), false);
  // the purpose is part of the key: with fallback secrets too
  assert.equal(checkToken(RESET, user, activation, [SECRET, 'old-secret'], NOW, TIMEOUT), false);
});

test('the secret matters; fallback secrets are accepted', () => {
  const token = makeToken(RESET, user, 'old-secret', NOW);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, user, token, [SECRET, 'old-secret'], NOW, TIMEOUT), true);
  assert.equal(checkToken(RESET, user, token, [], NOW, TIMEOUT), false);
});

test('malformed tokens are refused without throwing', () => {
  const token = makeToken(RESET, user, SECRET, NOW);
  const [ts, hash] = token.split('-') as [string, string];
  const bad = [
    '',
    '-',
    ts,
    `${ts}-`,
    `-${hash}`,
    `${ts}-${hash}-x`,
    `${ts}-${hash.slice(0, -1)}`,
    `${ts}-${hash}0`,
    `${ts.toUpperCase()}-${hash}`,
    `0${ts}-${hash}`, // same timestamp, non-canonical
    `${ts}-${hash.toUpperCase()}`,
    `${ts} -${hash}`,
    `zzzzzzzzzzzzzz-${hash}`,
    `${ts}-${hash.slice(0, -1)}${hash.endsWith('0') ? '1' : '0'}`,
  ];
  for (const t of bad) assert.equal(checkToken(RESET, user, t, SECRET, NOW, TIMEOUT), false, t);
  assert.equal(checkToken(RESET, user, null as unknown as string, SECRET, NOW, TIMEOUT), false);
  assert.equal(checkToken(RESET, user, token, SECRET, NOW, Number.NaN), false);
  assert.equal(checkToken(RESET, user, token, SECRET, Number.NaN, TIMEOUT), false);
});

test('makeToken refuses times before the token epoch', () => {
  assert.throws(() => makeToken(RESET, user, SECRET, EPOCH_2001 - 1), RangeError);
  assert.throws(() => makeToken(RESET, user, SECRET, Number.NaN), RangeError);
  assert.match(makeToken(RESET, user, SECRET, EPOCH_2001), /^0-[0-9a-f]{32}$/);
});

test("encodeUid is Django's urlsafe_base64_encode of the decimal id", () => {
  assert.equal(encodeUid(42), 'NDI');
  assert.equal(encodeUid(1234567), 'MTIzNDU2Nw');
  assert.equal(encodeUid(1), 'MQ');
  assert.throws(() => encodeUid(0), RangeError);
  assert.throws(() => encodeUid(1.5), RangeError);
  assert.throws(() => encodeUid(Number.MAX_SAFE_INTEGER + 1), RangeError);
});

test('decodeUid roundtrips and returns null for anything else', () => {
  for (const id of [1, 42, 1234567, 2 ** 31, Number.MAX_SAFE_INTEGER]) assert.equal(decodeUid(encodeUid(id)), id);
  const bad = [
    '',
    'MA', // "0"
    'LTE', // "-1"
    'MDQy', // "042"
    'MS41', // "1.5"
    'YWJj', // "abc"
    'NDI=', // padded
    'NDJ', // non-canonical trailing bits
    'N', // impossible length
    'ND I',
    'NDI\n',
    'OTAwNzE5OTI1NDc0MDk5Mg', // "9007199254740992" (> MAX_SAFE_INTEGER)
    'MTIzNDU2Nzg5MDEyMzQ1Njc4OTA', // 20 digits
    'x'.repeat(1000),
  ];
  for (const uid of bad) assert.equal(decodeUid(uid), null, uid);
  assert.equal(decodeUid(undefined as unknown as string), null);
});
