/**
 * GET /api/throttle-check (throttleCheck): anyone; the `anon` scope (2/minute shipped) counts
 * anonymous requests per client IP and lets authenticated ones through uncounted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertThrottled, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer(); // the shipped rates: anon 2/minute
  cast = await createCast(server);
});
after(() => server.close());

const OK = { message: 'successful' };

test('an anonymous client gets 2 calls a minute, then 429 with Retry-After', async () => {
  for (let i = 0; i < 2; i++) {
    const r = await server.request('GET', '/api/throttle-check');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, OK);
  }
  assertThrottled(await server.request('GET', '/api/throttle-check'), 60);
});

test('a client cannot dodge the anon throttle with its own X-Forwarded-For', async () => {
  const r = await server.request('GET', '/api/throttle-check', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
  assertThrottled(r, 60);
});

test('authenticated callers are not counted by anon, even from a throttled address', async () => {
  for (let i = 0; i < 6; i++) {
    for (const auth of [cast.user.token, cast.manager.jwt, cast.admin.token]) {
      const r = await server.request('GET', '/api/throttle-check', auth);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, OK);
    }
  }
});

test('a bad credential is 401, not an anonymous call', async () => {
  const r = await server.request('GET', '/api/throttle-check', { token: '0'.repeat(40) });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Invalid token.' });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
  const bare = await server.request('GET', '/api/throttle-check', { headers: { Authorization: 'Token' } });
  assert.equal(bare.status, 401);
  assert.deepEqual(bare.body, { detail: 'Invalid token header. No credentials provided.' });
});
