/**
 * DRF keys and refresh tokens through the admin API: a key is shown once and works over HTTP,
 * listed by its prefix only, revoked one by one or all at once; a user's refresh tokens are
 * listed and blacklisted; logout-all revokes keys and refresh tokens (and access tokens).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { createCast, expect, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=100000/minute,default_anon=100000/minute,login=100000/minute,login_username=100000/minute' });
  cast = await createCast(server);
});
after(() => server.close());

function jtiOf(jwt: string): string {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti as string;
}

test('a key created for a user is shown once, works over HTTP, is listed by its prefix only, and stops working when revoked', async () => {
  const id = await server.createUser({ username: 'mario', email: 'mario@example.com' });
  const made = await server.request('POST', `/api/admin/users/${id}/tokens`, cast.staff.token);
  expect(made, 201);
  const { key, prefix } = made.body;
  assert.match(key, /^[0-9a-f]{40}$/);
  assert.equal(prefix, key.slice(0, 8));
  assert.equal(made.body.last_used, null);
  assert.ok(!Number.isNaN(Date.parse(made.body.created)));

  expect(await server.request('GET', '/api/secret/', { headers: { authorization: `Token ${key}` } }), 200, { message: 'Some secret message' });

  const listed = await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token);
  expect(listed, 200);
  assert.equal(listed.body.length, 1);
  assert.deepEqual(Object.keys(listed.body[0]).sort(), ['created', 'id', 'last_used', 'prefix']);
  assert.equal(listed.body[0].id, made.body.id);
  assert.equal(listed.body[0].prefix, prefix);
  assert.ok(listed.body[0].last_used, 'the use above is recorded');
  assert.ok(!listed.text.includes(key), 'the key is never shown again');

  // Another user's path does not reach this key.
  expect(await server.request('DELETE', `/api/admin/users/${cast.user.id}/tokens/${made.body.id}`, cast.staff.token), 404);
  expect(await server.request('GET', '/api/secret/', { token: key }), 200);
  expect(await server.request('DELETE', `/api/admin/users/${id}/tokens/${made.body.id}`, cast.staff.token), 204);
  expect(await server.request('GET', '/api/secret/', { token: key }), 401, { detail: 'Invalid token.' });
  expect(await server.request('DELETE', `/api/admin/users/${id}/tokens/${made.body.id}`, cast.staff.token), 404);
  assert.deepEqual((await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token)).body, []);
});

test('keys made by the logins carry their prefix; revoke-all ends every one of them', async () => {
  await server.createUser({ username: 'anna', email: 'anna@example.com' });
  const a = await server.tokenFor('anna');
  const r = await server.request('POST', '/api/api-token-auth/', { json: { username: 'anna', password: 'lemon-pass-123' } });
  const b = r.body.token as string;
  const id = (await server.app.services.db.users.findByUsername('anna'))!.id;
  const listed = await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token);
  assert.deepEqual(listed.body.map((k: { prefix: string }) => k.prefix).sort(), [a.slice(0, 8), b.slice(0, 8)].sort());
  expect(await server.request('DELETE', `/api/admin/users/${id}/tokens`, cast.staff.token), 204);
  for (const key of [a, b]) expect(await server.request('GET', '/api/secret/', { token: key }), 401);
  assert.deepEqual((await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token)).body, []);
});

test("refresh tokens: listed with their family, one blacklisted (idempotent), then refused; the blacklist lists it", async () => {
  await server.createUser({ username: 'bea', email: 'bea@example.com' });
  const id = (await server.app.services.db.users.findByUsername('bea'))!.id;
  const first = await server.jwtFor('bea');
  const second = await server.jwtFor('bea');
  const listed = await server.request('GET', `/api/admin/users/${id}/refresh-tokens`, cast.staff.token);
  expect(listed, 200);
  assert.equal(listed.body.length, 2);
  const jti = jtiOf(first.refresh);
  const row = listed.body.find((t: { jti: string }) => t.jti === jti);
  assert.deepEqual({ blacklisted: row.blacklisted, family: row.family }, { blacklisted: false, family: jti });
  assert.ok(Date.parse(row.expires_at) > Date.parse(row.created_at));

  expect(await server.request('POST', `/api/admin/users/${id}/refresh-tokens/${jti}/blacklist`, cast.staff.token), 204);
  expect(await server.request('POST', `/api/admin/users/${id}/refresh-tokens/${jti}/blacklist`, cast.staff.token), 204);
  expect(await server.request('POST', '/api/token/refresh/', { json: { refresh: first.refresh } }), 401, { detail: 'Token is blacklisted', code: 'token_not_valid' });
  expect(await server.request('POST', '/api/token/refresh/', { json: { refresh: second.refresh } }), 200);
  // Another user's path does not reach it.
  expect(await server.request('POST', `/api/admin/users/${cast.user.id}/refresh-tokens/${jtiOf(second.refresh)}/blacklist`, cast.staff.token), 404);

  const after = await server.request('GET', `/api/admin/users/${id}/refresh-tokens`, cast.staff.token);
  assert.equal(after.body.find((t: { jti: string }) => t.jti === jti).blacklisted, true);
  const blacklist = await server.request('GET', '/api/admin/blacklist', cast.staff.token);
  expect(blacklist, 200);
  const entry = blacklist.body.results.find((t: { jti: string }) => t.jti === jti);
  assert.deepEqual({ user_id: entry.user_id, username: entry.username }, { user_id: id, username: 'bea' });
});

test('logout-all revokes every key, every refresh token and every access token of the user', async () => {
  await server.createUser({ username: 'carla', email: 'carla@example.com' });
  const id = (await server.app.services.db.users.findByUsername('carla'))!.id;
  const key = await server.tokenFor('carla');
  const pair = await server.jwtFor('carla');
  const other = await server.tokenFor('user');
  expect(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200);
  expect(await server.request('POST', `/api/admin/users/${id}/logout-all`, cast.staff.token), 204);
  expect(await server.request('GET', '/api/secret/', { token: key }), 401);
  expect(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401);
  expect(await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } }), 401);
  assert.deepEqual((await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token)).body, []);
  const refresh = await server.request('GET', `/api/admin/users/${id}/refresh-tokens`, cast.staff.token);
  assert.ok(refresh.body.length > 0 && refresh.body.every((t: { blacklisted: boolean }) => t.blacklisted));
  // Other users keep their sessions.
  expect(await server.request('GET', '/api/secret/', { token: other }), 200);
  // And the user can sign in again.
  expect(await server.request('POST', '/api/token/', { json: { username: 'carla', password: 'lemon-pass-123' } }), 200);
});

test('a deactivated user cannot authenticate with the keys they hold; reactivated, they can', async () => {
  await server.createUser({ username: 'dino', email: 'dino@example.com' });
  const id = (await server.app.services.db.users.findByUsername('dino'))!.id;
  const key = await server.tokenFor('dino');
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_active: false } }), 200);
  expect(await server.request('GET', '/api/secret/', { token: key }), 401);
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_active: true } }), 200);
  expect(await server.request('GET', '/api/secret/', { token: key }), 200);
});
