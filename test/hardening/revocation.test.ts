/**
 * Revocation reaches refresh tokens that have no record here (#14). The README's move from
 * Django keeps the SECRET_KEY, so the refresh tokens Django issued keep working here; they are
 * in no outstanding-token row of ours, so blacklisting the user's rows at logout-all or at a
 * password change cannot end them. The user's revocation time (tokens_valid_after) must: at
 * refresh (body and cookie), blacklist and verify, for logout-all, reset_password_confirm and
 * set_password with LOGOUT_ON_PASSWORD_CHANGE.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, type Reply, type TestServer } from '../helpers/server';
import { waitForMails, uidAndToken } from '../api/users/mail';
import { claims, hmac, jwtSign, NO_THROTTLES } from './lib';

const REVOKED = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const SECRET = { message: 'Some secret message' };

/** A refresh token as simplejwt signs it: a uuid4 hex jti, `iat` in whole seconds. */
function djangoRefresh(server: TestServer, userId: number, iatSeconds: number): string {
  const jti = crypto.randomUUID().replace(/-/g, '');
  const payload = claims('refresh', userId, { jti, iat: iatSeconds, exp: iatSeconds + 86_400 });
  return jwtSign({ alg: 'HS256', typ: 'JWT' }, payload, hmac(server.app.services.settings.secretKey));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every place a refresh token is read, each answer labelled. */
async function everyUse(server: TestServer, refresh: string): Promise<Record<string, Reply>> {
  const cookie = `refresh_token=${refresh}`;
  return {
    'POST /api/token/refresh/': await server.request('POST', '/api/token/refresh/', { json: { refresh } }),
    'POST /auth/jwt/refresh/': await server.request('POST', '/auth/jwt/refresh/', { json: { refresh } }),
    'POST /api/token/refresh/ (cookie)': await server.request('POST', '/api/token/refresh/', { json: {}, headers: { cookie } }),
    'POST /api/token/verify/': await server.request('POST', '/api/token/verify/', { json: { token: refresh } }),
    'POST /auth/jwt/verify/': await server.request('POST', '/auth/jwt/verify/', { json: { token: refresh } }),
    'POST /api/token/blacklist/': await server.request('POST', '/api/token/blacklist/', { json: { refresh } }),
    'POST /api/token/blacklist/ (cookie)': await server.request('POST', '/api/token/blacklist/', { json: {}, headers: { cookie } }),
  };
}

/** Asserts every use of `refresh` is the documented 401. */
async function assertRevoked(server: TestServer, refresh: string): Promise<void> {
  const wrong = Object.entries(await everyUse(server, refresh))
    .filter(([, r]) => r.status !== 401 || JSON.stringify(r.body) !== JSON.stringify(REVOKED))
    .map(([where, r]) => `${where}: ${r.status} ${r.text}`);
  assert.deepEqual(wrong, [], 'a revoked refresh token is refused everywhere');
}

/** The refresh token refreshes, and the access token it gives works. */
async function assertWorks(server: TestServer, refresh: string): Promise<void> {
  const r = await server.request('POST', '/api/token/refresh/', { json: { refresh } });
  assert.equal(r.status, 200, r.text);
  const secret = await server.request('GET', '/api/secret/', { jwt: r.body.access });
  assert.deepEqual([secret.status, secret.body], [200, SECRET]);
}

describe('refresh tokens with no record here (signed by Django with the shared SECRET_KEY)', () => {
  let server: TestServer;
  let rotating: TestServer;

  before(async () => {
    const env = { THROTTLE_RATES: NO_THROTTLES, JWT_REFRESH_COOKIE: 'true', LOGOUT_ON_PASSWORD_CHANGE: 'true' };
    server = await startServer(env);
    rotating = await startServer({ ...env, ROTATE_REFRESH_TOKENS: 'true', BLACKLIST_AFTER_ROTATION: 'true' });
  });
  after(async () => {
    await server.close();
    await rotating.close();
  });

  test('work until logout-all, and are refused at refresh, verify and blacklist after it; one issued after it works', async () => {
    const id = await server.createUser({ username: 'moved', email: 'moved@example.com' });
    const issued = djangoRefresh(server, id, nowSeconds() - 60);
    await assertWorks(server, djangoRefresh(server, id, nowSeconds() - 60));

    const key = await server.tokenFor('moved');
    assert.equal((await server.request('POST', '/auth/token/logoutall/', { token: key })).status, 204);

    await assertRevoked(server, issued);
    await assertWorks(server, djangoRefresh(server, id, nowSeconds() + 1));
  });

  test('with rotation on, a revoked one is refused and is not recorded as a new family', async () => {
    const id = await rotating.createUser({ username: 'rotor' });
    const issued = djangoRefresh(rotating, id, nowSeconds() - 60);
    const key = await rotating.tokenFor('rotor');
    assert.equal((await rotating.request('POST', '/auth/token/logoutall/', { token: key })).status, 204);
    const r = await rotating.request('POST', '/api/token/refresh/', { json: { refresh: issued } });
    assert.deepEqual([r.status, r.body], [401, REVOKED]);
    const rows = await rotating.app.services.db.knex('token_blacklist_outstandingtoken').where({ user_id: id });
    assert.deepEqual(rows, [], 'nothing was recorded for the revoked token');
  });

  test('are refused after reset_password_confirm (which always signs the user out)', async () => {
    const id = await server.createUser({ username: 'forgetful', email: 'forgetful@example.com' });
    const issued = djangoRefresh(server, id, nowSeconds() - 60);
    const before = server.mails().length;
    assert.equal((await server.request('POST', '/auth/users/reset_password/', { json: { email: 'forgetful@example.com' } })).status, 204);
    const mail = (await waitForMails(server, before + 1)).at(-1)!;
    const { uid, token } = uidAndToken(mail);
    const confirm = await server.request('POST', '/auth/users/reset_password_confirm/', { json: { uid, token, new_password: 'Zesty-lemon-tart-42' } });
    assert.equal(confirm.status, 204, confirm.text);
    await assertRevoked(server, issued);
  });

  test('are refused after set_password when LOGOUT_ON_PASSWORD_CHANGE is on', async () => {
    const id = await server.createUser({ username: 'careful' });
    const issued = djangoRefresh(server, id, nowSeconds() - 60);
    const key = await server.tokenFor('careful');
    const r = await server.request('POST', '/auth/users/set_password/', { token: key, json: { current_password: 'lemon-pass-123', new_password: 'Zesty-lemon-tart-42' } });
    assert.equal(r.status, 204, r.text);
    await assertRevoked(server, issued);
  });
});
