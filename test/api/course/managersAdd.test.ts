/**
 * POST /api/groups/manager/users (managersAdd): admins only; body `username`. The new
 * member's existing credentials carry the role at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, assertNotAuthenticated, assertPermissionDenied, createCast, credentials, type Cast, type Credentials } from './cast';

let server: TestServer;
let cast: Cast;
let alice: Credentials;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'ten=100/minute' });
  cast = await createCast(server);
  await server.createUser({ username: 'alice', email: 'alice@example.com' });
  await server.createUser({ username: 'bob', email: 'bob@example.com' });
  alice = await credentials(server, 'alice');
});
after(() => server.close());

const OK = { message: 'ok' };
const ITEM = { title: 'Greek salad', price: '12.50', inventory: 5 };

async function managers(): Promise<string[]> {
  const r = await server.request('GET', '/api/groups/manager/users', cast.admin.token);
  assert.equal(r.status, 200);
  return (r.body as { username: string }[]).map((u) => u.username);
}

test('before: alice is refused the manager view and menu writes', async () => {
  assertPermissionDenied(await server.request('GET', '/api/manager-view/', alice.token));
  assertPermissionDenied(await server.request('POST', '/api/menu-items', { ...alice.jwt, json: ITEM }));
});

test('an admin adds a user by username: 201 {"message": "ok"}, and the user is listed', async () => {
  const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: { username: 'alice' } });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, OK);
  assert.deepEqual(await managers(), ['manager', 'alice']);
});

test('the new Manager\'s existing token and JWT carry the role at once', async () => {
  for (const auth of [alice.token, alice.jwt]) {
    const view = await server.request('GET', '/api/manager-view/', auth);
    assert.equal(view.status, 200, view.text);
    assert.deepEqual(view.body, { message: 'Only Manager should see this' });
  }
  const created = await server.request('POST', '/api/menu-items', { ...alice.jwt, json: ITEM });
  assert.equal(created.status, 201, created.text);
  const patched = await server.request('PATCH', `/api/menu-items/${created.body.id}`, { ...alice.token, json: { inventory: 1 } });
  assert.equal(patched.status, 200);
  // Manager is not admin: the group endpoints stay closed to them.
  assertPermissionDenied(await server.request('GET', '/api/groups/manager/users', alice.token));
});

test('adding a member again is harmless: 201, and listed once', async () => {
  const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.jwt, json: { username: 'alice' } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, OK);
  assert.deepEqual(await managers(), ['manager', 'alice']);
});

test('a form body works as JSON does', async () => {
  const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, form: { username: 'bob' } });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, OK);
  assert.deepEqual(await managers(), ['manager', 'alice', 'bob']);
});

test('an unknown username is 404 "Not found." (usernames match exactly)', async () => {
  for (const username of ['nobody', 'ALICE']) {
    const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: { username } });
    assert.equal(r.status, 404, username);
    assert.deepEqual(r.body, NOT_FOUND);
  }
  assert.deepEqual(await managers(), ['manager', 'alice', 'bob']);
});

test('a username is looked up as sent, spaces included (the course\'s view reads request.data)', async () => {
  const r = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: { username: ' bob ' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

test('a missing or blank username is a field error', async () => {
  const missing = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: {} });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { username: ['This field is required.'] });
  const blank = await server.request('POST', '/api/groups/manager/users', { ...cast.admin.token, json: { username: '' } });
  assert.equal(blank.status, 400);
  assert.deepEqual(blank.body, { username: ['This field may not be blank.'] });
});

test('a Manager who is not an admin, and a plain user, get 403; nobody is added', async () => {
  await server.createUser({ username: 'carol' });
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.user.token, cast.user.jwt]) {
    assertPermissionDenied(await server.request('POST', '/api/groups/manager/users', { ...auth, json: { username: 'carol' } }));
  }
  // Refused before the body is read: a broken body is still 403.
  assertPermissionDenied(await server.request('POST', '/api/groups/manager/users', { ...cast.user.token, raw: '{', contentType: 'application/json' }));
  assert.ok(!(await managers()).includes('carol'));
});

test('an anonymous caller gets 401', async () => {
  assertNotAuthenticated(await server.request('POST', '/api/groups/manager/users', { json: { username: 'carol' } }));
});
