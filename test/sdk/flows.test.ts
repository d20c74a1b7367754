/**
 * The course's flows, driven only through the typed SDK (src/client) against the real server:
 * register, token login, the secret, JWT pair/refresh/verify/blacklist, the admin making a
 * Manager, the manager writing menu items, listing with ordering and pages, logout.
 * Only the admin is made straight in the database, as `createsuperuser` would.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, formEncoded, type LittleLemonClient, type Schemas } from '../../src/client';
import { startServer, type TestServer } from '../helpers/server';

const PASSWORD = 'lemon-pass-123';
let server: TestServer;
let anon: LittleLemonClient;

before(async () => {
  server = await startServer();
  anon = createClient({ baseUrl: server.url });
  await server.createUser({ username: 'admin', password: PASSWORD, email: 'admin@example.com', isStaff: true, isSuperuser: true });
});
after(() => server.close());
// The SDK speaks to the server directly; the helper's own request() reports any answer that
// broke the spec since the last one, so ask it once after each test.
afterEach(async () => {
  await server.request('GET', '/healthz');
});

/** Logs in through djoser's token endpoint and returns a client that sends the key. */
async function login(username: string, password = PASSWORD): Promise<{ key: string; api: LittleLemonClient }> {
  const { data, error, response } = await anon.POST('/auth/token/login/', { body: { username, password } });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(data);
  return { key: data.auth_token, api: anon.withToken(data.auth_token) };
}

describe('the course flows through the SDK', () => {
  let mario: LittleLemonClient;
  let marioKey: string;
  let admin: LittleLemonClient;
  const items: Schemas['MenuItem'][] = [];

  test('a visitor registers with djoser (POST /auth/users/)', async () => {
    const { data, response } = await anon.POST('/auth/users/', {
      body: { username: 'mario', password: PASSWORD, email: 'mario@example.com' },
    });
    assert.equal(response.status, 201);
    assert.deepEqual({ ...data, id: 0 }, { email: 'mario@example.com', username: 'mario', id: 0 });
    assert.equal(typeof data?.id, 'number');
  });

  test('a taken username is refused with DRF field errors', async () => {
    const { error, response } = await anon.POST('/auth/users/', { body: { username: 'mario', password: PASSWORD } });
    assert.equal(response.status, 400);
    assert.deepEqual(error, { username: ['A user with that username already exists.'] });
  });

  test('token login gives a key that opens /api/secret/ and /auth/users/me/', async () => {
    ({ key: marioKey, api: mario } = await login('mario'));
    assert.match(marioKey, /^[0-9a-f]{40}$/);
    const secret = await mario.GET('/api/secret/');
    assert.equal(secret.response.status, 200);
    assert.deepEqual(secret.data, { message: 'Some secret message' });
    const me = await mario.GET('/auth/users/me/');
    assert.deepEqual(me.data, { email: 'mario@example.com', username: 'mario' });
  });

  test("the course's other token endpoint (/api/api-token-auth/) answers {token}", async () => {
    const { data, response } = await anon.POST('/api/api-token-auth/', { body: { username: 'mario', password: PASSWORD } });
    assert.equal(response.status, 200);
    assert.match(data?.token ?? '', /^[0-9a-f]{40}$/);
  });

  test('without credentials the secret is 401 with a WWW-Authenticate challenge', async () => {
    const { data, error, response } = await anon.GET('/api/secret/');
    assert.equal(response.status, 401);
    assert.equal(data, undefined);
    assert.deepEqual(error, { detail: 'Authentication credentials were not provided.' });
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="api"');
  });

  test('bad credentials are refused: 400 at token login, 401 at the JWT endpoint', async () => {
    const token = await anon.POST('/auth/token/login/', { body: { username: 'mario', password: 'wrong-password' } });
    assert.equal(token.response.status, 400);
    assert.deepEqual(token.error, { non_field_errors: ['Unable to log in with provided credentials.'] });
    const pair = await anon.POST('/api/token/', { body: { username: 'mario', password: 'wrong-password' } });
    assert.equal(pair.response.status, 401);
    assert.deepEqual(pair.error, { detail: 'No active account found with the given credentials' });
  });

  test('a JWT pair: the access token opens the secret, refresh gives a new one (JSON and form), verify and blacklist work', async () => {
    const pair = await anon.POST('/api/token/', { body: { username: 'mario', password: PASSWORD } });
    assert.equal(pair.response.status, 200);
    assert.ok(pair.data);
    const { access, refresh } = pair.data;

    const viaJwt = await anon.withJwt(access).GET('/api/secret/');
    assert.equal(viaJwt.response.status, 200);
    assert.deepEqual(viaJwt.data, { message: 'Some secret message' });

    const refreshed = await anon.POST('/api/token/refresh/', { body: { refresh } });
    assert.equal(refreshed.response.status, 200);
    assert.equal(typeof refreshed.data?.access, 'string');
    const again = await anon.withJwt(refreshed.data?.access ?? '').GET('/api/secret/');
    assert.equal(again.response.status, 200);

    // As the course's notes do: the refresh token sent as a URL-encoded form.
    const asForm = await anon.POST('/api/token/refresh/', { body: { refresh }, ...formEncoded });
    assert.equal(asForm.response.status, 200);
    assert.equal(typeof asForm.data?.access, 'string');

    const verified = await anon.POST('/api/token/verify/', { body: { token: access } });
    assert.equal(verified.response.status, 200);
    assert.deepEqual(verified.data, {});

    const blacklisted = await anon.POST('/api/token/blacklist/', { body: { refresh } });
    assert.equal(blacklisted.response.status, 200);
    const dead = await anon.POST('/api/token/refresh/', { body: { refresh } });
    assert.equal(dead.response.status, 401);
    assert.equal(dead.error?.code, 'token_not_valid');
    assert.equal(dead.error?.detail, 'Token is blacklisted');
  });

  test('the djoser JWT endpoints give and refresh a pair too', async () => {
    const pair = await anon.POST('/auth/jwt/create/', { body: { username: 'mario', password: PASSWORD } });
    assert.equal(pair.response.status, 200);
    const refreshed = await anon.POST('/auth/jwt/refresh/', { body: { refresh: pair.data?.refresh ?? '' } });
    assert.equal(refreshed.response.status, 200);
    const verified = await anon.POST('/auth/jwt/verify/', { body: { token: refreshed.data?.access ?? '' } });
    assert.equal(verified.response.status, 200);
  });

  test('before being made a Manager, mario may not see the manager view nor write the menu', async () => {
    const view = await mario.GET('/api/manager-view/');
    assert.equal(view.response.status, 403);
    assert.deepEqual(view.error, { detail: 'You do not have permission to perform this action.' });
    const create = await mario.POST('/api/menu-items', { body: { title: 'Nope', price: '1.00', inventory: 1 } });
    assert.equal(create.response.status, 403);
  });

  test('the admin adds mario to the Manager group, and mario sees the manager view', async () => {
    ({ api: admin } = await login('admin'));
    const added = await admin.POST('/api/groups/manager/users', { body: { username: 'mario' } });
    assert.equal(added.response.status, 201);
    assert.deepEqual(added.data, { message: 'ok' });

    const managers = await admin.GET('/api/groups/manager/users');
    assert.equal(managers.response.status, 200);
    assert.deepEqual(managers.data?.map((u) => u.username), ['mario']);

    const unknown = await admin.POST('/api/groups/manager/users', { body: { username: 'nobody' } });
    assert.equal(unknown.response.status, 404);
    assert.deepEqual(unknown.error, { detail: 'Not found.' });

    const view = await mario.GET('/api/manager-view/');
    assert.equal(view.response.status, 200);
    assert.deepEqual(view.data, { message: 'Only Manager should see this' });
  });

  test('the manager creates menu items (prices come back as 2-place decimal strings)', async () => {
    for (const [title, price, inventory] of [['Bruschetta', '5.5', 20], ['Greek salad', '12.50', 8], ['Lemon dessert', '4.25', 30]] as const) {
      const { data, error, response } = await mario.POST('/api/menu-items', { body: { title, price, inventory } });
      assert.equal(response.status, 201, JSON.stringify(error));
      assert.ok(data);
      assert.deepEqual({ ...data, id: 0 }, { id: 0, title, price: Number(price).toFixed(2), inventory });
      items.push(data);
    }
    const invalid = await mario.POST('/api/menu-items', { body: { title: '', price: 'abc', inventory: -1 } });
    assert.equal(invalid.response.status, 400);
    assert.deepEqual(Object.keys(invalid.error ?? {}).sort(), ['inventory', 'price', 'title']);
  });

  test('anyone lists the menu: ordering, search and DRF pages', async () => {
    const all = await anon.GET('/api/menu-items');
    assert.equal(all.response.status, 200);
    assert.ok(Array.isArray(all.data));
    assert.deepEqual(all.data.map((i) => i.title), ['Bruschetta', 'Greek salad', 'Lemon dessert']);

    const byPrice = await anon.GET('/api/menu-items', { params: { query: { ordering: '-price' } } });
    assert.ok(Array.isArray(byPrice.data));
    assert.deepEqual(byPrice.data.map((i) => i.price), ['12.50', '5.50', '4.25']);

    const search = await anon.GET('/api/menu-items', { params: { query: { search: 'LEMON' } } });
    assert.ok(Array.isArray(search.data));
    assert.deepEqual(search.data.map((i) => i.title), ['Lemon dessert']);

    const page1 = await anon.GET('/api/menu-items', { params: { query: { page: '1', page_size: '2', ordering: 'title' } } });
    assert.equal(page1.response.status, 200);
    assert.ok(page1.data && !Array.isArray(page1.data));
    assert.equal(page1.data.count, 3);
    assert.equal(page1.data.previous, null);
    assert.deepEqual(page1.data.results.map((i) => i.title), ['Bruschetta', 'Greek salad']);
    assert.ok(page1.data.next);
    const nextPage = new URL(page1.data.next).searchParams;
    assert.equal(nextPage.get('page'), '2');

    const page2 = await anon.GET('/api/menu-items', { params: { query: { page: '2', page_size: '2', ordering: 'title' } } });
    assert.ok(page2.data && !Array.isArray(page2.data));
    assert.deepEqual(page2.data.results.map((i) => i.title), ['Lemon dessert']);
    assert.equal(page2.data.next, null);

    const beyond = await anon.GET('/api/menu-items', { params: { query: { page: '9', page_size: '2' } } });
    assert.equal(beyond.response.status, 404);
    assert.deepEqual(beyond.error, { detail: 'Invalid page.' });
  });

  test('the manager updates (PUT, PATCH) and deletes a menu item', async () => {
    const [first, second] = items;
    const put = await mario.PUT('/api/menu-items/{id}', {
      params: { path: { id: first.id } },
      body: { title: 'Bruschetta al pomodoro', price: '6.00', inventory: 15 },
    });
    assert.equal(put.response.status, 200);
    assert.deepEqual(put.data, { id: first.id, title: 'Bruschetta al pomodoro', price: '6.00', inventory: 15 });

    const patch = await mario.PATCH('/api/menu-items/{id}', { params: { path: { id: first.id } }, body: { inventory: 14 } });
    assert.equal(patch.response.status, 200);
    assert.equal(patch.data?.inventory, 14);
    assert.equal(patch.data?.title, 'Bruschetta al pomodoro');

    const one = await anon.GET('/api/menu-items/{id}', { params: { path: { id: first.id } } });
    assert.deepEqual(one.data, patch.data);

    const del = await mario.DELETE('/api/menu-items/{id}', { params: { path: { id: second.id } } });
    assert.equal(del.response.status, 204);
    assert.equal(del.data, undefined);
    const gone = await anon.GET('/api/menu-items/{id}', { params: { path: { id: second.id } } });
    assert.equal(gone.response.status, 404);
    assert.deepEqual(gone.error, { detail: 'Not found.' });
  });

  test('the admin removes mario from the Manager group again', async () => {
    const removed = await admin.DELETE('/api/groups/manager/users', { body: { username: 'mario' } });
    assert.equal(removed.response.status, 200);
    assert.deepEqual(removed.data, { message: 'ok' });
    const view = await mario.GET('/api/manager-view/');
    assert.equal(view.response.status, 403);
  });

  test('logout deletes the key at once; a second device stays signed in', async () => {
    const { api: phone } = await login('mario');
    const out = await mario.POST('/auth/token/logout/');
    assert.equal(out.response.status, 204);
    const after = await mario.GET('/api/secret/');
    assert.equal(after.response.status, 401);
    assert.deepEqual(after.error, { detail: 'Invalid token.' });
    const still = await phone.GET('/api/secret/');
    assert.equal(still.response.status, 200);
  });
});

describe('the client itself', () => {
  test('createClient sends the right Authorization header for a key, a JWT, or none', async () => {
    const seen: (string | null)[] = [];
    const fetch = async (req: Request) => {
      seen.push(req.headers.get('authorization'));
      return new Response('{"message":"x"}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const base = createClient({ baseUrl: 'http://api.test', fetch, headers: { Authorization: 'Basic Zm9vOmJhcg==', 'X-Trace': '1' } });
    await base.GET('/api/secret/');
    await base.withToken('k'.repeat(40)).GET('/api/secret/');
    await base.withJwt('a.b.c').GET('/api/secret/');
    await base.withJwt('a.b.c').anonymous().GET('/api/secret/');
    assert.deepEqual(seen, ['Basic Zm9vOmJhcg==', `Token ${'k'.repeat(40)}`, 'Bearer a.b.c', null]);
  });

  test('createClient refuses a token and a JWT together, and a relative baseUrl', () => {
    assert.throws(() => createClient({ baseUrl: 'http://api.test', token: 'k', jwt: 'j' }), TypeError);
    assert.throws(() => createClient({ baseUrl: '/api' }), TypeError);
  });
});
