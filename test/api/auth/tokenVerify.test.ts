/**
 * POST /api/token/verify/ (simplejwt's TokenVerifyView) and POST /auth/jwt/verify/: 200 {} for
 * any valid token of ours, access or refresh; unlike simplejwt, a blacklisted refresh token
 * and a revoked access token are refused too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, forge, postMultipart, signHs256, tamperSignature, tokenNotValid, unsigned } from './jwt';

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
});
after(() => server.close());

for (const PATH of ['/api/token/verify/', '/auth/jwt/verify/']) {
  describe(`POST ${PATH}`, () => {
    const verify = (token: unknown) => server.request('POST', PATH, { json: { token } });

    test('an access token and a refresh token both give 200 {}', async () => {
      const pair = await server.jwtFor('alice');
      assertReply(await verify(pair.access), 200, {});
      assertReply(await verify(pair.refresh), 200, {});
    });

    test('a token without token_type is still valid here (UntypedToken)', async () => {
      const claims: Record<string, unknown> = claimsFor('access', aliceId);
      delete claims.token_type;
      assertReply(await verify(forge(server, claims)), 200, {});
    });

    test('a URL-encoded form and a multipart form work', async () => {
      const pair = await server.jwtFor('alice');
      assertReply(await server.request('POST', PATH, { form: { token: pair.refresh } }), 200, {});
      const multi = await postMultipart(server, PATH, { token: pair.access });
      assert.deepEqual([multi.status, multi.body], [200, {}]);
    });

    test('a missing field is 400 {"token": ["This field is required."]}', async () => {
      assertReply(await server.request('POST', PATH, { json: {} }), 400, { token: ['This field is required.'] });
      assertReply(await server.request('POST', PATH), 400, { token: ['This field is required.'] });
      assertReply(await verify(''), 400, { token: ['This field may not be blank.'] });
    });

    test('garbage, a tampered signature, alg none and a foreign key are 401 "Token is invalid or expired"', async () => {
      const pair = await server.jwtFor('alice');
      for (const token of [
        'garbage',
        tamperSignature(pair.access),
        unsigned(claimsFor('access', aliceId)),
        signHs256(claimsFor('access', aliceId), 'not-our-secret-not-our-secret-not-our'),
      ]) {
        const r = await verify(token);
        assertReply(r, 401, tokenNotValid());
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
      }
    });

    test('an expired token is 401 "Token is invalid or expired"', async () => {
      assertReply(await verify(forge(server, { ...claimsFor('access', aliceId), exp: Math.floor(Date.now() / 1000) - 5 })), 401, tokenNotValid());
    });

    test('forged tokens missing exp or jti get simplejwt\'s messages', async () => {
      const noExp: Record<string, unknown> = claimsFor('access', aliceId);
      delete noExp.exp;
      const noJti: Record<string, unknown> = claimsFor('access', aliceId);
      delete noJti.jti;
      assertReply(await verify(forge(server, noExp)), 401, tokenNotValid("Token has no 'exp' claim"));
      assertReply(await verify(forge(server, noJti)), 401, tokenNotValid('Token has no id'));
    });

    test('a blacklisted refresh token is refused (unlike simplejwt)', async () => {
      const pair = await server.jwtFor('alice');
      assert.equal((await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } })).status, 200);
      assertReply(await verify(pair.refresh), 401, tokenNotValid('Token is blacklisted'));
      // The access token of the pair is not a refresh token: blacklisting does not touch it.
      assertReply(await verify(pair.access), 200, {});
    });
  });
}

test('an access token revoked by logout-all is refused', async () => {
  const id = await server.createUser({ username: 'bob' });
  const pair = await server.jwtFor('bob');
  const key = await server.tokenFor('bob');
  assert.equal((await server.request('POST', '/auth/token/logoutall/', { token: key })).status, 204);
  assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.access } }), 401, tokenNotValid());
  assert.ok(id > 0);
});
