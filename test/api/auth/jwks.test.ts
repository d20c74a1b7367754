/**
 * GET /.well-known/jwks.json and asymmetric signing (JWT_ALGORITHM=RS256/ES256 with
 * JWT_SIGNING_KEY_FILE and JWT_VERIFYING_KEY_FILE): tokens verify with the published key, and
 * the algorithm is pinned, so an HS256 token "signed" with the public key is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, decodeJwt, invalidAccess, signHs256, tokenNotValid, unsigned } from './jwt';

const OK = { message: 'Some secret message' };

/** Writes a fresh key pair as PEM files into a temporary folder. */
function keyPair(type: 'rsa' | 'ec'): { dir: string; privateFile: string; publicFile: string; publicPem: string; privateKey: crypto.KeyObject } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-keys-'));
  const { privateKey, publicKey } =
    type === 'rsa'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateFile = path.join(dir, 'private.pem');
  const publicFile = path.join(dir, 'public.pem');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(publicFile, publicPem);
  return { dir, privateFile, publicFile, publicPem, privateKey };
}

/** Checks a token's signature with a key from a JWKS, as a third party would. */
function verifiesWithJwk(token: string, jwk: Record<string, unknown>): boolean {
  const [h, p, s] = token.split('.');
  const key = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
  const alg = decodeJwt(token).header.alg;
  return crypto.verify('sha256', Buffer.from(`${h}.${p}`), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
}

function signRs256(payload: Record<string, unknown>, key: crypto.KeyObject): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

describe('HS256 (the default)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('the key set is empty: the secret is never published', async () => {
    assertReply(await server.request('GET', '/.well-known/jwks.json'), 200, { keys: [] });
  });
});

describe('RS256 with key files', () => {
  let server: TestServer;
  let keys: ReturnType<typeof keyPair>;
  let aliceId: number;
  before(async () => {
    keys = keyPair('rsa');
    server = await startServer({ JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: keys.privateFile, JWT_VERIFYING_KEY_FILE: keys.publicFile });
    aliceId = await server.createUser({ username: 'alice' });
  });
  after(async () => {
    await server.close();
    fs.rmSync(keys.dir, { recursive: true, force: true });
  });

  test('tokens are RS256 with a kid, and work for authentication, refresh and verify', async () => {
    const pair = await server.jwtFor('alice');
    const { header } = decodeJwt(pair.access);
    assert.equal(header.alg, 'RS256');
    assert.equal(typeof header.kid, 'string');
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, OK);
    assert.equal((await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } })).status, 200);
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 200, {});
  });

  test('the JWKS publishes the public key (and nothing private), and it verifies our tokens', async () => {
    const r = await server.request('GET', '/.well-known/jwks.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.keys.length, 1);
    const [jwk] = r.body.keys;
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.use, 'sig');
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(jwk[privatePart], undefined);
    const pair = await server.jwtFor('alice');
    assert.equal(jwk.kid, decodeJwt(pair.access).header.kid);
    assert.ok(verifiesWithJwk(pair.access, jwk));
    assert.ok(verifiesWithJwk(pair.refresh, jwk));
  });

  test('an HS256 token signed with the RS256 public key is refused (algorithm confusion)', async () => {
    const forged = signHs256(claimsFor('access', aliceId), keys.publicPem);
    assertReply(await server.request('GET', '/api/secret/', { jwt: forged }), 401, invalidAccess('Token is invalid or expired'));
    const forgedRefresh = signHs256(claimsFor('refresh', aliceId), keys.publicPem);
    assertReply(await server.request('POST', '/api/token/refresh/', { json: { refresh: forgedRefresh } }), 401, tokenNotValid());
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: forged } }), 401, tokenNotValid());
  });

  test('an unsigned token and a token signed by another RSA key are refused', async () => {
    assertReply(await server.request('GET', '/api/secret/', { jwt: unsigned(claimsFor('access', aliceId)) }), 401, invalidAccess('Token is invalid or expired'));
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assertReply(await server.request('GET', '/api/secret/', { jwt: signRs256(claimsFor('access', aliceId), other) }), 401, invalidAccess('Token is invalid or expired'));
  });

  test('a token signed with the configured private key is accepted (the check is the key, not the issuer of the request)', async () => {
    assertReply(await server.request('GET', '/api/secret/', { jwt: signRs256(claimsFor('access', aliceId), keys.privateKey) }), 200, OK);
  });
});

describe('ES256 with key files', () => {
  let server: TestServer;
  let keys: ReturnType<typeof keyPair>;
  before(async () => {
    keys = keyPair('ec');
    server = await startServer({ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: keys.privateFile, JWT_VERIFYING_KEY_FILE: keys.publicFile });
    await server.createUser({ username: 'alice' });
  });
  after(async () => {
    await server.close();
    fs.rmSync(keys.dir, { recursive: true, force: true });
  });

  test('tokens are ES256, work, and verify with the published P-256 key', async () => {
    const pair = await server.jwtFor('alice');
    assert.equal(decodeJwt(pair.access).header.alg, 'ES256');
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, OK);
    const { body } = await server.request('GET', '/.well-known/jwks.json');
    assert.equal(body.keys[0].kty, 'EC');
    assert.equal(body.keys[0].crv, 'P-256');
    assert.equal(body.keys[0].alg, 'ES256');
    assert.equal(body.keys[0].d, undefined);
    assert.ok(verifiesWithJwk(pair.access, body.keys[0]));
  });
});

describe('misconfiguration fails at start-up', () => {
  test('RS256 with an EC key pair', async () => {
    const keys = keyPair('ec');
    try {
      await assert.rejects(
        startServer({ JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: keys.privateFile, JWT_VERIFYING_KEY_FILE: keys.publicFile }),
        { name: 'ImproperlyConfigured' },
      );
    } finally {
      fs.rmSync(keys.dir, { recursive: true, force: true });
    }
  });

  test('RS256 with a key file that does not exist', async () => {
    await assert.rejects(
      startServer({ JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: '/nonexistent/private.pem', JWT_VERIFYING_KEY_FILE: '/nonexistent/public.pem' }),
      { name: 'ImproperlyConfigured' },
    );
  });

  test('a signing key that does not match the verifying key', async () => {
    const a = keyPair('rsa');
    const b = keyPair('rsa');
    try {
      await assert.rejects(
        startServer({ JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: a.privateFile, JWT_VERIFYING_KEY_FILE: b.publicFile }),
        { name: 'ImproperlyConfigured' },
      );
    } finally {
      fs.rmSync(a.dir, { recursive: true, force: true });
      fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
