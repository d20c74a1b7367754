/**
 * Nothing tells a stranger whether an account exists, or whether it has a usable password
 * (#14):
 *   - every method on another user's `/auth/users/{username}/` answers a plain user exactly as
 *     for a username that does not exist: 404 `{"detail": "Not found."}` (djoser answers DELETE
 *     with 403, deliberately not copied), and such probes count against the default throttle;
 *   - a login for a user whose stored password cannot match (Django's unusable `!…`, empty, an
 *     unknown or malformed format, a cost we refuse to compute) or for an unknown username takes
 *     as long as a wrong guess at a real password: the same argon2 work runs (Django's fix for
 *     CVE-2024-39329).
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
      const bob = await server.app.services.db.knex('auth_user').where({ id: bobId }).first('email');
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

describe('timing: a password that cannot match costs as much as a wrong one', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ THROTTLE_RATES: RATES });
    await server.createUser({ username: 'real' });
    const stored: Record<string, string> = {
      unusable: '!Jd8fK2mQ9xLw4Rt7Zp1Vb6Nc3Hs5Gy0Ue2Ia8Oq',
      empty: '',
      unknownformat: 'md5$lemonsalt$5f4dcc3b5aa765d61d8327deb882cf99',
      malformed: 'argon2$argon2id$v=19$m=19456,t=2$c2FsdHNhbHQ$aGFzaGhhc2g',
      overcost: 'argon2$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    };
    for (const [username, password] of Object.entries(stored)) {
      await server.app.services.db.users.create({ username, password, email: '', dateJoined: Date.now() });
    }
  });
  after(() => server.close());

  test('medians of 7 logins each: every kind within 0.5×–2× of a wrong guess at a real argon2 password', async () => {
    const kinds = ['real', 'unusable', 'empty', 'unknownformat', 'malformed', 'overcost', 'nobody-at-all'];
    const login = async (username: string): Promise<number> => {
      const t0 = performance.now();
      const r = await server.request('POST', '/api/token/', { json: { username, password: 'a-wrong-guess-42' } });
      const ms = performance.now() - t0;
      assert.equal(r.status, 401, `${username}: ${r.status} ${r.text}`);
      return ms;
    };
    for (const k of kinds) await login(k); // warm-up: the first unknown user also makes the dummy hash
    const times = new Map<string, number[]>(kinds.map((k) => [k, []]));
    for (let round = 0; round < 7; round++) for (const k of kinds) times.get(k)?.push(await login(k));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const real = median(times.get('real') ?? []);
    const report = kinds.map((k) => `${k} ${median(times.get(k) ?? []).toFixed(1)} ms`).join(', ');
    console.log(`# login medians: ${report}`);
    for (const k of kinds) {
      const ratio = median(times.get(k) ?? []) / real;
      assert.ok(ratio >= 0.5 && ratio <= 2, `${k}: ${ratio.toFixed(2)}× a wrong guess at a real password (${report})`);
    }
  });
});
