/** GET /api/secret/ (secret): any authenticated user; the default throttle policy. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertThrottled, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=8/minute' });
  cast = await createCast(server);
});
after(() => server.close());

const SECRET = { message: 'Some secret message' };

test('every authenticated user reads the secret, with a token or a JWT', async () => {
  for (const who of [cast.user, cast.manager, cast.admin]) {
    for (const auth of [who.token, who.jwt]) {
      const r = await server.request('GET', '/api/secret/', auth);
      assert.equal(r.status, 200, `${who.username}: ${r.text}`);
      assert.deepEqual(r.body, SECRET);
    }
  }
});

test('an anonymous caller gets 401 with the Bearer challenge', async () => {
  assertNotAuthenticated(await server.request('GET', '/api/secret/'));
});

test('a bad credential is 401 in the words of its scheme, not a fall back to anonymous', async () => {
  const t = await server.request('GET', '/api/secret/', { token: 'f'.repeat(40) });
  assert.equal(t.status, 401);
  assert.deepEqual(t.body, { detail: 'Invalid token.' });
  const j = await server.request('GET', '/api/secret/', { jwt: 'not.a.jwt' });
  assert.equal(j.status, 401);
  assert.equal(j.body.code, 'token_not_valid');
  assert.equal(j.body.detail, 'Given token not valid for any token type');
});

test('the default per-user throttle applies: the user\'s calls count whatever the credential', async () => {
  // The user made 2 calls above; 6 more fill default_user (8/minute) in this server.
  for (let i = 0; i < 6; i++) {
    const r = await server.request('GET', '/api/secret/', i % 2 ? cast.user.token : cast.user.jwt);
    assert.equal(r.status, 200, `call ${i + 3}: ${r.text}`);
  }
  assertThrottled(await server.request('GET', '/api/secret/', cast.user.token), 60);
  // Another user counts on their own.
  const other = await server.request('GET', '/api/secret/', cast.admin.token);
  assert.equal(other.status, 200);
});
