/**
 * Nothing tells a stranger whether an account exists (#14): every method on another user's
 * `/auth/users/{username}/` answers a plain user exactly as for a username that does not
 * exist, 404 `{"detail": "Not found."}` (djoser answers DELETE with 403, deliberately not
 * copied), and such probes count against the default throttle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type Reply, type TestServer } from '../helpers/server';

/** High enough that no throttle interferes with the probes or the timings. */
const RATES = 'default_anon=100000/minute,default_user=100000/minute,login=100000/minute';
const NOT_FOUND = { detail: 'Not found.' };

describe("another user's account", () => {
  let server: TestServer;
  let aliceKey: string;
  let bobId: number;

  before(async () => {
    server = await startServer({ THROTTLE_RATES: RATES });
    await server.createUser({ username: 'alice' });
    bobId = await server.createUser({ username: 'bob', email: 'bob@example.com' });
    aliceKey = await server.tokenFor('alice');
  });
  after(() => server.close());

  const bodies: Record<string, unknown> = {
    GET: undefined,
    PUT: { email: 'alice-was-here@example.com' },
    PATCH: { email: 'alice-was-here@example.com' },
    DELETE: { current_password: DEFAULT_PASSWORD },
  };

  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    test(`${method} by a plain user: an existing other user and a nonexistent one get identical 404s`, async () => {
      const probe = (username: string): Promise<Reply> => server.request(method, `/auth/users/${username}/`, { token: aliceKey, json: bodies[method] });
      const existing = await probe('bob');
      const missing = await probe('nobody-by-that-name');
      assert.deepEqual([existing.status, existing.body], [404, NOT_FOUND], `${method} bob: ${existing.status} ${existing.text}`);
      assert.deepEqual([missing.status, missing.body], [404, NOT_FOUND], `${method} nobody: ${missing.status} ${missing.text}`);
      assert.equal(existing.text, missing.text);
      assert.equal(existing.headers.get('content-type'), missing.headers.get('content-type'));
      const bob = await server.app.services.db('auth_user').where({ id: bobId }).first('email');
      assert.equal(bob?.email, 'bob@example.com', 'bob is untouched');
    });
  }
});

describe('probing is counted', () => {
  let server: TestServer;
  let key: string;

  before(async () => {
    server = await startServer({ THROTTLE_RATES: 'default_user=3/minute,default_anon=3/minute,login=100000/minute' });
    await server.createUser({ username: 'prober' });
    await server.createUser({ username: 'carol' });
    key = await server.tokenFor('prober');
  });
  after(() => server.close());

  test("a plain user's DELETEs on other accounts count against default_user: the fourth in a minute is 429", async () => {
    const statuses: number[] = [];
    for (const username of ['carol', 'nobody-1', 'nobody-2', 'nobody-3']) {
      statuses.push((await server.request('DELETE', `/auth/users/${username}/`, { token: key, json: { current_password: DEFAULT_PASSWORD } })).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 429]);
  });

  test('anonymous logins count against default_anon, right password or not: the fourth in a minute is 429', async () => {
    const statuses: number[] = [];
    for (const password of ['wrong-guess-1', DEFAULT_PASSWORD, 'wrong-guess-2', DEFAULT_PASSWORD]) {
      statuses.push((await server.request('POST', '/api/token/', { json: { username: 'carol', password } })).status);
    }
    // The prober's own login (tokenFor) was the first of this address's minute.
    assert.deepEqual(statuses, [401, 200, 429, 429]);
  });
});
