/** GET /api/groups/manager/users (managersList): admins (is_staff) only. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;
let second: number;

before(async () => {
  server = await startServer();
  cast = await createCast(server);
  second = await server.createUser({ username: 'second', email: 'second@example.com', groups: ['Manager', 'Delivery crew'] });
  await server.createUser({ username: 'driver', groups: ['Delivery crew'] });
});
after(() => server.close());

test('an admin lists the members of Manager, by id, with a token or a JWT', async () => {
  const want = [
    { id: cast.manager.id, username: 'manager', email: 'manager@example.com' },
    { id: second, username: 'second', email: 'second@example.com' },
  ];
  for (const auth of [cast.admin.token, cast.admin.jwt]) {
    const r = await server.request('GET', '/api/groups/manager/users', auth);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, want);
  }
});

test('a Manager who is not an admin gets 403, and so does a plain user', async () => {
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.user.token, cast.user.jwt]) {
    assertPermissionDenied(await server.request('GET', '/api/groups/manager/users', auth));
  }
});

test('an anonymous caller gets 401', async () => {
  assertNotAuthenticated(await server.request('GET', '/api/groups/manager/users'));
});

test('an empty group is an empty list', async () => {
  const fresh = await startServer();
  try {
    await fresh.createUser({ username: 'boss', isStaff: true });
    const r = await fresh.request('GET', '/api/groups/manager/users', { token: await fresh.tokenFor('boss') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, []);
  } finally {
    await fresh.close();
  }
});
