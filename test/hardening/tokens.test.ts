/**
 * Attacks on the credentials, each against every place a token is read: the `Authorization:
 * Bearer` header (an authenticated GET), and the bodies of refresh, verify and blacklist (both
 * simplejwt's and djoser's paths). The basics (a tampered signature, alg none, HS512, expiry,
 * missing claims) are test/api/auth's; here are the attacks: alg none in every spelling,
 * algorithm confusion with every encoding of the RS256 public key, kid/jku/x5u/jwk/x5c header
 * injection, forged claims (expired, nbf, issuer, audience), truncated and re-encoded tokens,
 * a token of the wrong type, blacklisted, rotated and revoked tokens, and DRF keys that are
 * not keys (wrong length, not hex, SQL, LIKE wildcards, unicode, the stored hash itself).
 * Every one is 401 with the documented body, and writes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startServer, type Reply, type TestServer } from '../helpers/server';
import { b64url, claims, dbState, decodePart, hmac, jwtSign, keyFiles, rsaSign, tempDir, type Claims } from './lib';

const GENERIC = 'Token is invalid or expired';

/** simplejwt's body for a refused access token in the Authorization header. */
const bearerBody = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

type Sink = 'bearer' | 'refresh' | 'jwtRefresh' | 'verify' | 'jwtVerify' | 'blacklist';
const ALL_SINKS: readonly Sink[] = ['bearer', 'refresh', 'jwtRefresh', 'verify', 'jwtVerify', 'blacklist'];

/** Presents `token` at `sink`. */
function present(server: TestServer, sink: Sink, token: string): Promise<Reply> {
  switch (sink) {
    case 'bearer':
      return server.request('GET', '/api/secret/', { headers: { authorization: `Bearer ${token}` } });
    case 'refresh':
      return server.request('POST', '/api/token/refresh/', { json: { refresh: token } });
    case 'jwtRefresh':
      return server.request('POST', '/auth/jwt/refresh/', { json: { refresh: token } });
    case 'verify':
      return server.request('POST', '/api/token/verify/', { json: { token } });
    case 'jwtVerify':
      return server.request('POST', '/auth/jwt/verify/', { json: { token } });
    case 'blacklist':
      return server.request('POST', '/api/token/blacklist/', { json: { refresh: token } });
  }
}

/**
 * Presents each token at each sink and asserts 401 with the documented body (`message` for
 * the bearer's messages[0] and the views' detail), and that the database did not change.
 * Collects every mismatch before failing, so one run shows them all.
 */
async function assertRefused(server: TestServer, tokens: Record<string, string>, sinks: readonly Sink[], message = GENERIC): Promise<void> {
  const before = await dbState(server.app.services.db.knex);
  const wrong: string[] = [];
  for (const [name, token] of Object.entries(tokens)) {
    for (const sink of sinks) {
      const r = await present(server, sink, token);
      const expected = sink === 'bearer' ? bearerBody(message) : { detail: message, code: 'token_not_valid' };
      if (r.status !== 401 || JSON.stringify(r.body) !== JSON.stringify(expected)) wrong.push(`${name} at ${sink}: ${r.status} ${r.text}`);
      else if (sink === 'bearer' && r.headers.get('www-authenticate') !== 'Bearer realm="api"') wrong.push(`${name} at ${sink}: WWW-Authenticate ${r.headers.get('www-authenticate')}`);
    }
  }
  assert.deepEqual(wrong, [], 'refused with the documented 401');
  const after = await dbState(server.app.services.db.knex);
  assert.equal(after.digest, before.digest, 'a refused token wrote to the database');
}

/** The sinks where a token of this type is the expected one. */
const sinksFor = (type: 'access' | 'refresh'): readonly Sink[] => (type === 'access' ? ['bearer', 'verify', 'jwtVerify'] : ['refresh', 'jwtRefresh', 'verify', 'jwtVerify', 'blacklist']);

/** Variants of a token that a decoder must not be lenient about. */
function truncatedAndReencoded(token: string): Record<string, string> {
  const [h, p, s] = token.split('.');
  const header = decodePart(token, 0);
  const payload = decodePart(token, 1);
  const flip = (seg: string, i: number) => `${seg.slice(0, i)}${seg[i] === 'A' ? 'B' : 'A'}${seg.slice(i + 1)}`;
  const variants: Record<string, string> = {
    'signature cut by one character': `${h}.${p}.${s.slice(0, -1)}`,
    'signature cut in half': `${h}.${p}.${s.slice(0, s.length >> 1)}`,
    'no signature, trailing dot': `${h}.${p}.`,
    'no signature, no dot': `${h}.${p}`,
    'header only': h,
    'first half of the token': token.slice(0, token.length >> 1),
    'a fourth segment': `${token}.${s}`,
    'five segments (JWE-shaped)': `${h}.${p}.${s}.${s}.${s}`,
    'empty segments': '..',
    'signature in standard base64 with padding': `${h}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`,
    'signature with = padding': `${h}.${p}.${s}==`,
    'header with = padding': `${h}=.${p}.${s}`,
    'payload re-serialized with spaces, old signature': `${h}.${b64url(JSON.stringify(payload, null, 1))}.${s}`,
    'header re-serialized, old signature': `${b64url(JSON.stringify(header, null, 2))}.${p}.${s}`,
    'payload in standard base64': `${h}.${Buffer.from(p, 'base64url').toString('base64')}.${s}`,
    'one character of the payload changed': `${h}.${flip(p, 5)}.${s}`,
    'leading and trailing junk': `x${token}x`,
    'latin-1 byte appended': `${token}\u00e9`,
    'url-encoded': encodeURIComponent(token).replace(/\./g, '%2E'),
    '4 KB of padding in the header': `${b64url(JSON.stringify({ ...header, pad: 'x'.repeat(3000) }))}.${p}.${s}`,
  };
  // a re-encoding that happens to give the same text (no - or _, no padding) is the token itself
  return Object.fromEntries(Object.entries(variants).filter(([, v]) => v !== token));
}

// ---------------------------------------------------------------------------------------

describe('HS256 (the default), with rotation on', () => {
  let server: TestServer;
  let aliceId: number;
  let secret: string;
  const attacker = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' });

  before(async () => {
    server = await startServer({ ROTATE_REFRESH_TOKENS: 'true', BLACKLIST_AFTER_ROTATION: 'true' });
    aliceId = await server.createUser({ username: 'alice' });
    secret = server.app.services.settings.secretKey;
  });
  after(() => server.close());

  for (const type of ['access', 'refresh'] as const) {
    test(`alg none in every spelling, signed or not, is refused (${type} token)`, async () => {
      const real = (await server.jwtFor('alice'))[type];
      const realSig = real.split('.')[2];
      const tokens: Record<string, string> = {};
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const body = `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(claims(type, aliceId)))}`;
        tokens[`alg ${alg}, empty signature`] = `${body}.`;
        tokens[`alg ${alg}, a real token's signature`] = `${body}.${realSig}`;
      }
      tokens['no alg at all'] = `${b64url(JSON.stringify({ typ: 'JWT' }))}.${b64url(JSON.stringify(claims(type, aliceId)))}.`;
      tokens['alg HS256, empty signature'] = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims(type, aliceId)))}.`;
      await assertRefused(server, tokens, sinksFor(type));
    });
  }

  test('kid header injection (path traversal, SQL, command) with an empty or guessed key is refused', async () => {
    const tokens: Record<string, string> = {};
    for (const kid of ['../../../../../../dev/null', '/proc/self/environ', "' OR '1'='1", "x' UNION SELECT 'secret' --", '|id', '0']) {
      for (const [keyName, key] of [['empty key', ''], ['"secret"', 'secret'], ['a NUL byte', '\u0000']] as const) {
        tokens[`kid ${kid}, ${keyName}`] = jwtSign({ alg: 'HS256', typ: 'JWT', kid }, claims('access', aliceId), hmac(key));
      }
    }
    await assertRefused(server, tokens, sinksFor('access'));
  });

  test('jku, x5u, embedded jwk and x5c pointing at the attacker\'s key are refused: keys come from configuration only', async () => {
    const c = claims('access', aliceId);
    const tokens = {
      jku: jwtSign({ alg: 'RS256', typ: 'JWT', jku: 'http://127.0.0.1:9/jwks.json', kid: 'attacker' }, c, rsaSign(attacker.privateKey)),
      x5u: jwtSign({ alg: 'RS256', typ: 'JWT', x5u: 'http://127.0.0.1:9/cert.pem' }, c, rsaSign(attacker.privateKey)),
      'embedded jwk (CVE-2018-0114)': jwtSign({ alg: 'RS256', typ: 'JWT', jwk: attackerJwk }, c, rsaSign(attacker.privateKey)),
      'embedded x5c': jwtSign({ alg: 'RS256', typ: 'JWT', x5c: [attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] }, c, rsaSign(attacker.privateKey)),
      'jku with HS256 and the attacker\'s secret': jwtSign({ alg: 'HS256', typ: 'JWT', jku: 'http://127.0.0.1:9/jwks.json' }, c, hmac('attacker-secret')),
      'embedded oct jwk holding the attacker\'s secret': jwtSign({ alg: 'HS256', typ: 'JWT', jwk: { kty: 'oct', k: b64url('attacker-secret') } }, c, hmac('attacker-secret')),
    };
    await assertRefused(server, tokens, sinksFor('access'));
  });

  test('truncated and re-encoded tokens are refused (the decoder is strict about every byte)', async () => {
    const pair = await server.jwtFor('alice');
    await assertRefused(server, truncatedAndReencoded(pair.access), ['bearer', 'verify', 'jwtVerify']);
    await assertRefused(server, truncatedAndReencoded(pair.refresh), ['refresh', 'jwtRefresh', 'blacklist']);
    // the genuine ones still work: the refusals were about the changes
    assert.equal((await present(server, 'bearer', pair.access)).status, 200);
    assert.equal((await present(server, 'verify', pair.refresh)).status, 200);
  });

  test('claims forged with the server\'s own key (a leaked old token): expired, not yet valid (nbf), without exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const type of ['access', 'refresh'] as const) {
      const tokens = {
        'expired a second ago': jwtSign({ alg: 'HS256', typ: 'JWT' }, claims(type, aliceId, { exp: now - 1, iat: now - 301 }), hmac(secret)),
        'expired long ago': jwtSign({ alg: 'HS256', typ: 'JWT' }, claims(type, aliceId, { exp: 1_000_000, iat: 999_700 }), hmac(secret)),
        'nbf an hour ahead': jwtSign({ alg: 'HS256', typ: 'JWT' }, claims(type, aliceId, { nbf: now + 3600 }), hmac(secret)),
        'exp as a string': jwtSign({ alg: 'HS256', typ: 'JWT' }, claims(type, aliceId, { exp: String(now + 300) }), hmac(secret)),
      };
      await assertRefused(server, tokens, sinksFor(type));
    }
  });

  test('a refresh token where an access token is expected, and the other way round: "Token has wrong type"', async () => {
    const pair = await server.jwtFor('alice');
    await assertRefused(server, { 'refresh as access': pair.refresh }, ['bearer'], 'Token has wrong type');
    await assertRefused(server, { 'access as refresh': pair.access }, ['refresh', 'jwtRefresh', 'blacklist'], 'Token has wrong type');
  });

  test('a blacklisted refresh token is refused everywhere it is read', async () => {
    const pair = await server.jwtFor('alice');
    assert.equal((await present(server, 'blacklist', pair.refresh)).status, 200);
    await assertRefused(server, { blacklisted: pair.refresh }, ['refresh', 'jwtRefresh', 'verify', 'jwtVerify', 'blacklist'], 'Token is blacklisted');
  });

  test('a rotated-away refresh token is refused everywhere, and its reuse ends the token that replaced it', async () => {
    const pair = await server.jwtFor('alice');
    const rotated = await present(server, 'refresh', pair.refresh);
    assert.equal(rotated.status, 200);
    const successor = rotated.body.refresh as string;
    const reuse = await present(server, 'jwtRefresh', pair.refresh);
    assert.deepEqual([reuse.status, reuse.body], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    await assertRefused(server, { 'rotated away': pair.refresh, 'its successor, after the reuse': successor }, ['refresh', 'jwtRefresh', 'verify', 'jwtVerify', 'blacklist'], 'Token is blacklisted');
  });

  test('after logout-all, the access tokens issued before it are refused at the header and at verify', async () => {
    const pair = await server.jwtFor('alice');
    const key = await server.tokenFor('alice');
    assert.equal((await server.request('POST', '/auth/token/logoutall/', { token: key })).status, 204);
    const bearer = await present(server, 'bearer', pair.access);
    assert.deepEqual([bearer.status, bearer.body], [401, bearerBody('Token has been revoked')]);
    await assertRefused(server, { revoked: pair.access }, ['verify', 'jwtVerify']);
  });

  test('an access token signed with the server\'s key for a user id that is not a user: 401, and no query trick', async () => {
    const wrong: string[] = [];
    for (const userId of ['1 OR 1=1', "1' OR '1'='1", { $ne: null }, [aliceId], -1, 0, 1e308, '0x1', ` ${aliceId}`]) {
      const r = await present(server, 'bearer', jwtSign({ alg: 'HS256', typ: 'JWT' }, claims('access', aliceId, { user_id: userId }), hmac(secret)));
      if (r.status !== 401 || JSON.stringify(r.body) !== JSON.stringify({ detail: 'User not found', code: 'user_not_found' })) wrong.push(`${JSON.stringify(userId)}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('RS256 with key files', () => {
  let server: TestServer;
  let dir: string;
  let keys: ReturnType<typeof keyFiles>;
  let aliceId: number;
  let kid: string;

  before(async () => {
    dir = tempDir('rs256');
    keys = keyFiles(dir, 'rsa');
    server = await startServer({ JWT_ALGORITHM: 'RS256', JWT_SIGNING_KEY_FILE: keys.privateFile, JWT_VERIFYING_KEY_FILE: keys.publicFile });
    aliceId = await server.createUser({ username: 'alice' });
    kid = decodePart((await server.jwtFor('alice')).access, 0).kid as string;
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const type of ['access', 'refresh'] as const) {
    test(`algorithm confusion: HS256/384/512 "signed" with the public key in every encoding is refused (${type} token)`, async () => {
      const c = claims(type, aliceId);
      const pkcs1 = keys.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const encodings: Record<string, string | Buffer> = {
        'SPKI PEM as published': keys.publicPem,
        'SPKI PEM without the final newline': keys.publicPem.trimEnd(),
        'SPKI PEM with CRLF': keys.publicPem.replace(/\n/g, '\r\n'),
        'PKCS#1 PEM': pkcs1,
        'SPKI DER': keys.publicKey.export({ type: 'spki', format: 'der' }),
        'JWK JSON (as /.well-known/jwks.json serves it)': JSON.stringify((await server.request('GET', '/.well-known/jwks.json')).body.keys[0]),
        'modulus bytes': Buffer.from(keys.publicKey.export({ format: 'jwk' }).n as string, 'base64url'),
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(encodings)) {
        for (const [alg, h] of [['HS256', 'sha256'], ['HS384', 'sha384'], ['HS512', 'sha512']] as const) {
          tokens[`${alg} with ${name}`] = jwtSign({ alg, typ: 'JWT', kid }, c, hmac(key, h));
        }
      }
      await assertRefused(server, tokens, sinksFor(type));
    });
  }

  test('the server\'s own kid on a token signed by another key, and jku/x5u/jwk pointing elsewhere, are refused', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const c = claims('access', aliceId);
    const sign = rsaSign(other.privateKey);
    await assertRefused(
      server,
      {
        'our kid, their key': jwtSign({ alg: 'RS256', typ: 'JWT', kid }, c, sign),
        'jku to their key set': jwtSign({ alg: 'RS256', typ: 'JWT', kid: 'x', jku: 'http://127.0.0.1:9/jwks.json' }, c, sign),
        'x5u to their certificate': jwtSign({ alg: 'RS256', typ: 'JWT', x5u: 'http://127.0.0.1:9/c.pem' }, c, sign),
        'their public key embedded as jwk': jwtSign({ alg: 'RS256', typ: 'JWT', kid, jwk: other.publicKey.export({ format: 'jwk' }) }, c, sign),
        'PS256 signed with their key': jwtSign({ alg: 'PS256', typ: 'JWT', kid }, c, (input) => crypto.sign('sha256', Buffer.from(input), { key: other.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING })),
        'alg none with our kid': `${b64url(JSON.stringify({ alg: 'none', kid }))}.${b64url(JSON.stringify(c))}.`,
      },
      sinksFor('access'),
    );
  });

  test('PS256 with the server\'s own private key is refused too: the algorithm is pinned, not only the key', async () => {
    const c = claims('access', aliceId);
    const token = jwtSign({ alg: 'PS256', typ: 'JWT', kid }, c, (input) => crypto.sign('sha256', Buffer.from(input), { key: keys.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }));
    await assertRefused(server, { 'PS256, our key': token }, sinksFor('access'));
  });
});

describe('JWT_ISSUER and JWT_AUDIENCE set', () => {
  let server: TestServer;
  let aliceId: number;
  let secret: string;
  const ISS = 'https://lemon.example';
  const AUD = 'little-lemon';

  before(async () => {
    server = await startServer({ JWT_ISSUER: ISS, JWT_AUDIENCE: AUD });
    aliceId = await server.createUser({ username: 'alice' });
    secret = server.app.services.settings.secretKey;
  });
  after(() => server.close());

  for (const type of ['access', 'refresh'] as const) {
    test(`a token signed with our key but for another issuer or audience is refused (${type} token)`, async () => {
      const sign = (extra: Claims) => jwtSign({ alg: 'HS256', typ: 'JWT' }, claims(type, aliceId, extra), hmac(secret));
      const tokens = {
        'no iss, no aud': sign({}),
        'other issuer': sign({ iss: 'https://evil.example', aud: AUD }),
        'issuer in another case': sign({ iss: ISS.toUpperCase(), aud: AUD }),
        'issuer with a trailing slash': sign({ iss: `${ISS}/`, aud: AUD }),
        'no issuer': sign({ aud: AUD }),
        'other audience': sign({ iss: ISS, aud: 'billing' }),
        'audience list without ours': sign({ iss: ISS, aud: ['billing', 'crm'] }),
        'no audience': sign({ iss: ISS }),
        'audience as a prefix': sign({ iss: ISS, aud: `${AUD}-admin` }),
        'right iss/aud but nbf ahead': sign({ iss: ISS, aud: AUD, nbf: Math.floor(Date.now() / 1000) + 600 }),
        'right iss/aud but expired': sign({ iss: ISS, aud: AUD, exp: Math.floor(Date.now() / 1000) - 10 }),
      };
      await assertRefused(server, tokens, sinksFor(type));
      // and the genuine article works, so the refusals above were about the claims
      const good = sign({ iss: ISS, aud: AUD });
      assert.equal((await present(server, type === 'access' ? 'bearer' : 'verify', good)).status, 200);
    });
  }
});

describe('DRF keys that are not keys', () => {
  let server: TestServer;
  let key: string;

  before(async () => {
    server = await startServer();
    await server.createUser({ username: 'alice' });
    key = await server.tokenFor('alice');
  });
  after(() => server.close());

  test('wrong lengths, non-hex, SQL, LIKE wildcards, unicode and the stored hash itself: 401 "Invalid token."', async () => {
    const storedHash = ((await server.app.services.db.knex('authtoken_token').first('key_hash')) as { key_hash: string }).key_hash;
    const utf8AsHeader = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const pad40 = (s: string) => (s + 'a'.repeat(40)).slice(0, 40);
    const candidates: Record<string, string> = {
      '39 characters (the key minus one)': key.slice(0, 39),
      '41 characters (the key plus one)': `${key}0`,
      'the key twice': key + key,
      'one character': 'a',
      '4 KB': 'a'.repeat(4096),
      '40 non-hex letters': 'g'.repeat(40),
      '40 upper-case hex': key.toUpperCase(),
      '40 dashes': '-'.repeat(40),
      "SQL 'OR'1'='1": pad40("'OR'1'='1'--"),
      'SQL UNION': pad40("x'/**/UNION/**/SELECT/**/key_hash/**/FROM/**/authtoken_token--"),
      'SQL; DROP': pad40("';DROP/**/TABLE/**/authtoken_token;--"),
      'LIKE % wildcards': '%'.repeat(40),
      'LIKE _ wildcards': '_'.repeat(40),
      'glob *': '*'.repeat(40),
      '40 é (80 bytes of UTF-8)': utf8AsHeader('é'.repeat(40)),
      '20 emoji (40 UTF-16 units)': utf8AsHeader('😀'.repeat(20)),
      'right-to-left override': utf8AsHeader(pad40('\u202e' + key)),
      'fullwidth digits (NFKC-equal to hex)': utf8AsHeader('０'.repeat(40)),
      'the SHA-256 stored in the database': storedHash,
      'the first 40 characters of the stored hash': storedHash.slice(0, 40),
    };
    const wrong: string[] = [];
    for (const [name, candidate] of Object.entries(candidates)) {
      const r = await server.request('GET', '/api/secret/', { headers: { authorization: `Token ${candidate}` } });
      if (r.status !== 401 || JSON.stringify(r.body) !== JSON.stringify({ detail: 'Invalid token.' }) || r.headers.get('www-authenticate') !== 'Bearer realm="api"') {
        wrong.push(`${name}: ${r.status} ${r.text}`);
      }
    }
    // with spaces, DRF refuses before any lookup
    for (const candidate of ["' OR '1'='1' -- ", `${key} OR 1=1`]) {
      const r = await server.request('GET', '/api/secret/', { headers: { authorization: `Token ${candidate}` } });
      if (r.status !== 401 || r.body.detail !== 'Invalid token header. Token string should not contain spaces.') wrong.push(`${candidate}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(wrong, []);
    // the real key still works, and the table is intact
    assert.equal((await server.request('GET', '/api/secret/', { token: key })).status, 200);
    assert.equal(((await server.app.services.db.knex('authtoken_token').count({ n: '*' })) as { n: number | string }[])[0].n, 1);
  });

  test('bytes that are not UTF-8 are "Invalid token header. Token string should not contain invalid characters."', async () => {
    for (const raw of ['\u00ff'.repeat(40), `${key.slice(0, 39)}\u00c3`, '\u00c0\u00af'.repeat(20)]) {
      const r = await server.request('GET', '/api/secret/', { headers: { authorization: `Token ${raw}` } });
      assert.deepEqual([r.status, r.body], [401, { detail: 'Invalid token header. Token string should not contain invalid characters.' }]);
    }
  });

  test('a JWT sent as a DRF key, and a DRF key sent as a JWT, are refused by the scheme they claim', async () => {
    const { access } = await server.jwtFor('alice');
    const a = await server.request('GET', '/api/secret/', { headers: { authorization: `Token ${access}` } });
    assert.deepEqual([a.status, a.body], [401, { detail: 'Invalid token.' }]);
    const b = await server.request('GET', '/api/secret/', { headers: { authorization: `Bearer ${key}` } });
    assert.deepEqual([b.status, b.body], [401, bearerBody(GENERIC)]);
  });

  test('2000 wrong keys in a row: all 401, none a 5xx, and the real key still works', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, () => server.request('GET', '/api/secret/', { headers: { authorization: `Token ${crypto.randomBytes(20).toString('hex')}` } })),
      );
      for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(statuses), { 401: 2000 });
    assert.equal((await server.request('GET', '/api/secret/', { token: key })).status, 200);
  });
});
