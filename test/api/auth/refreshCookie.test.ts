/** JWT_REFRESH_COOKIE: the refresh token also travels as an httpOnly, SameSite=Strict cookie. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

let on: TestServer;
let off: TestServer;

before(async () => {
  on = await startServer({ JWT_REFRESH_COOKIE: 'true', ROTATE_REFRESH_TOKENS: 'true' });
  off = await startServer();
  await on.createUser({ username: 'ann' });
  await off.createUser({ username: 'ann' });
});
after(async () => {
  await on.close();
  await off.close();
});

const cookieOf = (setCookie: string | null) => /refresh_token=([^;]*)/.exec(setCookie ?? '')?.[1];

test('obtaining a pair sets the refresh token as an httpOnly, SameSite=Strict cookie, and still returns it', async () => {
  const r = await on.request('POST', '/api/token/', { json: { username: 'ann', password: 'lemon-pass-123' } });
  assert.equal(r.status, 200);
  const setCookie = r.headers.get('set-cookie') ?? '';
  assert.equal(cookieOf(setCookie), r.body.refresh);
  assert.match(setCookie, /; HttpOnly/);
  assert.match(setCookie, /; SameSite=Strict/);
  assert.match(setCookie, /; Path=\//);
  assert.match(setCookie, /; Max-Age=86400/);
});

test('refresh and blacklist take the token from the cookie when the body has none', async () => {
  const pair = await on.request('POST', '/api/token/', { json: { username: 'ann', password: 'lemon-pass-123' } });
  const cookie = `refresh_token=${pair.body.refresh}`;
  const refreshed = await on.request('POST', '/api/token/refresh/', { json: {}, headers: { cookie } });
  assert.equal(refreshed.status, 200);
  assert.equal(typeof refreshed.body.access, 'string');
  // rotation: the new refresh token replaces the cookie
  assert.equal(cookieOf(refreshed.headers.get('set-cookie')), refreshed.body.refresh);
  const rotated = `refresh_token=${refreshed.body.refresh}`;
  const out = await on.request('POST', '/api/token/blacklist/', { json: {}, headers: { cookie: rotated } });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /refresh_token=; Max-Age=0/);
  const again = await on.request('POST', '/api/token/refresh/', { json: {}, headers: { cookie: rotated } });
  assert.deepEqual([again.status, again.body], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
});

test('with neither body nor cookie, refresh is the DRF required-field error', async () => {
  const r = await on.request('POST', '/api/token/refresh/', { json: {} });
  assert.deepEqual([r.status, r.body], [400, { refresh: ['This field is required.'] }]);
});

test('off by default: no cookie is set and a cookie is not read', async () => {
  const pair = await off.request('POST', '/api/token/', { json: { username: 'ann', password: 'lemon-pass-123' } });
  assert.equal(pair.headers.get('set-cookie'), null);
  const r = await off.request('POST', '/api/token/refresh/', { json: {}, headers: { cookie: `refresh_token=${pair.body.refresh}` } });
  assert.deepEqual([r.status, r.body], [400, { refresh: ['This field is required.'] }]);
});
