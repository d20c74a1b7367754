/**
 * POST /auth/token/logoutall/: signs the user out everywhere: every DRF key deleted, every
 * refresh token blacklisted, every access token issued so far refused (tokens_valid_after).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, decodeJwt, invalidAccess, tokenNotValid } from './jwt';

const PATH = '/auth/token/logoutall/';
const OK = { message: 'Some secret message' };

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'alice' });
  await server.createUser({ username: 'bob' });
});
after(() => server.close());

test('revokes every key, refresh token and access token of the user, and nobody else\'s', async () => {
  const keyA = await server.tokenFor('alice');
  const keyB = await server.tokenFor('alice');
  const pair1 = await server.jwtFor('alice');
  const pair2 = await server.jwtFor('alice');
  const bobKey = await server.tokenFor('bob');
  const bobPair = await server.jwtFor('bob');

  const r = await server.request('POST', PATH, { token: keyA });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');

  assertReply(await server.request('GET', '/api/secret/', { token: keyA }), 401, { detail: 'Invalid token.' });
  assertReply(await server.request('GET', '/api/secret/', { token: keyB }), 401, { detail: 'Invalid token.' });
  for (const pair of [pair1, pair2]) {
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, invalidAccess('Token has been revoked'));
    assertReply(await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } }), 401, tokenNotValid('Token is blacklisted'));
    assert.equal((await server.request('POST', '/api/token/verify/', { json: { token: pair.access } })).status, 401);
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 401, tokenNotValid('Token is blacklisted'));
  }

  assertReply(await server.request('GET', '/api/secret/', { token: bobKey }), 200, OK);
  assertReply(await server.request('GET', '/api/secret/', { jwt: bobPair.access }), 200, OK);
  assert.equal((await server.request('POST', '/api/token/refresh/', { json: { refresh: bobPair.refresh } })).status, 200);
});

test('credentials issued right after logging out everywhere work', async () => {
  const key = await server.tokenFor('alice');
  assert.equal((await server.request('POST', PATH, { token: key })).status, 204);
  const fresh = await server.tokenFor('alice');
  const pair = await server.jwtFor('alice');
  assertReply(await server.request('GET', '/api/secret/', { token: fresh }), 200, OK);
  assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, OK);
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } });
  assert.equal(refreshed.status, 200);
  assertReply(await server.request('GET', '/api/secret/', { jwt: refreshed.body.access }), 200, OK);
});

test('a token issued just before logging out everywhere is refused, one issued just after works', async () => {
  const key = await server.tokenFor('alice');
  const before = await server.jwtFor('alice');
  assert.equal((await server.request('POST', PATH, { token: key })).status, 204);
  const afterPair = await server.jwtFor('alice');
  assertReply(await server.request('GET', '/api/secret/', { jwt: before.access }), 401, invalidAccess('Token has been revoked'));
  assertReply(await server.request('GET', '/api/secret/', { jwt: afterPair.access }), 200, OK);
  assert.equal((await server.request('POST', '/api/token/refresh/', { json: { refresh: afterPair.refresh } })).status, 200);
});

test('logging out everywhere twice in quick succession revokes what was issued in between', async () => {
  const key1 = await server.tokenFor('alice');
  assert.equal((await server.request('POST', PATH, { token: key1 })).status, 204);
  const between = await server.jwtFor('alice');
  const key2 = await server.tokenFor('alice');
  assert.equal((await server.request('POST', PATH, { token: key2 })).status, 204);
  assertReply(await server.request('GET', '/api/secret/', { jwt: between.access }), 401, invalidAccess('Token has been revoked'));
  const last = await server.jwtFor('alice');
  assertReply(await server.request('GET', '/api/secret/', { jwt: last.access }), 200, OK);
});

test('revocation leaves the claims simplejwt\'s: iat is the current second, never dated ahead', async () => {
  for (let i = 0; i < 3; i++) {
    const key = await server.tokenFor('alice');
    assert.equal((await server.request('POST', PATH, { token: key })).status, 204);
  }
  const pair = await server.jwtFor('alice');
  const { payload } = decodeJwt(pair.access);
  assert.deepEqual(Object.keys(payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
  assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) <= 1);
  assert.match(String(payload.jti), /^[0-9a-f]{32}$/);
});

test('works when signed in with a JWT too', async () => {
  const key = await server.tokenFor('alice');
  const pair = await server.jwtFor('alice');
  assert.equal((await server.request('POST', PATH, { jwt: pair.access })).status, 204);
  assertReply(await server.request('GET', '/api/secret/', { token: key }), 401, { detail: 'Invalid token.' });
  assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, invalidAccess('Token has been revoked'));
});

test('anonymous is 401 with WWW-Authenticate', async () => {
  const r = await server.request('POST', PATH);
  assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
});
