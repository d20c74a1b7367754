/** GET /auth/users/ (djoser's list with HIDE_USERS: admins see everyone, others themselves). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'admin', email: 'admin@example.com', isStaff: true });
  await server.createUser({ username: 'alice', email: 'alice@example.com' });
  await server.createUser({ username: 'bob' });
  await server.createUser({ username: 'boss', email: 'boss@example.com', groups: ['Manager'] });
});
after(() => server.close());

test('an admin sees every user, as {email, username}, in id order', async () => {
  const r = await server.request('GET', '/auth/users/', { token: await server.tokenFor('admin') });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [
    { email: 'admin@example.com', username: 'admin' },
    { email: 'alice@example.com', username: 'alice' },
    { email: '', username: 'bob' },
    { email: 'boss@example.com', username: 'boss' },
  ]);
});

test('a user who is not an admin sees a list holding only themself', async () => {
  const r = await server.request('GET', '/auth/users/', { token: await server.tokenFor('alice') });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [{ email: 'alice@example.com', username: 'alice' }]);
});

test('a Manager is not an admin: only themself, with a JWT too', async () => {
  const { access } = await server.jwtFor('boss');
  const r = await server.request('GET', '/auth/users/', { jwt: access });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [{ email: 'boss@example.com', username: 'boss' }]);
});

test('an anonymous caller gets 401 with WWW-Authenticate', async () => {
  const r = await server.request('GET', '/auth/users/');
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
});
