/**
 * POST /api/token/refresh/ (simplejwt's TokenRefreshView) and POST /auth/jwt/refresh/, with
 * rotation off (the default): a new access token for a valid refresh token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, decodeJwt, forge, postMultipart, tamperSignature, tokenNotValid, unsigned } from './jwt';

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
});
after(() => server.close());

for (const PATH of ['/api/token/refresh/', '/auth/jwt/refresh/']) {
  describe(`POST ${PATH}`, () => {
    const refresh = (json: unknown) => server.request('POST', PATH, { json });

    test('a refresh token gives 200 {"access"}, a new access token that authenticates', async () => {
      const pair = await server.jwtFor('alice');
      const r = await refresh({ refresh: pair.refresh });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body), ['access']);
      const { payload } = decodeJwt(r.body.access);
      assert.equal(payload.token_type, 'access');
      assert.equal(payload.user_id, aliceId);
      assert.notEqual(payload.jti, decodeJwt(pair.access).payload.jti);
      assertReply(await server.request('GET', '/api/secret/', { jwt: r.body.access }), 200, { message: 'Some secret message' });
    });

    test('without rotation the same refresh token can be used again', async () => {
      const pair = await server.jwtFor('alice');
      assert.equal((await refresh({ refresh: pair.refresh })).status, 200);
      assert.equal((await refresh({ refresh: pair.refresh })).status, 200);
    });

    test('a URL-encoded form works (the course sends refresh tokens that way)', async () => {
      const pair = await server.jwtFor('alice');
      const r = await server.request('POST', PATH, { form: { refresh: pair.refresh } });
      assert.equal(r.status, 200);
      assert.equal(decodeJwt(r.body.access).payload.token_type, 'access');
    });

    test('a multipart form works', async () => {
      const pair = await server.jwtFor('alice');
      const r = await postMultipart(server, PATH, { refresh: pair.refresh });
      assert.equal(r.status, 200);
    });

    test('a missing field is 400 {"refresh": ["This field is required."]}', async () => {
      assertReply(await refresh({}), 400, { refresh: ['This field is required.'] });
      assertReply(await server.request('POST', PATH), 400, { refresh: ['This field is required.'] });
      assertReply(await server.request('POST', PATH, { form: {} }), 400, { refresh: ['This field is required.'] });
    });

    test('a blank or null field is 400 in DRF\'s words', async () => {
      assertReply(await refresh({ refresh: '' }), 400, { refresh: ['This field may not be blank.'] });
      assertReply(await refresh({ refresh: null }), 400, { refresh: ['This field may not be null.'] });
    });

    test('an access token is 401 "Token has wrong type"', async () => {
      const pair = await server.jwtFor('alice');
      const r = await refresh({ refresh: pair.access });
      assertReply(r, 401, tokenNotValid('Token has wrong type'));
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    });

    test('garbage, a tampered signature and an unsigned token are 401 "Token is invalid or expired"', async () => {
      const pair = await server.jwtFor('alice');
      assertReply(await refresh({ refresh: 'garbage' }), 401, tokenNotValid());
      assertReply(await refresh({ refresh: tamperSignature(pair.refresh) }), 401, tokenNotValid());
      assertReply(await refresh({ refresh: unsigned(claimsFor('refresh', aliceId)) }), 401, tokenNotValid());
    });

    test('an expired refresh token is 401 "Token is invalid or expired"', async () => {
      const expired = forge(server, { ...claimsFor('refresh', aliceId), exp: Math.floor(Date.now() / 1000) - 1 });
      assertReply(await refresh({ refresh: expired }), 401, tokenNotValid());
    });

    test('forged tokens missing a claim get simplejwt\'s messages', async () => {
      const base = claimsFor('refresh', aliceId);
      const without = (name: string) => {
        const c: Record<string, unknown> = { ...base };
        delete c[name];
        return forge(server, c);
      };
      assertReply(await refresh({ refresh: without('exp') }), 401, tokenNotValid("Token has no 'exp' claim"));
      assertReply(await refresh({ refresh: without('jti') }), 401, tokenNotValid('Token has no id'));
      assertReply(await refresh({ refresh: without('token_type') }), 401, tokenNotValid('Token has no type'));
    });

    test('a blacklisted refresh token is 401 "Token is blacklisted"', async () => {
      const pair = await server.jwtFor('alice');
      assert.equal((await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } })).status, 200);
      assertReply(await refresh({ refresh: pair.refresh }), 401, tokenNotValid('Token is blacklisted'));
    });

    test('an inactive user cannot refresh (simplejwt >= 5.3.1)', async () => {
      const id = await server.createUser({ username: `sleepy${PATH.length}` });
      const pair = await server.jwtFor(`sleepy${PATH.length}`);
      await server.app.services.db.knex('auth_user').where({ id }).update({ is_active: false });
      const r = await refresh({ refresh: pair.refresh });
      assertReply(r, 401, { detail: 'No active account found for the given token.' });
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    });

    test('a deleted user cannot refresh', async () => {
      const id = await server.createUser({ username: `gone${PATH.length}` });
      const pair = await server.jwtFor(`gone${PATH.length}`);
      await server.app.services.db.knex('auth_user').where({ id }).delete();
      assertReply(await refresh({ refresh: pair.refresh }), 401, { detail: 'No active account found for the given token.' });
    });
  });
}
