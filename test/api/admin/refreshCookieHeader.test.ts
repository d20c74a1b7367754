/**
 * `X-Refresh-Cookie: 1` on the JWT create, refresh and blacklist operations (the /admin
 * console's sign-in): whatever JWT_REFRESH_COOKIE says (off here), the refresh token is set in
 * the httpOnly, SameSite=Strict `refresh_token` cookie with Path=/api/token/, read from it when
 * the body has none, and cleared by blacklist. Without the header, nothing changes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

let server: TestServer;
let rotating: TestServer;
const ASK = { 'x-refresh-cookie': '1' };
const CREDENTIALS = { username: 'ann', password: 'lemon-pass-123' };

before(async () => {
  server = await startServer();
  rotating = await startServer({ ROTATE_REFRESH_TOKENS: 'true' });
  await server.createUser({ username: 'ann', isStaff: true });
  await rotating.createUser({ username: 'ann' });
});
after(async () => {
  await server.close();
  await rotating.close();
});

const cookieOf = (setCookie: string | null) => /refresh_token=([^;]*)/.exec(setCookie ?? '')?.[1];

test('with the header, a new pair sets the cookie (httpOnly, SameSite=Strict, Path=/api/token/) and the body keeps both tokens', async () => {
  for (const path of ['/api/token/', '/auth/jwt/create/']) {
    const r = await server.request('POST', path, { json: CREDENTIALS, headers: ASK });
    assert.equal(r.status, 200, r.text);
    const setCookie = r.headers.get('set-cookie') ?? '';
    assert.equal(cookieOf(setCookie), r.body.refresh);
    assert.equal(typeof r.body.access, 'string');
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\/api\/token\/(;|$)/);
    assert.match(setCookie, /; Max-Age=86400/);
    assert.doesNotMatch(setCookie, /Secure/, 'SITE_URL is http here');
  }
});

test('without the header (and JWT_REFRESH_COOKIE off) no cookie is set, and a cookie alone is not read', async () => {
  const r = await server.request('POST', '/api/token/', { json: CREDENTIALS });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('set-cookie'), null);
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: {}, headers: { cookie: `refresh_token=${r.body.refresh}` } });
  assert.equal(refreshed.status, 400);
  assert.deepEqual(refreshed.body, { refresh: ['This field is required.'] });
});

test('refresh and blacklist read the cookie when the header is sent and the body has none; blacklist clears it', async () => {
  const pair = await server.request('POST', '/api/token/', { json: CREDENTIALS, headers: ASK });
  const cookie = `refresh_token=${pair.body.refresh}`;
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: {}, headers: { ...ASK, cookie } });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal(typeof refreshed.body.access, 'string');
  // The access token works; the admin API answers it (ann is staff).
  assert.equal((await server.request('GET', '/api/admin/users', { jwt: refreshed.body.access })).status, 200);

  const out = await server.request('POST', '/api/token/blacklist/', { json: {}, headers: { ...ASK, cookie } });
  assert.equal(out.status, 200, out.text);
  assert.match(out.headers.get('set-cookie') ?? '', /^refresh_token=; Max-Age=0; Path=\/api\/token\/;/);
  const again = await server.request('POST', '/api/token/refresh/', { json: {}, headers: { ...ASK, cookie } });
  assert.equal(again.status, 401);
  assert.deepEqual(again.body, { detail: 'Token is blacklisted', code: 'token_not_valid' });
});

test('with rotation, the header makes refresh set the new refresh token in the cookie', async () => {
  const pair = await rotating.request('POST', '/api/token/', { json: CREDENTIALS, headers: ASK });
  const refreshed = await rotating.request('POST', '/api/token/refresh/', { json: {}, headers: { ...ASK, cookie: `refresh_token=${pair.body.refresh}` } });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal(cookieOf(refreshed.headers.get('set-cookie')), refreshed.body.refresh);
  assert.notEqual(refreshed.body.refresh, pair.body.refresh);
});

test('a refresh in the body wins over the cookie; a header value other than 1 asks for nothing', async () => {
  const a = await server.request('POST', '/api/token/', { json: CREDENTIALS });
  const r = await server.request('POST', '/api/token/refresh/', { json: { refresh: a.body.refresh }, headers: { ...ASK, cookie: 'refresh_token=garbage' } });
  assert.equal(r.status, 200, r.text);
  const no = await server.request('POST', '/api/token/', { json: CREDENTIALS, headers: { 'x-refresh-cookie': '0' } });
  assert.equal(no.status, 200);
  assert.equal(no.headers.get('set-cookie'), null);
});
