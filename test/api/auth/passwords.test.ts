/**
 * Passwords at the login endpoints: Django's hash formats verify, a weaker hash is upgraded to
 * argon2id on login, an unknown username costs as long as a wrong password, and hashing never
 * blocks the event loop (other requests are answered while logins hash).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as argon2 from 'argon2';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';
import { assertReply } from './jwt';

let server: TestServer;
let key: string;

before(async () => {
  // Failed logins count against `login`: this file fails on purpose more often than 20 a minute.
  server = await startServer({ THROTTLE_RATES: 'login=10000/minute' });
  await server.createUser({ username: 'alice' });
  key = await server.tokenFor('alice');
});
after(() => server.close());

/** Inserts a user with a stored password hash as Django would have written it. */
async function insertUser(username: string, encoded: string): Promise<number> {
  return (await server.app.services.db.users.create({ username, password: encoded, email: '', dateJoined: Date.now() })).id;
}

const storedHash = async (username: string): Promise<string> =>
  (await server.app.services.db.knex('auth_user').where({ username }).first('password')).password;

/** Django 3.2's PBKDF2PasswordHasher: `pbkdf2_sha256$260000$<salt>$<base64 hash>`. */
function django32Pbkdf2(password: string, salt: string): string {
  return `pbkdf2_sha256$260000$${salt}$${crypto.pbkdf2Sync(password, salt, 260000, 32, 'sha256').toString('base64')}`;
}

const ARGON2ID = /^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

test('a Django 3.2 PBKDF2 hash verifies on login and is upgraded to argon2id', async () => {
  const password = 'pbkdf2-user-pass';
  const encoded = django32Pbkdf2(password, 'Xq8mWcT3vLpR7nYs2KdF4h');
  await insertUser('legacy', encoded);

  // A wrong password does not touch the stored hash.
  const wrong = await server.request('POST', '/api/token/', { json: { username: 'legacy', password: 'not-it' } });
  assertReply(wrong, 401, { detail: 'No active account found with the given credentials' });
  assert.equal(await storedHash('legacy'), encoded);

  const r = await server.request('POST', '/api/token/', { json: { username: 'legacy', password } });
  assert.equal(r.status, 200);
  const upgraded = await storedHash('legacy');
  assert.match(upgraded, ARGON2ID);
  assert.ok(upgraded.startsWith('argon2$argon2id$'));

  // The new hash verifies, at every login endpoint.
  assert.equal((await server.request('POST', '/auth/token/login/', { json: { username: 'legacy', password } })).status, 200);
  assert.equal((await server.request('POST', '/api/api-token-auth/', { form: { username: 'legacy', password } })).status, 200);
  assert.equal(await storedHash('legacy'), upgraded, 'an argon2id hash at our cost is not re-hashed');
});

test('a legacy PBKDF2-SHA1 hash verifies and is upgraded', async () => {
  const password = 'sha1-user-pass';
  const salt = 'abcdefghijkl';
  await insertUser('legacy-sha1', `pbkdf2_sha1$30000$${salt}$${crypto.pbkdf2Sync(password, salt, 30000, 20, 'sha1').toString('base64')}`);
  assert.equal((await server.request('POST', '/auth/token/login/', { json: { username: 'legacy-sha1', password } })).status, 200);
  assert.match(await storedHash('legacy-sha1'), ARGON2ID);
});

test('an argon2 hash as Django 4 writes it (argon2-cffi\'s cost) verifies and is brought to our cost', async () => {
  const password = 'argon2-user-pass';
  const salt = crypto.randomBytes(16);
  const hash = await argon2.hash(password, { raw: true, type: argon2.argon2id, memoryCost: 102400, timeCost: 2, parallelism: 8, hashLength: 32, salt });
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  await insertUser('django4', `argon2$argon2id$v=19$m=102400,t=2,p=8$${b64(salt)}$${b64(hash)}`);
  assert.equal((await server.request('POST', '/api/token/', { json: { username: 'django4', password } })).status, 200);
  assert.match(await storedHash('django4'), ARGON2ID);
});

test('an unusable password (Django\'s "!") never verifies', async () => {
  await insertUser('unusable', '!Jd8fK2mQ9xLw4Rt7Zp1Vb6Nc3Hs5Gy0Ue2Ia8Oq');
  assertReply(await server.request('POST', '/api/token/', { json: { username: 'unusable', password: '!Jd8fK2mQ9xLw4Rt7Zp1Vb6Nc3Hs5Gy0Ue2Ia8Oq' } }), 401, {
    detail: 'No active account found with the given credentials',
  });
});

/** Milliseconds of one call, measured on the wall clock. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('an unknown username costs as long as a wrong password (no user enumeration by timing)', async () => {
  const attempt = (username: string) => () => server.request('POST', '/api/token/', { json: { username, password: 'wrong-password' } });
  await attempt('nobody-at-all')(); // the first one also makes the dummy hash
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 9; i++) {
    wrong.push(await timed(attempt('alice')));
    unknown.push(await timed(attempt(`nobody-${i}`)));
  }
  const ratio = median(unknown) / median(wrong);
  // Without the dummy hash the ratio would be about 0.1; the bounds leave room for a busy machine.
  assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms`);
});

test('while 4 logins hash concurrently, an authenticated GET answers far sooner than one hash takes', async () => {
  const login = () => server.request('POST', '/api/token/', { json: { username: 'alice', password: DEFAULT_PASSWORD } });
  const secret = () => server.request('GET', '/api/secret/', { token: key });
  await login();
  await secret();
  const hashMs = median([await timed(login), await timed(login), await timed(login), await timed(login), await timed(login)]);

  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    let loginsDone = 0;
    const logins = Array.from({ length: 4 }, () => login().then((r) => {
      loginsDone++;
      return r;
    }));
    // Let the four requests reach the server and start hashing.
    await new Promise((resolve) => setTimeout(resolve, Math.min(10, hashMs / 4)));
    let status = 0;
    samples.push(await timed(async () => {
      status = (await secret()).status;
    }));
    assert.equal(status, 200);
    assert.ok(loginsDone < 4, 'the GET was answered while logins were still hashing');
    for (const r of await Promise.all(logins)) assert.equal(r.status, 200);
  }
  // Hashing on the event loop would hold every one of these GETs for at least a whole hash;
  // the fastest of them is compared, so that other processes stealing the CPU for a moment
  // (a busy CI machine) do not decide the outcome.
  const getMs = Math.min(...samples);
  assert.ok(getMs * 4 < hashMs, `GET took ${samples.map((x) => x.toFixed(1)).join(', ')} ms during the logins; one login alone takes ${hashMs.toFixed(1)} ms`);
});
