import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { jwkThumbprint, TokenBackend, TokenBackendError } from '../../../src/tokens/backend';
import { jwtSign, keyFiles, rsaSign, tempDir } from '../../hardening/lib';

const SECRET = 'unit-secret-key-0123456789-0123456789-abcdef';
const options = { algorithm: 'HS256' as const, secretKey: SECRET, signingKeyFile: null, verifyingKeyFile: null, leewaySeconds: 0, issuer: null, audience: null };

describe('jwkThumbprint', () => {
  test('is RFC 7638\'s: the example key of section 3.1 gives its published thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    };
    assert.equal(jwkThumbprint(crypto.createPublicKey({ key: jwk, format: 'jwk' })), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('TokenBackend', () => {
  test('judges expiry by the clock it is given, with the leeway', () => {
    let now = Date.UTC(2030, 0, 1);
    const backend = new TokenBackend({ ...options, leewaySeconds: 5 }, { now: () => now });
    const token = backend.encode({ exp: Math.floor(now / 1000) + 60 });
    assert.equal(backend.decode(token).exp, Math.floor(now / 1000) + 60, 'valid now, though long expired by the real clock');
    now += 64_000;
    assert.ok(backend.decode(token), 'within the leeway');
    now += 2_000;
    assert.throws(() => backend.decode(token), (err: Error) => err instanceof TokenBackendError && err.message === 'Token is invalid or expired');
  });

  test('HS256 verifies with SECRET_KEY or a fallback, and signs with SECRET_KEY only', () => {
    const OLD = 'older-secret-key-0123456789-0123456789-abc';
    const current = new TokenBackend({ ...options, secretKeyFallbacks: [OLD] });
    const previous = new TokenBackend({ ...options, secretKey: OLD });
    const exp = Math.floor(Date.now() / 1000) + 60;
    assert.ok(current.decode(previous.encode({ exp })), "a token of the fallback's time");
    assert.throws(() => previous.decode(current.encode({ exp })), TokenBackendError, 'signed with SECRET_KEY, not with the fallback');
  });

  test('RS256 accepts the kid its tokens carried before the JWK thumbprint (tokens issued before the upgrade keep working)', (t) => {
    const dir = tempDir('unit-backend');
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const keys = keyFiles(dir, 'rsa');
    const backend = new TokenBackend({ ...options, algorithm: 'RS256', signingKeyFile: keys.privateFile, verifyingKeyFile: keys.publicFile });
    const legacyKid = crypto.createHash('sha256').update(keys.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
    const exp = Math.floor(Date.now() / 1000) + 60;
    assert.ok(backend.decode(jwtSign({ alg: 'RS256', typ: 'JWT', kid: legacyKid }, { exp }, rsaSign(keys.privateKey))));
    assert.equal(JSON.parse(Buffer.from(backend.encode({ exp }).split('.')[0], 'base64url').toString()).kid, jwkThumbprint(keys.publicKey));
    assert.throws(() => backend.decode(jwtSign({ alg: 'RS256', typ: 'JWT', kid: `${legacyKid}x` }, { exp }, rsaSign(keys.privateKey))), TokenBackendError);
  });
});
