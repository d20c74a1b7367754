/**
 * GET /api/throttle-check-auth (throttleCheckAuth): authenticated users; the `user` scope
 * (5/minute shipped) counts per user, whatever credential the user sends.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertThrottled, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer(); // the shipped rates: user 5/minute
  cast = await createCast(server);
});
after(() => server.close());

const OK = { message: 'successful' };

test('an anonymous caller gets 401, however often it calls (it is never counted)', async () => {
  for (let i = 0; i < 7; i++) assertNotAuthenticated(await server.request('GET', '/api/throttle-check-auth'));
});

test('a user gets 5 calls a minute, token and JWT counted together, then 429', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await server.request('GET', '/api/throttle-check-auth', i % 2 ? cast.user.jwt : cast.user.token);
    assert.equal(r.status, 200, `call ${i + 1}: ${r.text}`);
    assert.deepEqual(r.body, OK);
  }
  assertThrottled(await server.request('GET', '/api/throttle-check-auth', cast.user.token), 60);
  assertThrottled(await server.request('GET', '/api/throttle-check-auth', cast.user.jwt), 60);
});

test('each user has their own count', async () => {
  for (const who of [cast.manager, cast.admin]) {
    for (let i = 0; i < 5; i++) {
      const r = await server.request('GET', '/api/throttle-check-auth', who.token);
      assert.equal(r.status, 200, `${who.username} call ${i + 1}: ${r.text}`);
    }
    assertThrottled(await server.request('GET', '/api/throttle-check-auth', who.jwt), 60);
  }
});

test('the user scope is this endpoint\'s own: a throttled user still reaches /api/secret/', async () => {
  const r = await server.request('GET', '/api/secret/', cast.user.token);
  assert.equal(r.status, 200);
});
