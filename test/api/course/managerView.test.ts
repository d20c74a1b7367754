/** GET /api/manager-view/ (managerView): members of the Manager group only. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer();
  cast = await createCast(server);
  await server.createUser({ username: 'root', isStaff: true, isSuperuser: true });
  await server.createUser({ username: 'crew', groups: ['Delivery crew'] });
});
after(() => server.close());

test('a Manager sees the message, with a token or a JWT', async () => {
  for (const auth of [cast.manager.token, cast.manager.jwt]) {
    const r = await server.request('GET', '/api/manager-view/', auth);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { message: 'Only Manager should see this' });
  }
});

test('an admin outside the group is refused with 403: the role is the group, not is_staff', async () => {
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', cast.admin.token));
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', cast.admin.jwt));
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', { token: await server.tokenFor('root') }));
});

test('a plain user and a member of another group get 403', async () => {
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', cast.user.token));
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', cast.user.jwt));
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', { token: await server.tokenFor('crew') }));
});

test('an anonymous caller gets 401', async () => {
  assertNotAuthenticated(await server.request('GET', '/api/manager-view/'));
});
