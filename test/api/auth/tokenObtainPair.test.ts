/**
 * POST /api/token/ (simplejwt's TokenObtainPairView) and POST /auth/jwt/create/ (djoser's
 * route to the same view): `{"refresh", "access"}` for valid credentials.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';
import { assertReply, decodeJwt, postMultipart } from './jwt';

const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
  await server.createUser({ username: 'dormant', isActive: false });
});
after(() => server.close());

for (const PATH of ['/api/token/', '/auth/jwt/create/']) {
  describe(`POST ${PATH}`, () => {
    const obtain = (json: unknown) => server.request('POST', PATH, { json });

    test('valid credentials give 200 {"refresh", "access"}, and the access token authenticates', async () => {
      const r = await obtain({ username: 'alice', password: DEFAULT_PASSWORD });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body).sort(), ['access', 'refresh']);
      assertReply(await server.request('GET', '/api/secret/', { jwt: r.body.access }), 200, { message: 'Some secret message' });
    });

    test('the tokens carry simplejwt\'s header and claims, with the default lifetimes', async () => {
      const r = await obtain({ username: 'alice', password: DEFAULT_PASSWORD });
      const access = decodeJwt(r.body.access);
      const refresh = decodeJwt(r.body.refresh);
      assert.deepEqual(access.header, { alg: 'HS256', typ: 'JWT' });
      assert.deepEqual(refresh.header, { alg: 'HS256', typ: 'JWT' });
      assert.deepEqual(Object.keys(access.payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
      assert.deepEqual(Object.keys(refresh.payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
      assert.equal(access.payload.token_type, 'access');
      assert.equal(refresh.payload.token_type, 'refresh');
      for (const { payload } of [access, refresh]) {
        assert.equal(payload.user_id, aliceId);
        assert.match(String(payload.jti), /^[0-9a-f]{32}$/);
        assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp));
        assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 60);
      }
      assert.equal((access.payload.exp as number) - (access.payload.iat as number), 300);
      assert.equal((refresh.payload.exp as number) - (refresh.payload.iat as number), 86400);
      assert.notEqual(access.payload.jti, refresh.payload.jti);
    });

    test('every refresh token is recorded as outstanding', async () => {
      const r = await obtain({ username: 'alice', password: DEFAULT_PASSWORD });
      const { jti, exp } = decodeJwt(r.body.refresh).payload;
      const row = await server.app.services.db.knex('token_blacklist_outstandingtoken').where({ jti }).first();
      assert.ok(row, 'outstanding row');
      assert.equal(row.user_id, aliceId);
      assert.equal(Number(row.expires_at), (exp as number) * 1000);
    });

    test('a wrong password is 401 "No active account found with the given credentials" with WWW-Authenticate', async () => {
      const r = await obtain({ username: 'alice', password: 'wrong-password' });
      assertReply(r, 401, NO_ACCOUNT);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    });

    test('an unknown user and an inactive user get the same 401', async () => {
      assertReply(await obtain({ username: 'nobody', password: DEFAULT_PASSWORD }), 401, NO_ACCOUNT);
      assertReply(await obtain({ username: 'dormant', password: DEFAULT_PASSWORD }), 401, NO_ACCOUNT);
    });

    test('missing fields are 400 "This field is required."', async () => {
      assertReply(await obtain({}), 400, { username: ['This field is required.'], password: ['This field is required.'] });
      assertReply(await obtain({ username: 'alice' }), 400, { password: ['This field is required.'] });
      assertReply(await server.request('POST', PATH), 400, { username: ['This field is required.'], password: ['This field is required.'] });
    });

    test('blank fields are 400 "This field may not be blank."', async () => {
      assertReply(await obtain({ username: 'alice', password: '' }), 400, { password: ['This field may not be blank.'] });
    });

    test('a URL-encoded form and a multipart form work', async () => {
      const form = await server.request('POST', PATH, { form: { username: 'alice', password: DEFAULT_PASSWORD } });
      assert.equal(form.status, 200);
      assert.equal(decodeJwt(form.body.access).payload.user_id, aliceId);
      const multi = await postMultipart(server, PATH, { username: 'alice', password: DEFAULT_PASSWORD });
      assert.equal(multi.status, 200);
      assert.equal(decodeJwt(multi.body.refresh).payload.token_type, 'refresh');
    });

    test('the password is trimmed, as simplejwt\'s PasswordField (a CharField) does', async () => {
      assert.equal((await obtain({ username: ' alice ', password: ` ${DEFAULT_PASSWORD}\t` })).status, 200);
    });

    test('a bad Authorization header is ignored (authentication_classes = ())', async () => {
      const r = await server.request('POST', PATH, { json: { username: 'alice', password: DEFAULT_PASSWORD }, headers: { authorization: 'Token' } });
      assert.equal(r.status, 200);
    });
  });
}
