/** GET, PUT, PATCH, DELETE /auth/users/me/ (djoser's `me` action). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';

let server: TestServer;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'login=1000/minute' });
});
after(() => server.close());

let n = 0;
/** A fresh user and a DRF token for them. */
async function newUser(email = ''): Promise<{ username: string; token: string; id: number }> {
  const username = `me-user-${++n}`;
  const id = await server.createUser({ username, email });
  return { username, id, token: await server.tokenFor(username) };
}

test('GET me answers the caller as exactly {email, username}', async () => {
  const { username, token } = await newUser('me@example.com');
  const r = await server.request('GET', '/auth/users/me/', { token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'me@example.com', username });
});

test('GET me works with a JWT too', async () => {
  const { username } = await newUser('jwt@example.com');
  const { access } = await server.jwtFor(username);
  const r = await server.request('GET', '/auth/users/me/', { jwt: access });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'jwt@example.com', username });
});

test('PUT me changes the email; a username sent is ignored', async () => {
  const { username, token, id } = await newUser('old@example.com');
  const r = await server.request('PUT', '/auth/users/me/', { token, json: { email: 'new@example.com', username: 'hijack' } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'new@example.com', username });
  const row = await server.app.services.db.knex('auth_user').where({ id }).first();
  assert.equal(row.username, username);
  assert.equal(row.email, 'new@example.com');
  assert.equal(await server.app.services.db.knex('auth_user').where({ username: 'hijack' }).first(), undefined);
});

test('PATCH me changes the email, also from a form-encoded body', async () => {
  const { username, token } = await newUser('a@example.com');
  const json = await server.request('PATCH', '/auth/users/me/', { token, json: { email: 'b@example.com' } });
  assert.equal(json.status, 200);
  assert.deepEqual(json.body, { email: 'b@example.com', username });
  const form = await server.request('PATCH', '/auth/users/me/', { token, form: { email: 'c@example.com' } });
  assert.equal(form.status, 200);
  assert.deepEqual(form.body, { email: 'c@example.com', username });
  const get = await server.request('GET', '/auth/users/me/', { token });
  assert.deepEqual(get.body, { email: 'c@example.com', username });
});

test('PATCH me with an empty body changes nothing; a blank email clears it', async () => {
  const { username, token } = await newUser('keep@example.com');
  const empty = await server.request('PATCH', '/auth/users/me/', { token, json: {} });
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body, { email: 'keep@example.com', username });
  const blank = await server.request('PUT', '/auth/users/me/', { token, json: { email: '' } });
  assert.equal(blank.status, 200);
  assert.deepEqual(blank.body, { email: '', username });
});

test('PUT and PATCH me refuse a malformed email', async () => {
  const { token } = await newUser('fine@example.com');
  for (const method of ['PUT', 'PATCH']) {
    const r = await server.request(method, '/auth/users/me/', { token, json: { email: 'nope' } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { email: ['Enter a valid email address.'] });
  }
});

test('DELETE me without current_password is 400 "This field is required."', async () => {
  const { token } = await newUser();
  const r = await server.request('DELETE', '/auth/users/me/', { token });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { current_password: ['This field is required.'] });
  const withEmptyBody = await server.request('DELETE', '/auth/users/me/', { token, json: {} });
  assert.equal(withEmptyBody.status, 400);
  assert.deepEqual(withEmptyBody.body, { current_password: ['This field is required.'] });
});

test('DELETE me with a blank current_password is 400 "This field may not be blank."', async () => {
  const { token } = await newUser();
  const r = await server.request('DELETE', '/auth/users/me/', { token, json: { current_password: '' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { current_password: ['This field may not be blank.'] });
});

test('DELETE me with a wrong current_password is 400 "Invalid password." and deletes nothing', async () => {
  const { token, id } = await newUser();
  const r = await server.request('DELETE', '/auth/users/me/', { token, json: { current_password: 'not-my-password' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { current_password: ['Invalid password.'] });
  assert.ok(await server.app.services.db.knex('auth_user').where({ id }).first());
});

test('DELETE me with the password is 204; the user and their keys are gone', async () => {
  const { username, token, id } = await newUser();
  const other = await server.tokenFor(username);
  const r = await server.request('DELETE', '/auth/users/me/', { token, json: { current_password: DEFAULT_PASSWORD } });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal(await server.app.services.db.knex('auth_user').where({ id }).first(), undefined);
  assert.equal((await server.app.services.db.knex('authtoken_token').where({ user_id: id })).length, 0);
  const again = await server.request('GET', '/auth/users/me/', { token: other });
  assert.equal(again.status, 401);
  assert.deepEqual(again.body, { detail: 'Invalid token.' });
});

test('DELETE me accepts a form-encoded body', async () => {
  const { token, id } = await newUser();
  const r = await server.request('DELETE', '/auth/users/me/', { token, form: { current_password: DEFAULT_PASSWORD } });
  assert.equal(r.status, 204);
  assert.equal(await server.app.services.db.knex('auth_user').where({ id }).first(), undefined);
});

test('after DELETE me, the JWT of the deleted user is refused as "User not found", its refresh token as blacklisted', async () => {
  const { username } = await newUser();
  const { access, refresh } = await server.jwtFor(username);
  assert.equal((await server.request('DELETE', '/auth/users/me/', { jwt: access, json: { current_password: DEFAULT_PASSWORD } })).status, 204);
  const r = await server.request('GET', '/auth/users/me/', { jwt: access });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'User not found', code: 'user_not_found' });
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: { refresh } });
  assert.equal(refreshed.status, 401);
  assert.deepEqual(refreshed.body, { detail: 'Token is blacklisted', code: 'token_not_valid' });
});

test('every me method is 401 for an anonymous caller, even with a body', async () => {
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    const r = await server.request(method, '/auth/users/me/', method === 'GET' ? {} : { json: { email: 'x@example.com', current_password: 'x' } });
    assert.equal(r.status, 401, method);
    assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
  }
});
