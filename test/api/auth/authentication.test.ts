/**
 * The security schemes, through real requests: TokenAuth (`Authorization: Token <key>`, DRF's
 * TokenAuthentication) and JWTAuth (`Authorization: Bearer <jwt>`, simplejwt's
 * JWTAuthentication), on an authenticated endpoint (GET /api/secret/), on one open to
 * anonymous callers (GET /api/menu-items) and on simplejwt's views, which ignore the header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, decodeJwt, forge, invalidAccess, signHs256, tamperSignature, unsigned, withPayload } from './jwt';

let server: TestServer;
let aliceId: number;
let aliceKey: string;
let alicePair: { access: string; refresh: string };

const SECRET_OK = { message: 'Some secret message' };
const WWW = 'Bearer realm="api"';

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
  aliceKey = await server.tokenFor('alice');
  alicePair = await server.jwtFor('alice');
});
after(() => server.close());

const secret = (headers: Record<string, string> = {}) => server.request('GET', '/api/secret/', { headers });

describe('no credentials', () => {
  test('an authenticated endpoint answers 401 with WWW-Authenticate: Bearer realm="api"', async () => {
    const r = await secret();
    assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('an empty Authorization header counts as no credentials', async () => {
    const r = await secret({ authorization: '' });
    assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
  });

  test('an unknown scheme is no credentials, not a bad one', async () => {
    const r = await secret({ authorization: 'Basic YWxpY2U6cGFzcw==' });
    assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('the lower-case keyword "bearer" is not simplejwt\'s (its keyword is case-sensitive)', async () => {
    const r = await secret({ authorization: `bearer ${alicePair.access}` });
    assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
  });
});

describe('TokenAuth', () => {
  test('a valid key authenticates', async () => {
    const r = await server.request('GET', '/api/secret/', { token: aliceKey });
    assertReply(r, 200, SECRET_OK);
  });

  test('the keyword is case-insensitive, as DRF\'s', async () => {
    assertReply(await secret({ authorization: `token ${aliceKey}` }), 200, SECRET_OK);
    assertReply(await secret({ authorization: `TOKEN ${aliceKey}` }), 200, SECRET_OK);
  });

  test('surrounding and repeated whitespace is tolerated, as bytes.split() does', async () => {
    assertReply(await secret({ authorization: `Token \t ${aliceKey}  ` }), 200, SECRET_OK);
  });

  test('an unknown key is 401 "Invalid token." with the first scheme\'s WWW-Authenticate', async () => {
    const r = await server.request('GET', '/api/secret/', { token: 'f'.repeat(40) });
    assertReply(r, 401, { detail: 'Invalid token.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('a key of the wrong length is "Invalid token."', async () => {
    assertReply(await server.request('GET', '/api/secret/', { token: 'bad' }), 401, { detail: 'Invalid token.' });
    assertReply(await server.request('GET', '/api/secret/', { token: `${aliceKey}0` }), 401, { detail: 'Invalid token.' });
  });

  test('keys are compared exactly: the upper-case form of a valid key is refused', async () => {
    assertReply(await server.request('GET', '/api/secret/', { token: aliceKey.toUpperCase() }), 401, { detail: 'Invalid token.' });
  });

  test('"Token" with no key is "Invalid token header. No credentials provided."', async () => {
    const r = await secret({ authorization: 'Token' });
    assertReply(r, 401, { detail: 'Invalid token header. No credentials provided.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
    assertReply(await secret({ authorization: 'Token   ' }), 401, { detail: 'Invalid token header. No credentials provided.' });
  });

  test('a key with spaces is "Invalid token header. Token string should not contain spaces."', async () => {
    const r = await secret({ authorization: `Token ${aliceKey.slice(0, 20)} ${aliceKey.slice(20)}` });
    assertReply(r, 401, { detail: 'Invalid token header. Token string should not contain spaces.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('a key that is not UTF-8 is "Invalid token header. Token string should not contain invalid characters."', async () => {
    // \xe9 alone (latin-1 é) is not valid UTF-8; DRF decodes the key as UTF-8.
    const r = await secret({ authorization: 'Token abc\xe9def' });
    assertReply(r, 401, { detail: 'Invalid token header. Token string should not contain invalid characters.' });
  });

  test('a no-break space is part of the key, not a separator (Python splits on ASCII whitespace only)', async () => {
    const r = await secret({ authorization: `Token ${aliceKey}\xa0x` });
    assertReply(r, 401, { detail: 'Invalid token header. Token string should not contain invalid characters.' });
  });

  test('a key made of valid UTF-8 that no one holds is simply "Invalid token."', async () => {
    // "é" in UTF-8 is two bytes; Node hands them over as two latin-1 characters.
    const r = await secret({ authorization: `Token ${Buffer.from('clé', 'utf8').toString('latin1')}` });
    assertReply(r, 401, { detail: 'Invalid token.' });
  });
});

describe('JWTAuth', () => {
  test('a valid access token authenticates', async () => {
    assertReply(await server.request('GET', '/api/secret/', { jwt: alicePair.access }), 200, SECRET_OK);
  });

  test('"Bearer" alone is 401 bad_authorization_header', async () => {
    const r = await secret({ authorization: 'Bearer' });
    assertReply(r, 401, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('"Bearer" with a token holding a space is 401 bad_authorization_header', async () => {
    const r = await secret({ authorization: `Bearer ${alicePair.access} extra` });
    assertReply(r, 401, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
  });

  test('a token that is not a JWT is 401 token_not_valid with messages', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: 'not-a-jwt' });
    assertReply(r, 401, invalidAccess('Token is invalid or expired'));
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('a refresh token is refused where an access token is expected: "Token has wrong type"', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: alicePair.refresh });
    assertReply(r, 401, invalidAccess('Token has wrong type'));
  });

  test('a tampered signature is refused', async () => {
    assertReply(await server.request('GET', '/api/secret/', { jwt: tamperSignature(alicePair.access) }), 401, invalidAccess('Token is invalid or expired'));
  });

  test('a payload changed under the original signature is refused', async () => {
    const { payload } = decodeJwt(alicePair.access);
    const forged = withPayload(alicePair.access, { ...payload, user_id: aliceId + 1000 });
    assertReply(await server.request('GET', '/api/secret/', { jwt: forged }), 401, invalidAccess('Token is invalid or expired'));
  });

  test('an unsigned token (alg: none) is refused', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: unsigned(claimsFor('access', aliceId)) });
    assertReply(r, 401, invalidAccess('Token is invalid or expired'));
  });

  test('a token signed with another secret is refused', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: signHs256(claimsFor('access', aliceId), 'someone-else-secret-key-0123456789abcdef') });
    assertReply(r, 401, invalidAccess('Token is invalid or expired'));
  });

  test('a token of another HMAC algorithm (HS512) is refused: the algorithm is pinned', async () => {
    const crypto = await import('node:crypto');
    const header = Buffer.from(JSON.stringify({ alg: 'HS512', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claimsFor('access', aliceId))).toString('base64url');
    const sig = crypto.createHmac('sha512', server.app.services.settings.secretKey).update(`${header}.${body}`).digest('base64url');
    assertReply(await server.request('GET', '/api/secret/', { jwt: `${header}.${body}.${sig}` }), 401, invalidAccess('Token is invalid or expired'));
  });

  test('an expired token is refused', async () => {
    const claims = { ...claimsFor('access', aliceId), exp: Math.floor(Date.now() / 1000) - 10 };
    assertReply(await server.request('GET', '/api/secret/', { jwt: forge(server, claims) }), 401, invalidAccess('Token is invalid or expired'));
  });

  test('forged tokens missing a claim get simplejwt\'s messages', async () => {
    const base = claimsFor('access', aliceId);
    const without = (name: string) => {
      const c: Record<string, unknown> = { ...base };
      delete c[name];
      return forge(server, c);
    };
    assertReply(await server.request('GET', '/api/secret/', { jwt: without('exp') }), 401, invalidAccess("Token has no 'exp' claim"));
    assertReply(await server.request('GET', '/api/secret/', { jwt: without('jti') }), 401, invalidAccess('Token has no id'));
    assertReply(await server.request('GET', '/api/secret/', { jwt: without('token_type') }), 401, invalidAccess('Token has no type'));
    assertReply(await server.request('GET', '/api/secret/', { jwt: without('user_id') }), 401, {
      detail: 'Token contained no recognizable user identification',
      code: 'token_not_valid',
    });
  });

  test('a token whose user_id is the id as a string (as some simplejwt versions write it) still works', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: forge(server, { ...claimsFor('access', aliceId), user_id: String(aliceId) }) });
    assertReply(r, 200, SECRET_OK);
  });

  test('a token naming a user that does not exist is 401 user_not_found', async () => {
    const r = await server.request('GET', '/api/secret/', { jwt: forge(server, claimsFor('access', 999_999)) });
    assertReply(r, 401, { detail: 'User not found', code: 'user_not_found' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
  });

  test('a user deleted after getting a JWT is 401 {"detail": "User not found", "code": "user_not_found"}', async () => {
    const id = await server.createUser({ username: 'ghost' });
    const pair = await server.jwtFor('ghost');
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, SECRET_OK);
    await server.app.services.db.knex('auth_user').where({ id }).delete();
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, { detail: 'User not found', code: 'user_not_found' });
  });
});

describe('deleted users', () => {
  test('a DRF key of a deleted user is "Invalid token." (the key went with the user)', async () => {
    const id = await server.createUser({ username: 'gone-token' });
    const key = await server.tokenFor('gone-token');
    await server.app.services.db.knex('auth_user').where({ id }).delete();
    assertReply(await server.request('GET', '/api/secret/', { token: key }), 401, { detail: 'Invalid token.' });
  });
});

describe('inactive users', () => {
  test('cannot use an existing DRF key: "User inactive or deleted."', async () => {
    const id = await server.createUser({ username: 'sleepy-token' });
    const key = await server.tokenFor('sleepy-token');
    await server.app.services.db.knex('auth_user').where({ id }).update({ is_active: false });
    assertReply(await server.request('GET', '/api/secret/', { token: key }), 401, { detail: 'User inactive or deleted.' });
  });

  test('cannot use an existing access token: user_inactive', async () => {
    const id = await server.createUser({ username: 'sleepy-jwt' });
    const pair = await server.jwtFor('sleepy-jwt');
    await server.app.services.db.knex('auth_user').where({ id }).update({ is_active: false });
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, { detail: 'User is inactive', code: 'user_inactive' });
  });
});

describe('endpoints open to anonymous callers', () => {
  test('answer without credentials', async () => {
    const r = await server.request('GET', '/api/menu-items');
    assert.equal(r.status, 200);
  });

  test('still refuse a bad credential with 401, as DRF does', async () => {
    const r = await server.request('GET', '/api/menu-items', { headers: { authorization: 'Token bad' } });
    assertReply(r, 401, { detail: 'Invalid token.' });
    assert.equal(r.headers.get('www-authenticate'), WWW);
    assertReply(await server.request('GET', '/api/menu-items', { jwt: 'bad' }), 401, invalidAccess('Token is invalid or expired'));
    assertReply(await server.request('GET', '/api/menu-items', { headers: { authorization: 'Token' } }), 401, {
      detail: 'Invalid token header. No credentials provided.',
    });
  });

  test('the login endpoints also refuse a bad credential (DRF runs its authenticators there)', async () => {
    const body = { json: { username: 'alice', password: 'lemon-pass-123' }, headers: { authorization: 'Token bad' } };
    assertReply(await server.request('POST', '/auth/token/login/', body), 401, { detail: 'Invalid token.' });
    assertReply(await server.request('POST', '/api/api-token-auth/', body), 401, { detail: 'Invalid token.' });
  });
});

describe("simplejwt's views (security: [])", () => {
  test('ignore a bad Authorization header altogether', async () => {
    const headers = { authorization: 'Token bad' };
    const pair = await server.request('POST', '/api/token/', { json: { username: 'alice', password: 'lemon-pass-123' }, headers });
    assert.equal(pair.status, 200);
    const bearer = { authorization: 'Bearer' };
    assert.equal((await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.body.refresh }, headers: bearer })).status, 200);
    assert.equal((await server.request('POST', '/api/token/verify/', { json: { token: pair.body.access }, headers: bearer })).status, 200);
    assert.equal((await server.request('POST', '/auth/jwt/create/', { json: { username: 'alice', password: 'lemon-pass-123' }, headers: bearer })).status, 200);
  });
});
