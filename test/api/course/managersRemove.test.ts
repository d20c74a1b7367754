/**
 * DELETE /api/groups/manager/users (managersRemove, body `username`) and
 * DELETE /api/groups/manager/users/{id} (managersRemoveById): admins only. The removed member's
 * existing credentials lose the role at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, assertNotAuthenticated, assertPermissionDenied, createCast, credentials, type Cast, type Credentials } from './cast';

let server: TestServer;
let cast: Cast;
let alice: Credentials;
let bob: Credentials;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'ten=100/minute' });
  cast = await createCast(server);
  await server.createUser({ username: 'alice', groups: ['Manager'] });
  await server.createUser({ username: 'bob', groups: ['Manager'] });
  alice = await credentials(server, 'alice');
  bob = await credentials(server, 'bob');
});
after(() => server.close());

const OK = { message: 'ok' };
const ITEM = { title: 'Greek salad', price: '12.50', inventory: 5 };

async function managers(): Promise<string[]> {
  const r = await server.request('GET', '/api/groups/manager/users', cast.admin.token);
  assert.equal(r.status, 200);
  return (r.body as { username: string }[]).map((u) => u.username);
}

async function assertManager(who: Credentials): Promise<void> {
  assert.equal((await server.request('GET', '/api/manager-view/', who.token)).status, 200);
  assert.equal((await server.request('GET', '/api/manager-view/', who.jwt)).status, 200);
}

async function assertNotManager(who: Credentials): Promise<void> {
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', who.token));
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', who.jwt));
  assertPermissionDenied(await server.request('POST', '/api/menu-items', { ...who.jwt, json: ITEM }));
  assertPermissionDenied(await server.request('DELETE', '/api/menu-items/1', who.token));
}

test('a Manager who is not an admin, and a plain user, get 403 on both; nobody is removed', async () => {
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.user.token, cast.user.jwt]) {
    assertPermissionDenied(await server.request('DELETE', '/api/groups/manager/users', { ...auth, json: { username: 'alice' } }));
    assertPermissionDenied(await server.request('DELETE', `/api/groups/manager/users/${alice.id}`, auth));
  }
  assert.deepEqual(await managers(), ['manager', 'alice', 'bob']);
  await assertManager(alice);
});

test('an anonymous caller gets 401 on both', async () => {
  assertNotAuthenticated(await server.request('DELETE', '/api/groups/manager/users', { json: { username: 'alice' } }));
  assertNotAuthenticated(await server.request('DELETE', `/api/groups/manager/users/${alice.id}`));
});

test('an admin removes by username in the body: 200 {"message": "ok"}; the role is gone at once', async () => {
  const item = await server.request('POST', '/api/menu-items', { ...alice.token, json: ITEM });
  assert.equal(item.status, 201);
  const r = await server.request('DELETE', '/api/groups/manager/users', { ...cast.admin.token, json: { username: 'alice' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, OK);
  assert.deepEqual(await managers(), ['manager', 'bob']);
  await assertNotManager(alice);
  // The item alice made stays.
  assert.equal((await server.request('GET', `/api/menu-items/${item.body.id}`)).status, 200);
});

test('an admin removes by id in the path: 200 {"message": "ok"}; the role is gone at once', async () => {
  await assertManager(bob);
  const r = await server.request('DELETE', `/api/groups/manager/users/${bob.id}`, cast.admin.jwt);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, OK);
  assert.deepEqual(await managers(), ['manager']);
  await assertNotManager(bob);
});

test('removing a user who is not a member is harmless: 200', async () => {
  const byName = await server.request('DELETE', '/api/groups/manager/users', { ...cast.admin.token, json: { username: 'alice' } });
  assert.equal(byName.status, 200);
  assert.deepEqual(byName.body, OK);
  const byId = await server.request('DELETE', `/api/groups/manager/users/${cast.user.id}`, cast.admin.token);
  assert.equal(byId.status, 200);
  assert.deepEqual(await managers(), ['manager']);
});

test('an unknown user is 404 "Not found.", by username or by id', async () => {
  const byName = await server.request('DELETE', '/api/groups/manager/users', { ...cast.admin.token, json: { username: 'nobody' } });
  assert.equal(byName.status, 404);
  assert.deepEqual(byName.body, NOT_FOUND);
  for (const id of ['9999', '0', 'abc']) {
    const byId = await server.request('DELETE', `/api/groups/manager/users/${id}`, cast.admin.token);
    assert.equal(byId.status, 404, id);
    assert.deepEqual(byId.body, NOT_FOUND);
  }
  assert.deepEqual(await managers(), ['manager']);
});

test('a missing username is a field error; a form body works', async () => {
  const missing = await server.request('DELETE', '/api/groups/manager/users', { ...cast.admin.token, json: {} });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { username: ['This field is required.'] });
  const form = await server.request('DELETE', '/api/groups/manager/users', { ...cast.admin.token, form: { username: 'manager' } });
  assert.equal(form.status, 200, form.text);
  assert.deepEqual(await managers(), []);
  await assertNotManager(cast.manager);
});

test('added back, the role returns at once', async () => {
  const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: { username: 'alice' } });
  assert.equal(r.status, 201);
  await assertManager(alice);
});
