/**
 * GET, PUT, PATCH, DELETE /auth/users/{username}/ (djoser's detail routes, lookup by username,
 * CurrentUserOrAdmin with HIDE_USERS: someone else's record is 404 for every method; djoser's
 * 403 for DELETE is not copied, #14).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';

let server: TestServer;
let adminToken: string;
let aliceToken: string;
let bobId: number;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'login=1000/minute' });
  await server.createUser({ username: 'admin', email: 'admin@example.com', isStaff: true, password: 'admin-secret-99' });
  await server.createUser({ username: 'alice', email: 'alice@example.com' });
  bobId = await server.createUser({ username: 'bob', email: 'bob@example.com' });
  adminToken = await server.tokenFor('admin', 'admin-secret-99');
  aliceToken = await server.tokenFor('alice');
});
after(() => server.close());

const NOT_FOUND = { detail: 'Not found.' };

test('a user may GET their own record by username', async () => {
  const r = await server.request('GET', '/auth/users/alice/', { token: aliceToken });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'alice@example.com', username: 'alice' });
});

test('an admin may GET anyone', async () => {
  const r = await server.request('GET', '/auth/users/bob/', { token: adminToken });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'bob@example.com', username: 'bob' });
});

test("someone else's record is 404 for a non-admin, as for an unknown username (HIDE_USERS)", async () => {
  const other = await server.request('GET', '/auth/users/bob/', { token: aliceToken });
  assert.equal(other.status, 404);
  assert.deepEqual(other.body, NOT_FOUND);
  const unknown = await server.request('GET', '/auth/users/nobody/', { token: aliceToken });
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body, NOT_FOUND);
});

test('an unknown username is 404 for an admin', async () => {
  const r = await server.request('GET', '/auth/users/nobody/', { token: adminToken });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

test('the lookup is by exact username', async () => {
  const r = await server.request('GET', '/auth/users/ALICE/', { token: aliceToken });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

test('a user may PUT and PATCH their own email; a username sent is ignored', async () => {
  const put = await server.request('PUT', '/auth/users/alice/', { token: aliceToken, json: { email: 'alice2@example.com', username: 'eve' } });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { email: 'alice2@example.com', username: 'alice' });
  const patch = await server.request('PATCH', '/auth/users/alice/', { token: aliceToken, form: { email: 'alice@example.com' } });
  assert.equal(patch.status, 200);
  assert.deepEqual(patch.body, { email: 'alice@example.com', username: 'alice' });
});

test("a non-admin's PUT or PATCH of someone else is 404 and changes nothing", async () => {
  for (const method of ['PUT', 'PATCH']) {
    const r = await server.request(method, '/auth/users/bob/', { token: aliceToken, json: { email: 'evil@example.com' } });
    assert.equal(r.status, 404, method);
    assert.deepEqual(r.body, NOT_FOUND);
  }
  const row = await server.app.services.db.knex('auth_user').where({ id: bobId }).first();
  assert.equal(row.email, 'bob@example.com');
});

test("an admin may PATCH someone else's email", async () => {
  const r = await server.request('PATCH', '/auth/users/bob/', { token: adminToken, json: { email: 'bobby@example.com' } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'bobby@example.com', username: 'bob' });
  const back = await server.request('PUT', '/auth/users/bob/', { token: adminToken, json: { email: 'bob@example.com' } });
  assert.deepEqual(back.body, { email: 'bob@example.com', username: 'bob' });
});

test('usernames with @ . + - _ work in the path, percent-encoded or not', async () => {
  await server.createUser({ username: 'j.doe+x_1@home-1', email: 'jd@example.com' });
  const token = await server.tokenFor('j.doe+x_1@home-1');
  for (const path of ['/auth/users/j.doe+x_1@home-1/', '/auth/users/j.doe%2Bx_1%40home-1/']) {
    const r = await server.request('GET', path, { token });
    assert.equal(r.status, 200, path);
    assert.deepEqual(r.body, { email: 'jd@example.com', username: 'j.doe+x_1@home-1' });
  }
});

test('a malformed email is a 400 field error', async () => {
  const r = await server.request('PATCH', '/auth/users/alice/', { token: aliceToken, json: { email: 'nope@' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { email: ['Enter a valid email address.'] });
});

test("a non-admin's DELETE of someone else is 404, whatever the password (djoser's 403 would tell that bob exists)", async () => {
  const r = await server.request('DELETE', '/auth/users/bob/', { token: aliceToken, json: { current_password: DEFAULT_PASSWORD } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
  assert.ok(await server.app.services.db.knex('auth_user').where({ id: bobId }).first());
});

test('DELETE of an unknown username is 404', async () => {
  const r = await server.request('DELETE', '/auth/users/nobody/', { token: adminToken, json: { current_password: 'admin-secret-99' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

test("an admin's DELETE needs the admin's own password, not the target's", async () => {
  const targetId = await server.createUser({ username: 'target' });
  const missing = await server.request('DELETE', '/auth/users/target/', { token: adminToken });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { current_password: ['This field is required.'] });
  const targets = await server.request('DELETE', '/auth/users/target/', { token: adminToken, json: { current_password: DEFAULT_PASSWORD } });
  assert.equal(targets.status, 400);
  assert.deepEqual(targets.body, { current_password: ['Invalid password.'] });
  const ok = await server.request('DELETE', '/auth/users/target/', { token: adminToken, json: { current_password: 'admin-secret-99' } });
  assert.equal(ok.status, 204);
  assert.equal(await server.app.services.db.knex('auth_user').where({ id: targetId }).first(), undefined);
});

test('a user may DELETE themself by username with their password', async () => {
  const id = await server.createUser({ username: 'leaver' });
  const token = await server.tokenFor('leaver');
  const wrong = await server.request('DELETE', '/auth/users/leaver/', { token, form: { current_password: 'wrong-one' } });
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.body, { current_password: ['Invalid password.'] });
  const ok = await server.request('DELETE', '/auth/users/leaver/', { token, form: { current_password: DEFAULT_PASSWORD } });
  assert.equal(ok.status, 204);
  assert.equal(await server.app.services.db.knex('auth_user').where({ id }).first(), undefined);
  const after = await server.request('GET', '/auth/users/me/', { token });
  assert.equal(after.status, 401);
});

test('every method is 401 for an anonymous caller', async () => {
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    const r = await server.request(method, '/auth/users/alice/', method === 'GET' ? {} : { json: {} });
    assert.equal(r.status, 401, method);
    assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
  }
});
