/**
 * The admin API's lists: DRF pages (count, next, previous, results; page_size at most 100; an
 * invalid page 404), the users' search, filters and ordering, groups with member counts, a
 * group's members, and the blacklist.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { createCast, expect, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=100000/minute,default_anon=100000/minute' });
  cast = await createCast(server);
  for (let i = 1; i <= 12; i++) {
    await server.createUser({ username: `cook${String(i).padStart(2, '0')}`, email: `cook${i}@Kitchen.example.com`, isActive: i % 4 !== 0, groups: i <= 3 ? ['Delivery crew'] : [] });
  }
});
after(() => server.close());

const names = (r: { body: { results: { username: string }[] } }) => r.body.results.map((u) => u.username);

test('users: a DRF page of 10 by default, with links built from the request; page_size is capped at 100; an invalid page is 404', async () => {
  const first = await server.request('GET', '/api/admin/users', cast.staff.token);
  expect(first, 200);
  assert.equal(first.body.count, 16);
  assert.equal(first.body.results.length, 10);
  assert.equal(first.body.previous, null);
  assert.equal(first.body.next, `${server.url}/api/admin/users?page=2`);
  const second = await server.request('GET', '/api/admin/users?page=2', cast.staff.token);
  assert.equal(second.body.results.length, 6);
  assert.equal(second.body.next, null);
  assert.equal(second.body.previous, `${server.url}/api/admin/users`);
  const big = await server.request('GET', '/api/admin/users?page_size=1000', cast.staff.token);
  assert.equal(big.body.results.length, 16);
  const last = await server.request('GET', '/api/admin/users?page=last&page_size=5', cast.staff.token);
  assert.equal(last.body.results.length, 1);
  expect(await server.request('GET', '/api/admin/users?page=9', cast.staff.token), 404, { detail: 'Invalid page.' });
  expect(await server.request('GET', '/api/admin/users?page=zero', cast.staff.token), 404, { detail: 'Invalid page.' });
  const u = first.body.results[0];
  assert.deepEqual(Object.keys(u).sort(), ['date_joined', 'email', 'first_name', 'groups', 'id', 'is_active', 'is_staff', 'is_superuser', 'last_login', 'last_name', 'username']);
});

test('users: search matches the username or the email, case-insensitively, every term; filters by flags and group', async () => {
  // cook01 by its email (cook1@kitchen...), the others by their usernames.
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?search=COOK1&page_size=100', cast.staff.token)), ['cook01', 'cook10', 'cook11', 'cook12']);
  assert.equal((await server.request('GET', '/api/admin/users?search=kitchen.EXAMPLE&page_size=100', cast.staff.token)).body.count, 12);
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?search=kitchen%20cook07', cast.staff.token)), ['cook07']);
  assert.equal((await server.request('GET', '/api/admin/users?search=%25', cast.staff.token)).body.count, 0, 'a % is a character, not a wildcard');
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?is_active=false', cast.staff.token)), ['cook04', 'cook08', 'cook12']);
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?is_staff=true', cast.staff.token)), ['root', 'staff']);
  assert.equal((await server.request('GET', '/api/admin/users?is_staff=false&is_active=true&page_size=100', cast.staff.token)).body.count, 11);
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?group=Delivery%20crew', cast.staff.token)), ['cook01', 'cook02', 'cook03']);
  assert.deepEqual(names(await server.request('GET', '/api/admin/users?group=Manager', cast.staff.token)), ['manager']);
  assert.equal((await server.request('GET', '/api/admin/users?group=Nobody', cast.staff.token)).body.count, 0);
  const bad = await server.request('GET', '/api/admin/users?is_active=maybe', cast.staff.token);
  expect(bad, 400);
  assert.ok(Array.isArray(bad.body.is_active), bad.text);
  const crew = (await server.request('GET', '/api/admin/users?search=cook01', cast.staff.token)).body.results[0];
  assert.deepEqual(crew.groups, ['Delivery crew']);
});

test('users: ordering by username, date_joined, id or last_login, descending with -, unknown fields ignored', async () => {
  const desc = names(await server.request('GET', '/api/admin/users?ordering=-username&page_size=3', cast.staff.token));
  assert.deepEqual(desc, ['user', 'staff', 'root']);
  const asc = names(await server.request('GET', '/api/admin/users?ordering=username&page_size=3', cast.staff.token));
  assert.deepEqual(asc, ['cook01', 'cook02', 'cook03']);
  const byId = names(await server.request('GET', '/api/admin/users?ordering=-id&page_size=2', cast.staff.token));
  assert.deepEqual(byId, ['cook12', 'cook11']);
  const ignored = names(await server.request('GET', '/api/admin/users?ordering=password,-nothing&page_size=2', cast.staff.token));
  assert.deepEqual(ignored, ['root', 'staff']);
  await server.tokenFor('cook05');
  const recent = await server.request('GET', '/api/admin/users?ordering=-last_login&search=cook&page_size=100', cast.staff.token);
  assert.equal(recent.body.results.filter((u: { last_login: string | null }) => u.last_login !== null).length, 1);
  const joined = await server.request('GET', '/api/admin/users?ordering=-date_joined,-id&page_size=1', cast.staff.token);
  assert.equal(names(joined)[0], 'cook12');
});

test('groups: by name with member counts and protected flags; members paginated', async () => {
  const r = await server.request('GET', '/api/admin/groups', cast.staff.token);
  expect(r, 200);
  assert.deepEqual(
    r.body.results.map((g: { name: string; member_count: number; protected: boolean }) => [g.name, g.member_count, g.protected]),
    [['Delivery crew', 3, true], ['Manager', 1, true]],
  );
  const crew = r.body.results[0];
  const page = await server.request('GET', `/api/admin/groups/${crew.id}/members?page_size=2`, cast.staff.token);
  expect(page, 200);
  assert.equal(page.body.count, 3);
  assert.deepEqual(page.body.results.map((m: { username: string }) => m.username), ['cook01', 'cook02']);
  assert.deepEqual(Object.keys(page.body.results[0]).sort(), ['email', 'id', 'username']);
  assert.match(page.body.next, /page=2/);
  expect(await server.request('GET', `/api/admin/groups/${crew.id}/members?page=3&page_size=2`, cast.staff.token), 404, { detail: 'Invalid page.' });
});

test('the blacklist: newest first, with each token\'s user; a deleted user\'s tokens stay listed', async () => {
  const pair = await server.jwtFor('cook06');
  expect(await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } }), 200);
  const other = await server.jwtFor('cook07');
  expect(await server.request('POST', '/api/token/blacklist/', { json: { refresh: other.refresh } }), 200);
  const r = await server.request('GET', '/api/admin/blacklist', cast.staff.token);
  expect(r, 200);
  assert.equal(r.body.count, 2);
  assert.deepEqual(r.body.results.map((t: { username: string }) => t.username), ['cook07', 'cook06']);
  const id = (await server.app.services.db.users.findByUsername('cook06'))!.id;
  expect(await server.request('DELETE', `/api/admin/users/${id}`, cast.root.token), 204);
  const after = await server.request('GET', '/api/admin/blacklist', cast.staff.token);
  const gone = after.body.results.find((t: { user_id: number | null }) => t.user_id === null);
  assert.ok(gone, after.text);
  assert.equal(gone.username, null);
});
