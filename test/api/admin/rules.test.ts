/**
 * The admin API's rules: only a superuser grants or removes staff or superuser status (or acts
 * on another staff user or superuser through the password, deactivation or deletion); nobody
 * removes their own staff flag, deactivates or deletes themself; the spec's `x-groups` cannot
 * be deleted; passwords go through the validators; names are unique.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { createCast, expect, type Cast } from './cast';

let server: TestServer;
let cast: Cast;
const ONLY_SUPERUSER_FLAGS = { detail: 'Only a superuser can grant or remove staff or superuser status.' };
const ONLY_SUPERUSER_TARGET = { detail: 'Only a superuser can do this to a staff user or a superuser.' };
const STRONG = 'Zesty-lemon-tart-2024';

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=100000/minute,default_anon=100000/minute,login=100000/minute,login_username=100000/minute' });
  cast = await createCast(server);
});
after(() => server.close());

async function newUser(name: string, extra: Record<string, unknown> = {}): Promise<number> {
  return server.createUser({ username: name, email: `${name}@example.com`, ...extra });
}

test('a staff user who is not a superuser cannot create staff or superusers (403); a superuser can', async () => {
  expect(await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'st1', is_staff: true } }), 403, ONLY_SUPERUSER_FLAGS);
  expect(await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'su1', is_superuser: true } }), 403, ONLY_SUPERUSER_FLAGS);
  assert.equal((await server.request('GET', '/api/admin/users?search=st1', cast.root.token)).body.count, 0, 'nothing was created');
  const r = await server.request('POST', '/api/admin/users', { ...cast.root.token, json: { username: 'st1', email: 'st1@example.com', is_staff: true, first_name: 'Stella' } });
  expect(r, 201);
  assert.equal(r.body.is_staff, true);
  assert.equal(r.body.is_superuser, false);
  assert.equal(r.body.first_name, 'Stella');
  assert.deepEqual(r.body.groups, []);
  assert.equal(r.body.last_login, null);
  assert.ok(!('password' in r.body));
});

test('create: the password goes through the validators; without one it is unusable; a taken name is 400', async () => {
  const weak = await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'weakling', password: '12345678' } });
  expect(weak, 400);
  assert.ok(Array.isArray(weak.body.password) && weak.body.password.length > 0, weak.text);
  const made = await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'nopass' } });
  expect(made, 201);
  const login = await server.request('POST', '/auth/token/login/', { json: { username: 'nopass', password: '' } });
  expect(login, 400);
  const withPassword = await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'haspass', password: STRONG } });
  expect(withPassword, 201);
  expect(await server.request('POST', '/auth/token/login/', { json: { username: 'haspass', password: STRONG } }), 200);
  expect(await server.request('POST', '/api/admin/users', { ...cast.staff.token, json: { username: 'HASPASS' } }), 400, { username: ['A user with that username already exists.'] });
});

test('update: only a superuser grants or removes staff or superuser status', async () => {
  const id = await newUser('promoted');
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_staff: true } }), 403, ONLY_SUPERUSER_FLAGS);
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.jwt, json: { is_superuser: true } }), 403, ONLY_SUPERUSER_FLAGS);
  const same = await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_staff: false, first_name: 'Pia' } });
  expect(same, 200); // sending the value it already has changes no flag
  assert.equal(same.body.first_name, 'Pia');
  const granted = await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.root.token, json: { is_staff: true } });
  expect(granted, 200);
  assert.equal(granted.body.is_staff, true);
  // Now staff: the new staff user reaches the admin API at once, with a key made before.
  const key = await server.app.services.keys.create(id);
  expect(await server.request('GET', '/api/admin/users', { token: key }), 200);
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_staff: false } }), 403, ONLY_SUPERUSER_FLAGS);
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.root.token, json: { is_staff: false } }), 200);
  expect(await server.request('GET', '/api/admin/users', { token: key }), 403);
});

test('nobody removes their own staff flag or deactivates themself (400), superuser or not', async () => {
  expect(await server.request('PATCH', `/api/admin/users/${cast.root.id}`, { ...cast.root.token, json: { is_staff: false } }), 400, { is_staff: ['You cannot remove your own staff status.'] });
  expect(await server.request('PATCH', `/api/admin/users/${cast.root.id}`, { ...cast.root.token, json: { is_active: false } }), 400, { is_active: ['You cannot deactivate your own account.'] });
  // A staff user who is not a superuser may not touch the flag at all.
  expect(await server.request('PATCH', `/api/admin/users/${cast.staff.id}`, { ...cast.staff.token, json: { is_staff: false } }), 403, ONLY_SUPERUSER_FLAGS);
  const me = await server.request('GET', `/api/admin/users/${cast.root.id}`, cast.root.token);
  assert.equal(me.body.is_staff, true);
  assert.equal(me.body.is_active, true);
  // Their own other fields they may change.
  expect(await server.request('PATCH', `/api/admin/users/${cast.staff.id}`, { ...cast.staff.token, json: { last_name: 'Staffer' } }), 200);
});

test("a staff user who is not a superuser cannot deactivate, delete or set the password of another staff user or superuser (403)", async () => {
  const other = await newUser('otherstaff', { isStaff: true });
  expect(await server.request('PATCH', `/api/admin/users/${other}`, { ...cast.staff.token, json: { is_active: false } }), 403, ONLY_SUPERUSER_TARGET);
  expect(await server.request('POST', `/api/admin/users/${cast.root.id}/set_password`, { ...cast.staff.token, json: { new_password: STRONG } }), 403, ONLY_SUPERUSER_TARGET);
  expect(await server.request('DELETE', `/api/admin/users/${cast.root.id}`, cast.staff.token), 403, ONLY_SUPERUSER_TARGET);
  expect(await server.request('DELETE', `/api/admin/users/${other}`, cast.staff.token), 403, ONLY_SUPERUSER_TARGET);
  expect(await server.request('GET', `/api/admin/users/${other}`, cast.staff.token), 200);
  // A superuser can.
  expect(await server.request('PATCH', `/api/admin/users/${other}`, { ...cast.root.token, json: { is_active: false } }), 200);
  expect(await server.request('DELETE', `/api/admin/users/${other}`, cast.root.token), 204);
  expect(await server.request('GET', `/api/admin/users/${other}`, cast.root.token), 404);
});

test('nobody deletes themself here (400); a plain user is deleted with their keys', async () => {
  expect(await server.request('DELETE', `/api/admin/users/${cast.root.id}`, cast.root.token), 400, { detail: 'You cannot delete your own account here.' });
  expect(await server.request('DELETE', `/api/admin/users/${cast.staff.id}`, cast.staff.jwt), 400, { detail: 'You cannot delete your own account here.' });
  const id = await newUser('doomed');
  const key = await server.app.services.keys.create(id);
  expect(await server.request('GET', '/api/secret/', { token: key }), 200);
  expect(await server.request('DELETE', `/api/admin/users/${id}`, cast.staff.token), 204);
  expect(await server.request('GET', '/api/secret/', { token: key }), 401, { detail: 'Invalid token.' });
  expect(await server.request('DELETE', `/api/admin/users/${id}`, cast.staff.token), 404, { detail: 'Not found.' });
});

test('set_password: the validators apply (with the user\'s attributes), and the user is signed out everywhere', async () => {
  const id = await newUser('forgetful');
  const key = await server.app.services.keys.create(id);
  const { refresh } = await server.jwtFor('forgetful');
  const similar = await server.request('POST', `/api/admin/users/${id}/set_password`, { ...cast.staff.token, json: { new_password: 'forgetful1' } });
  expect(similar, 400);
  assert.ok(similar.body.new_password.some((m: string) => /too similar to the username/.test(m)), similar.text);
  expect(await server.request('GET', '/api/secret/', { token: key }), 200, { message: 'Some secret message' });
  expect(await server.request('POST', `/api/admin/users/${id}/set_password`, { ...cast.staff.token, json: { new_password: STRONG } }), 204);
  expect(await server.request('GET', '/api/secret/', { token: key }), 401);
  expect(await server.request('POST', '/api/token/refresh/', { json: { refresh } }), 401);
  expect(await server.request('POST', '/api/token/', { json: { username: 'forgetful', password: STRONG } }), 200);
});

test("the spec's x-groups cannot be deleted (400); other groups can, with their memberships", async () => {
  const groups = await server.request('GET', '/api/admin/groups', cast.staff.token);
  expect(groups, 200);
  for (const name of ['Manager', 'Delivery crew']) {
    const g = groups.body.results.find((x: { name: string }) => x.name === name);
    assert.equal(g.protected, true);
    expect(await server.request('DELETE', `/api/admin/groups/${g.id}`, cast.root.token), 400, { detail: `The group "${name}" is declared in the spec and cannot be deleted.` });
  }
  const made = await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: 'Sommeliers' } });
  expect(made, 201, { id: made.body.id, name: 'Sommeliers', member_count: 0, protected: false });
  expect(await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: 'Sommeliers' } }), 400, { name: ['group with this name already exists.'] });
  expect(await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: '   ' } }), 400);
  expect(await server.request('POST', `/api/admin/groups/${made.body.id}/members`, { ...cast.staff.token, json: { username: 'user' } }), 201, { message: 'ok' });
  expect(await server.request('DELETE', `/api/admin/groups/${made.body.id}`, cast.staff.token), 204);
  expect(await server.request('GET', `/api/admin/groups/${made.body.id}/members`, cast.staff.token), 404);
  const user = await server.request('GET', `/api/admin/users/${cast.user.id}`, cast.staff.token);
  assert.deepEqual(user.body.groups, []);
});

test('members: add by id or username (201, then 200), remove (204, then 404); the role applies at once', async () => {
  const groups = await server.request('GET', '/api/admin/groups', cast.staff.token);
  const manager = groups.body.results.find((x: { name: string }) => x.name === 'Manager');
  const id = await newUser('luigi');
  const key = await server.app.services.keys.create(id);
  expect(await server.request('GET', '/api/manager-view/', { token: key }), 403);
  expect(await server.request('POST', `/api/admin/groups/${manager.id}/members`, { ...cast.staff.token, json: { user_id: id } }), 201, { message: 'ok' });
  expect(await server.request('POST', `/api/admin/groups/${manager.id}/members`, { ...cast.staff.token, json: { username: 'luigi' } }), 200, { message: 'ok' });
  expect(await server.request('GET', '/api/manager-view/', { token: key }), 200);
  const members = await server.request('GET', `/api/admin/groups/${manager.id}/members`, cast.staff.token);
  assert.ok(members.body.results.some((m: { id: number; username: string }) => m.id === id && m.username === 'luigi'));
  expect(await server.request('POST', `/api/admin/groups/${manager.id}/members`, { ...cast.staff.token, json: { username: 'nobody-here' } }), 404);
  expect(await server.request('POST', `/api/admin/groups/${manager.id}/members`, { ...cast.staff.token, json: {} }), 400, { non_field_errors: ['Either user_id or username is required.'] });
  expect(await server.request('DELETE', `/api/admin/groups/${manager.id}/members/${id}`, cast.staff.token), 204);
  expect(await server.request('DELETE', `/api/admin/groups/${manager.id}/members/${id}`, cast.staff.token), 404);
  expect(await server.request('GET', '/api/manager-view/', { token: key }), 403);
});

test('unknown ids are 404 before the body is read; a non-numeric id is 404', async () => {
  expect(await server.request('PATCH', '/api/admin/users/999999', { ...cast.staff.token, raw: '{', contentType: 'application/json' }), 404, { detail: 'Not found.' });
  expect(await server.request('GET', '/api/admin/users/abc', cast.staff.token), 404);
  expect(await server.request('GET', '/api/admin/users/99999999999', cast.staff.token), 404);
  expect(await server.request('DELETE', '/api/admin/groups/0', cast.staff.token), 404);
});
