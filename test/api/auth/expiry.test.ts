/**
 * Token lifetimes (ACCESS_TOKEN_LIFETIME / REFRESH_TOKEN_LIFETIME, in seconds) and JWT_LEEWAY,
 * with real waiting: a one-second access token stops working once its `exp` has passed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, decodeJwt, invalidAccess, sleep, tokenNotValid } from './jwt';

/** Waits until the wall clock is past `exp` (whole seconds) by `marginMs`. */
async function waitPast(exp: number, marginMs = 150): Promise<void> {
  const ms = exp * 1000 + marginMs - Date.now();
  if (ms > 0) await sleep(ms);
}

describe('ACCESS_TOKEN_LIFETIME=1, REFRESH_TOKEN_LIFETIME=2', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ACCESS_TOKEN_LIFETIME: '1', REFRESH_TOKEN_LIFETIME: '2' });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  test('the lifetimes are written into exp', async () => {
    const pair = await server.jwtFor('alice');
    const a = decodeJwt(pair.access).payload;
    const r = decodeJwt(pair.refresh).payload;
    assert.equal((a.exp as number) - (a.iat as number), 1);
    assert.equal((r.exp as number) - (r.iat as number), 2);
  });

  test('an access token works until it expires, then is refused everywhere', async () => {
    const pair = await server.jwtFor('alice');
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
    await waitPast(decodeJwt(pair.access).payload.exp as number);
    const r = await server.request('GET', '/api/secret/', { jwt: pair.access });
    assertReply(r, 401, invalidAccess('Token is invalid or expired'));
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.access } }), 401, tokenNotValid());
  });

  test('an expired refresh token can no longer refresh, verify or be blacklisted', async () => {
    const pair = await server.jwtFor('alice');
    assert.equal((await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } })).status, 200);
    await waitPast(decodeJwt(pair.refresh).payload.exp as number);
    assertReply(await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } }), 401, tokenNotValid());
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 401, tokenNotValid());
    assertReply(await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } }), 401, tokenNotValid());
  });
});

describe('JWT_LEEWAY=3', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ACCESS_TOKEN_LIFETIME: '1', JWT_LEEWAY: '3' });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  test('a token just past its exp is still accepted within the leeway, and refused after it', async () => {
    const pair = await server.jwtFor('alice');
    const exp = decodeJwt(pair.access).payload.exp as number;
    await waitPast(exp, 300);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.access } }), 200, {});
    await waitPast(exp + 3, 300);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, invalidAccess('Token is invalid or expired'));
  });
});
