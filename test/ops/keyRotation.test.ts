/**
 * Rotating the JWT signing key without signing anybody out, in three restarts on one database:
 *   1. the new key is added as verifying only: old tokens work, new tokens are still signed by
 *      the old key (and, RS256, the new public key is already published);
 *   2. the new key signs, the old one only verifies: tokens of step 1 still work, new tokens
 *      carry the new kid, the key set lists both (the current one first);
 *   3. the old key is dropped: its tokens are refused with simplejwt's message, new ones work.
 * RS256 rotates JWT_SIGNING_KEY_FILE / JWT_VERIFYING_KEY_FILE with JWT_VERIFYING_KEY_FILES;
 * HS256 rotates SECRET_KEY with SECRET_KEY_FALLBACKS (as Django does), which also keeps
 * password-reset links mailed before the change working.
 *
 * Signatures and kids are checked here with node:crypto alone (RFC 7638 computed by the test),
 * not with the server's code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ManualClock } from '../helpers/clock';
import { startServer, type TestServer } from '../helpers/server';
import { ownDatabase, keyFiles, jwtSign, rsaSign, claims, type OwnDatabase } from '../hardening/lib';
import { assertReply, decodeJwt, invalidAccess, tokenNotValid } from '../api/auth/jwt';
import { uidAndToken, waitForMails } from '../api/users/mail';
import { tempDir } from './lib';

const OK = { message: 'Some secret message' };
const INVALID = 'Token is invalid or expired';

/** RFC 7638 thumbprint of an RSA public key, by hand. */
function thumbprint(publicKey: crypto.KeyObject): string {
  const { e, kty, n } = publicKey.export({ format: 'jwk' });
  return crypto.createHash('sha256').update(`{"e":"${e}","kty":"${kty}","n":"${n}"}`).digest('base64url');
}

function signedBy(token: string, key: crypto.KeyObject | string): boolean {
  const [h, p, s] = token.split('.');
  const input = Buffer.from(`${h}.${p}`);
  if (typeof key === 'string') return crypto.createHmac('sha256', key).update(input).digest('base64url') === s;
  return crypto.verify('sha256', input, key, Buffer.from(s, 'base64url'));
}

/** One database for every restart, and the restarts themselves, on an injected clock. */
function rotation(settingsOf: (step: 0 | 1 | 2 | 3) => Record<string, string>) {
  let database: OwnDatabase;
  let server: TestServer | null = null;
  const clock = new ManualClock();
  return {
    clock,
    async setUp() {
      database = await ownDatabase(tempDir('rotation'));
    },
    async step(step: 0 | 1 | 2 | 3): Promise<TestServer> {
      await server?.close();
      server = await startServer({ DATABASE_URL: database.url, ...settingsOf(step) }, { clock });
      return server;
    },
    async tearDown() {
      await server?.close();
      await database.drop();
    },
  };
}

const secret = (s: TestServer, access: string) => s.request('GET', '/api/secret/', { jwt: access });
const refresh = (s: TestServer, token: string) => s.request('POST', '/api/token/refresh/', { json: { refresh: token } });

describe('RS256: rotating the key pair', () => {
  const old = keyFiles(tempDir('rs-old'), 'rsa');
  const fresh = keyFiles(tempDir('rs-new'), 'rsa');
  const oldKid = thumbprint(old.publicKey);
  const newKid = thumbprint(fresh.publicKey);
  const r = rotation((step) => ({
    JWT_ALGORITHM: 'RS256',
    JWT_SIGNING_KEY_FILE: step < 2 ? old.privateFile : fresh.privateFile,
    JWT_VERIFYING_KEY_FILE: step < 2 ? old.publicFile : fresh.publicFile,
    ...(step === 1 ? { JWT_VERIFYING_KEY_FILES: fresh.publicFile } : {}),
    ...(step === 2 ? { JWT_VERIFYING_KEY_FILES: old.publicFile } : {}),
  }));
  const pairs: Record<string, { access: string; refresh: string }> = {};
  before(() => r.setUp());
  after(() => r.tearDown());

  test('0. before: tokens carry the kid of the only key, its RFC 7638 thumbprint', async () => {
    const s = await r.step(0);
    await s.createUser({ username: 'alice' });
    pairs.zero = await s.jwtFor('alice');
    assert.equal(decodeJwt(pairs.zero.access).header.kid, oldKid);
    assert.ok(signedBy(pairs.zero.access, old.publicKey));
    assert.deepEqual((await s.request('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid), [oldKid]);
  });

  test('1. new key verifying only: old tokens work, new tokens are still signed by the old key, both keys are published (current first)', async () => {
    const s = await r.step(1);
    assertReply(await secret(s, pairs.zero.access), 200, OK);
    assert.equal((await refresh(s, pairs.zero.refresh)).status, 200);
    pairs.one = await s.jwtFor('alice');
    assert.equal(decodeJwt(pairs.one.access).header.kid, oldKid);
    assert.ok(signedBy(pairs.one.access, old.publicKey));
    const { keys } = (await s.request('GET', '/.well-known/jwks.json')).body;
    assert.deepEqual(keys.map((k: { kid: string }) => k.kid), [oldKid, newKid]);
  });

  test('2. new key signing, old one verifying: tokens of step 1 still work, new tokens carry the new kid, the key set lists both', async () => {
    const s = await r.step(2);
    for (const pair of [pairs.zero, pairs.one]) {
      assertReply(await secret(s, pair.access), 200, OK);
      const refreshed = await refresh(s, pair.refresh);
      assert.equal(refreshed.status, 200);
      assert.equal(decodeJwt(refreshed.body.access).header.kid, newKid, 'a refresh under the old key gives an access token under the new one');
    }
    pairs.two = await s.jwtFor('alice');
    assert.equal(decodeJwt(pairs.two.access).header.kid, newKid);
    assert.ok(signedBy(pairs.two.access, fresh.publicKey));
    assertReply(await secret(s, pairs.two.access), 200, OK);
    const { keys } = (await s.request('GET', '/.well-known/jwks.json')).body;
    assert.deepEqual(keys.map((k: { kid: string }) => k.kid), [newKid, oldKid]);
    for (const k of keys) assert.equal(k.d, undefined, 'no private part');
  });

  test('3. old key dropped: its tokens are refused with simplejwt\'s message, new ones work, the key set has the new key only', async () => {
    const s = await r.step(3);
    assertReply(await secret(s, pairs.one.access), 401, invalidAccess(INVALID));
    assertReply(await refresh(s, pairs.one.refresh), 401, tokenNotValid(INVALID));
    assertReply(await s.request('POST', '/api/token/verify/', { json: { token: pairs.zero.refresh } }), 401, tokenNotValid(INVALID));
    assertReply(await secret(s, pairs.two.access), 200, OK);
    assert.equal((await refresh(s, pairs.two.refresh)).status, 200);
    assert.deepEqual((await s.request('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid), [newKid]);
  });

  test('a token whose kid names no key is refused, even when signed by the current key', async () => {
    const s = await r.step(3);
    const id = (await s.app.services.db.knex('auth_user').where({ username: 'alice' }).first('id')).id as number;
    const body = { ...claims('access', id), iat: Math.floor(r.clock.now() / 1000), exp: Math.floor(r.clock.now() / 1000) + 60 };
    const unknownKid = jwtSign({ alg: 'RS256', typ: 'JWT', kid: 'no-such-key' }, body, rsaSign(fresh.privateKey));
    assertReply(await secret(s, unknownKid), 401, invalidAccess(INVALID));
    const noKid = jwtSign({ alg: 'RS256', typ: 'JWT' }, body, rsaSign(fresh.privateKey));
    assertReply(await secret(s, noKid), 200, OK);
  });

  test('expiry is judged by the service\'s clock: moving it past the access lifetime refuses the access token, the refresh token still works', async () => {
    const s = await r.step(3);
    const pair = await s.jwtFor('alice');
    r.clock.advance(301_000);
    assertReply(await secret(s, pair.access), 401, invalidAccess(INVALID));
    assert.equal((await refresh(s, pair.refresh)).status, 200);
  });
});

describe('HS256: rotating SECRET_KEY with SECRET_KEY_FALLBACKS', () => {
  const OLD = 'old-secret-key-0123456789-0123456789-abcdef';
  const NEW = 'new-secret-key-9876543210-9876543210-fedcba';
  const r = rotation((step) => ({
    SECRET_KEY: step < 2 ? OLD : NEW,
    ...(step === 1 ? { SECRET_KEY_FALLBACKS: NEW } : {}),
    ...(step === 2 ? { SECRET_KEY_FALLBACKS: OLD } : {}),
  }));
  const pairs: Record<string, { access: string; refresh: string }> = {};
  const resetLinks: Record<string, { uid: string; token: string }> = {};
  before(() => r.setUp());
  after(() => r.tearDown());

  test('0. before: tokens are signed with SECRET_KEY and carry no kid (as simplejwt\'s)', async () => {
    const s = await r.step(0);
    await s.createUser({ username: 'alice', email: 'alice@example.com' });
    await s.createUser({ username: 'bob', email: 'bob@example.com' });
    pairs.zero = await s.jwtFor('alice');
    assert.equal(decodeJwt(pairs.zero.access).header.kid, undefined);
    assert.ok(signedBy(pairs.zero.access, OLD));
  });

  test('1. new key as a fallback: old tokens work, new tokens still signed with the old key; reset links are mailed under it', async () => {
    const s = await r.step(1);
    assertReply(await secret(s, pairs.zero.access), 200, OK);
    pairs.one = await s.jwtFor('alice');
    assert.ok(signedBy(pairs.one.access, OLD));
    assert.deepEqual((await s.request('GET', '/.well-known/jwks.json')).body, { keys: [] }, 'secrets are never published');
    for (const email of ['alice@example.com', 'bob@example.com']) assert.equal((await s.request('POST', '/auth/users/reset_password/', { json: { email } })).status, 204);
    const mails = await waitForMails(s, 2);
    for (const mail of mails) resetLinks[mail.to.split('@')[0]] = uidAndToken(mail);
  });

  test('2. new SECRET_KEY, old one as a fallback: tokens of step 1 and reset links mailed under the old key still work, new tokens are signed with the new key', async () => {
    const s = await r.step(2);
    for (const pair of [pairs.zero, pairs.one]) {
      assertReply(await secret(s, pair.access), 200, OK);
      const refreshed = await refresh(s, pair.refresh);
      assert.equal(refreshed.status, 200);
      assert.ok(signedBy(refreshed.body.access, NEW));
    }
    pairs.two = await s.jwtFor('alice');
    assert.ok(signedBy(pairs.two.access, NEW));
    assert.equal(decodeJwt(pairs.two.access).header.kid, undefined);
    // bob's: a reset revokes the user's JWTs, and alice's are still needed
    const confirm = await s.request('POST', '/auth/users/reset_password_confirm/', { json: { ...resetLinks.bob, new_password: 'Fresh-lemon-tart-77' } });
    assert.equal(confirm.status, 204, confirm.text);
  });

  test('3. fallback dropped: tokens and reset links of the old key are refused with the usual messages, new ones work', async () => {
    const s = await r.step(3);
    assertReply(await secret(s, pairs.one.access), 401, invalidAccess(INVALID));
    assertReply(await refresh(s, pairs.one.refresh), 401, tokenNotValid(INVALID));
    assertReply(await secret(s, pairs.two.access), 200, OK);
    assert.equal((await refresh(s, pairs.two.refresh)).status, 200);
    assertReply(await s.request('POST', '/auth/users/reset_password_confirm/', { json: { ...resetLinks.alice, new_password: 'Fresh-lemon-tart-78' } }), 400, { token: ['Invalid token for given user.'] });
  });
});

describe('misconfigured rotation stops start-up, naming the variable', () => {
  const pair = keyFiles(tempDir('bad-keys'), 'rsa');
  const ec = keyFiles(tempDir('bad-ec'), 'ec');
  const rs = { JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: pair.privateFile, JWT_VERIFYING_KEY_FILE: pair.publicFile };
  const cases: [string, Record<string, string>, RegExp][] = [
    ['an older key file that does not exist', { ...rs, JWT_VERIFYING_KEY_FILES: '/nonexistent/old.pem' }, /^JWT_VERIFYING_KEY_FILES: cannot read \/nonexistent\/old\.pem: ENOENT/],
    ['an older key that is a private key', { ...rs, JWT_VERIFYING_KEY_FILES: keyFiles(tempDir('bad-priv'), 'rsa').privateFile }, /^JWT_VERIFYING_KEY_FILES: \S+ holds a private key: give the public key only$/],
    ['an older key of another type than the algorithm', { ...rs, JWT_VERIFYING_KEY_FILES: ec.publicFile }, /^JWT_VERIFYING_KEY_FILES: \S+: JWT_ALGORITHM=RS256 needs an RSA key, got ec$/],
    ['the current key listed as an older one', { ...rs, JWT_VERIFYING_KEY_FILES: pair.publicFile }, /^JWT_VERIFYING_KEY_FILES: \S+ holds the current key \(JWT_VERIFYING_KEY_FILE\): list older keys only$/],
    ['older key files with HS256', { JWT_VERIFYING_KEY_FILES: pair.publicFile }, /^JWT_VERIFYING_KEY_FILES needs JWT_ALGORITHM=RS256 or ES256/],
    ['a fallback secret shorter than 32 characters', { SECRET_KEY_FALLBACKS: `${'x'.repeat(40)},too-short` }, /^SECRET_KEY_FALLBACKS: key 2 must be at least 32 characters long$/],
  ];
  for (const [what, env, message] of cases) {
    test(what, async () => {
      await assert.rejects(startServer(env), (err: Error) => {
        assert.equal(err.name, 'ImproperlyConfigured');
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /too-short/, 'a secret is never printed');
        return true;
      });
    });
  }
});
