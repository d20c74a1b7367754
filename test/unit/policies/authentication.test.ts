/**
 * src/policies/authentication.ts through its public surface: each authenticator's scheme, its
 * WWW-Authenticate value, which headers it claims (null for another scheme's), the messages
 * and codes of its refusals, and the principal it returns. On a database of its own (SQLite,
 * and PostgreSQL with TEST_DATABASE_URL), with the services the policy is built on and a
 * clock the tests move.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../../src/data/db';
import { ApiError, AuthenticationFailed, InvalidToken, JwtAuthenticationFailed } from '../../../src/errors';
import { JwtAuthentication, TokenAuthentication } from '../../../src/policies/authentication';
import type { OperationInfo, RequestInfo } from '../../../src/policies/types';
import { TokenKeys } from '../../../src/services/accounts';
import { loadSettings } from '../../../src/settings';
import { TokenBackend } from '../../../src/tokens/backend';
import { JwtService } from '../../../src/tokens/tokens';
import { ManualClock } from '../../helpers/clock';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const SECRET_KEY = 'authentication-unit-secret-key-0123456789abcdef';

const OPERATION: OperationInfo = {
  operationId: 'secret',
  method: 'GET',
  path: '/api/secret/',
  roles: ['authenticated'],
  throttles: [],
  schemes: ['TokenAuth', 'JWTAuth'],
  anonymous: false,
  object: null,
  group: null,
};

/** A request carrying `authorization` (as Node gives it: latin-1 text), or none. */
function request(authorization?: string | string[]): RequestInfo {
  return { method: 'GET', ip: '10.0.0.1', headers: authorization === undefined ? {} : { authorization }, params: {}, operation: OPERATION, principal: null, auth: null };
}

/** Asserts that `promise` rejects with `type`, whose body is `body` (DRF's JSON) and status 401. */
async function refuses(promise: Promise<unknown>, type: new (...args: never[]) => ApiError, body: Record<string, unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal(err.status, 401);
    assert.deepEqual(err.body(), body);
    assert.equal(JSON.stringify(err.body()), JSON.stringify(body), 'keys in DRF order');
    return true;
  });
}

/** Polls `read` until `ok` holds (what the authenticator records in the background). */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (ok(value) || i === 200) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const { kind, skip } of KINDS) {
  describe(`authentication policies (${kind})`, { skip }, () => {
    let t: TestDatabase;
    let db: Database;
    const clock = new ManualClock(Date.UTC(2030, 5, 1));
    let keys: TokenKeys;
    let jwt: JwtService;
    let tokenAuth: TokenAuthentication;
    let jwtAuth: JwtAuthentication;
    let n = 0;

    const newUser = async (extra: { isActive?: boolean; isStaff?: boolean; groups?: string[] } = {}) => {
      const username = `user-${++n}`;
      const user = await db.users.create({ username, email: `${username}@example.com`, password: '!', dateJoined: clock.now(), isActive: extra.isActive, isStaff: extra.isStaff });
      for (const name of extra.groups ?? []) await db.users.addMember(user.id, (await db.users.findGroup(name))!.id);
      return user;
    };

    before(async () => {
      t = await openTestDatabase(kind);
      db = t.db;
      await db.users.ensureGroups(['Manager', 'Delivery crew']);
      const settings = loadSettings({ SECRET_KEY, DATA_DIR: '/nonexistent', DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'silent' });
      const backend = new TokenBackend({ ...settings.jwt, secretKey: settings.secretKey, secretKeyFallbacks: [] }, clock);
      jwt = new JwtService(backend, db, settings.jwt, clock);
      keys = new TokenKeys(db, clock);
      tokenAuth = new TokenAuthentication(db, keys);
      jwtAuth = new JwtAuthentication(db, jwt);
    });
    after(() => t?.close());

    describe('TokenAuthentication (DRF)', () => {
      test('its scheme is TokenAuth and its 401s say WWW-Authenticate: Token', () => {
        assert.equal(tokenAuth.scheme, 'TokenAuth');
        assert.equal(tokenAuth.authenticateHeader(), 'Token');
      });

      test('claims only the Token keyword, in any case: no header, another keyword or a no-break space is not its business', async () => {
        for (const header of [undefined, '', '   ', 'Bearer abc', 'Basic dXNlcjpwYXNz', 'Tokens abc', 'Token\u00a0abc']) {
          assert.equal(await tokenAuth.authenticate(request(header)), null, JSON.stringify(header));
        }
        await refuses(tokenAuth.authenticate(request('TOKEN abc')), AuthenticationFailed, { detail: 'Invalid token.' });
        await refuses(tokenAuth.authenticate(request('tOkEn abc')), AuthenticationFailed, { detail: 'Invalid token.' });
      });

      test("DRF's messages for a malformed header", async () => {
        await refuses(tokenAuth.authenticate(request('Token')), AuthenticationFailed, { detail: 'Invalid token header. No credentials provided.' });
        await refuses(tokenAuth.authenticate(request('Token  \t ')), AuthenticationFailed, { detail: 'Invalid token header. No credentials provided.' });
        await refuses(tokenAuth.authenticate(request('Token abc def')), AuthenticationFailed, { detail: 'Invalid token header. Token string should not contain spaces.' });
        // Node reads header bytes as latin-1: 0xff alone is not UTF-8.
        await refuses(tokenAuth.authenticate(request('Token abc\xff')), AuthenticationFailed, { detail: 'Invalid token header. Token string should not contain invalid characters.' });
      });

      test('an unknown key, or one of another length, is "Invalid token."', async () => {
        const user = await newUser();
        const key = await keys.create(user.id);
        for (const wrong of ['f'.repeat(40), key.slice(0, 39), `${key}0`, key.toUpperCase()]) {
          await refuses(tokenAuth.authenticate(request(`Token ${wrong}`)), AuthenticationFailed, { detail: 'Invalid token.' });
        }
      });

      test("a key gives its user as the principal, groups loaded on demand, and the key's id as auth", async () => {
        const user = await newUser({ isStaff: true, groups: ['Manager'] });
        const key = await keys.create(user.id);
        const found = await tokenAuth.authenticate(request(`Token\t${key}`));
        assert.ok(found);
        const { principal, auth } = found;
        assert.deepEqual(
          { id: principal.id, username: principal.username, email: principal.email, isActive: principal.isActive, isStaff: principal.isStaff, isSuperuser: principal.isSuperuser },
          { id: user.id, username: user.username, email: user.email, isActive: true, isStaff: true, isSuperuser: false },
        );
        assert.deepEqual([...(await principal.groups())], ['Manager']);
        assert.equal(auth.scheme, 'TokenAuth');
        assert.equal(typeof (auth as { tokenId: unknown }).tokenId, 'number');
        assert.deepEqual(await tokenAuth.authenticate(request([`Token ${key}`, 'Bearer x'])).then((r) => r?.principal.id), user.id, 'the first of repeated headers');
      });

      test('the key of an inactive user is "User inactive or deleted."', async () => {
        const user = await newUser({ isActive: false });
        const key = await keys.create(user.id);
        await refuses(tokenAuth.authenticate(request(`Token ${key}`)), AuthenticationFailed, { detail: 'User inactive or deleted.' });
      });

      test("records the key's last use by the service's clock, at most once a minute", async () => {
        const user = await newUser();
        const key = await keys.create(user.id);
        const lastUsed = async () => (await keys.lookup(key))?.lastUsed ?? null;
        const first = clock.now();
        await tokenAuth.authenticate(request(`Token ${key}`));
        assert.equal(await eventually(lastUsed, (v) => v !== null), first);
        clock.advance(59_999);
        await tokenAuth.authenticate(request(`Token ${key}`));
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(await lastUsed(), first, 'used again within the minute: not written');
        clock.advance(1);
        await tokenAuth.authenticate(request(`Token ${key}`));
        assert.equal(await eventually(lastUsed, (v) => v !== first), first + 60_000);
      });
    });

    describe('JwtAuthentication (simplejwt)', () => {
      const invalid = (message: string) => ({
        detail: 'Given token not valid for any token type',
        code: 'token_not_valid',
        messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
      });

      test('its scheme is JWTAuth and its 401s say WWW-Authenticate: Bearer realm="api"', () => {
        assert.equal(jwtAuth.scheme, 'JWTAuth');
        assert.equal(jwtAuth.authenticateHeader(), 'Bearer realm="api"');
      });

      test('claims only the Bearer keyword, case-sensitively', async () => {
        for (const header of [undefined, '', 'Token abc', 'bearer abc', 'BEARER abc', 'Bearer\u00a0abc']) {
          assert.equal(await jwtAuth.authenticate(request(header)), null, JSON.stringify(header));
        }
      });

      test('Bearer with no token, or with two, is bad_authorization_header', async () => {
        const body = { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' };
        await refuses(jwtAuth.authenticate(request('Bearer')), JwtAuthenticationFailed, body);
        await refuses(jwtAuth.authenticate(request('Bearer a b')), JwtAuthenticationFailed, body);
      });

      test("an access token gives its user as the principal and its payload as auth", async () => {
        const user = await newUser({ groups: ['Delivery crew'] });
        const { access } = await jwt.obtainPair(user.id);
        const found = await jwtAuth.authenticate(request(`Bearer ${access}`));
        assert.ok(found);
        assert.equal(found.principal.id, user.id);
        assert.equal(found.principal.username, user.username);
        assert.deepEqual([...(await found.principal.groups())], ['Delivery crew']);
        assert.equal(found.auth.scheme, 'JWTAuth');
        assert.equal((found.auth as { payload: Record<string, unknown> }).payload.user_id, user.id);
      });

      test("simplejwt's messages: garbage, a refresh token, an expired token (by the service's clock)", async () => {
        const user = await newUser();
        const { access, refresh } = await jwt.obtainPair(user.id);
        await refuses(jwtAuth.authenticate(request('Bearer not.a.jwt')), InvalidToken, invalid('Token is invalid or expired'));
        await refuses(jwtAuth.authenticate(request(`Bearer ${refresh}`)), InvalidToken, invalid('Token has wrong type'));
        clock.advance(300_000); // ACCESS_TOKEN_LIFETIME as shipped
        await refuses(jwtAuth.authenticate(request(`Bearer ${access}`)), InvalidToken, invalid('Token is invalid or expired'));
      });

      test('a token whose user is gone, inactive, or revoked since', async () => {
        const gone = await newUser();
        const goneToken = (await jwt.obtainPair(gone.id)).access;
        await db.users.delete(gone.id);
        await refuses(jwtAuth.authenticate(request(`Bearer ${goneToken}`)), JwtAuthenticationFailed, { detail: 'User not found', code: 'user_not_found' });

        const sleepy = await newUser();
        const sleepyToken = (await jwt.obtainPair(sleepy.id)).access;
        await db.users.update(sleepy.id, { is_active: false });
        await refuses(jwtAuth.authenticate(request(`Bearer ${sleepyToken}`)), JwtAuthenticationFailed, { detail: 'User is inactive', code: 'user_inactive' });

        const revoked = await newUser();
        const before = (await jwt.obtainPair(revoked.id)).access;
        await jwt.revokeUser(revoked.id);
        await refuses(jwtAuth.authenticate(request(`Bearer ${before}`)), InvalidToken, invalid('Token has been revoked'));
        clock.advance(1);
        const after = (await jwt.obtainPair(revoked.id)).access;
        assert.equal((await jwtAuth.authenticate(request(`Bearer ${after}`)))?.principal.id, revoked.id, 'a token issued after the revocation works');
      });
    });
  });
}
