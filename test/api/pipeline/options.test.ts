/**
 * OPTIONS (#15), answered as DRF's SimpleMetadata answers it, generated from the spec: every
 * path's `options` operation gives 200 with `name`, `description`, `renders`, `parses`, the
 * `Allow` header, and `actions` (the fields of POST and PUT) only for a caller allowed to call
 * them, as DRF's determine_actions decides (permissions, and for PUT the object). CORS
 * pre-flights from an allowed origin are still answered by the CORS layer. The helper checks
 * each answer against the spec's Options response.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec } from '../../../src/spec';
import { startServer, type Reply, type TestServer } from '../../helpers/server';
import { createCast, type Cast } from '../course/cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer();
  cast = await createCast(server);
});
after(() => server.close());

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const spec = loadSpec();
const help = (schema: string) => spec.document.components.schemas[schema].description as string;

/** DRF's get_field_info for the menu item's fields, as the serializer lists them. */
const MENU_ITEM_FIELDS = {
  id: { type: 'integer', required: false, read_only: true, label: 'ID' },
  title: { type: 'string', required: true, read_only: false, label: 'Title', help_text: help('TitleInput'), max_length: 255 },
  price: { type: 'decimal', required: true, read_only: false, label: 'Price', help_text: help('PriceInput'), min_value: 0, max_digits: 6, decimal_places: 2 },
  inventory: { type: 'integer', required: true, read_only: false, label: 'Inventory', help_text: help('InventoryInput'), min_value: 0, max_value: 32767 },
};

function assertMetadata(r: Reply, name: string, allow: string): void {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('allow'), allow);
  assert.equal(r.body.name, name);
  assert.equal(typeof r.body.description, 'string');
  assert.deepEqual(r.body.renders, ['application/json']);
}

test('anonymous OPTIONS /api/menu-items: 200, the metadata and Allow, no actions (anonymous may not POST)', async () => {
  const r = await server.request('OPTIONS', '/api/menu-items');
  assertMetadata(r, 'Menu Items', 'GET, POST, HEAD, OPTIONS');
  assert.deepEqual(r.body, {
    name: 'Menu Items',
    description: 'The menu: anyone may list its items; managers and admins add them.',
    renders: ['application/json'],
    parses: PARSES,
  });
});

test("a Manager's OPTIONS /api/menu-items has actions.POST with each field as DRF describes it; a plain user's has none", async () => {
  for (const credentials of [cast.manager.token, cast.admin.jwt]) {
    const r = await server.request('OPTIONS', '/api/menu-items', credentials);
    assertMetadata(r, 'Menu Items', 'GET, POST, HEAD, OPTIONS');
    assert.deepEqual(r.body.actions, { POST: MENU_ITEM_FIELDS });
    assert.deepEqual(Object.keys(r.body.actions.POST), ['id', 'title', 'price', 'inventory'], "the serializer's order");
  }
  const plain = await server.request('OPTIONS', '/api/menu-items', cast.user.token);
  assertMetadata(plain, 'Menu Items', 'GET, POST, HEAD, OPTIONS');
  assert.equal(plain.body.actions, undefined);
});

test('OPTIONS on one menu item: actions.PUT only for a Manager and an item that exists (DRF: get_object)', async () => {
  const created = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { title: 'Soup', price: '4.50', inventory: 3 } });
  assert.equal(created.status, 201, created.text);
  const r = await server.request('OPTIONS', `/api/menu-items/${created.body.id}`, cast.manager.token);
  assertMetadata(r, 'Single Menu Item', 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  assert.deepEqual(r.body.actions, { PUT: MENU_ITEM_FIELDS });
  for (const [path, credentials] of [[`/api/menu-items/${created.body.id}`, {}], [`/api/menu-items/${created.body.id}`, cast.user.jwt], ['/api/menu-items/999999', cast.manager.token]] as const) {
    const other = await server.request('OPTIONS', path, credentials);
    assertMetadata(other, 'Single Menu Item', 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
    assert.equal(other.body.actions, undefined, path);
  }
  // A path parameter its schema refuses names no object: 404, as for GET.
  const bad = await server.request('OPTIONS', '/api/menu-items/abc');
  assert.equal(bad.status, 404, bad.text);
});

test('OPTIONS runs the gate of its operation: 401 without credentials where they are needed, 403 for a refused role, a bad key 401', async () => {
  const anonymous = await server.request('OPTIONS', '/api/manager-view/');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="api"');
  const user = await server.request('OPTIONS', '/api/manager-view/', cast.user.token);
  assert.equal(user.status, 403, user.text);
  const manager = await server.request('OPTIONS', '/api/manager-view/', cast.manager.token);
  assertMetadata(manager, 'Manager View', 'GET, HEAD, OPTIONS');
  assert.equal(manager.body.actions, undefined, 'a GET-only path has no actions');
  assert.deepEqual(manager.body.parses, PARSES, "a path that takes no body lists the service's parsers, as DRF lists the view's");
  const badKey = await server.request('OPTIONS', '/api/menu-items', { token: '0'.repeat(40) });
  assert.equal(badKey.status, 401);
  assert.deepEqual(badKey.body, { detail: 'Invalid token.' });
});

test("OPTIONS on a user: actions.PUT for themself (the email field) and for an admin, none for another user; registration's POST for anyone", async () => {
  const self = await server.request('OPTIONS', '/auth/users/user/', cast.user.token);
  assertMetadata(self, 'User Instance', 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  assert.deepEqual(self.body.actions, { PUT: { email: { type: 'email', required: false, read_only: false, label: 'Email address', max_length: 254 } } });
  const admin = await server.request('OPTIONS', '/auth/users/user/', cast.admin.token);
  assert.deepEqual(Object.keys(admin.body.actions), ['PUT']);
  const other = await server.request('OPTIONS', '/auth/users/user/', cast.manager.token);
  assertMetadata(other, 'User Instance', 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  assert.equal(other.body.actions, undefined);

  const register = await server.request('OPTIONS', '/auth/users/');
  assertMetadata(register, 'User List', 'GET, POST, HEAD, OPTIONS');
  assert.deepEqual(Object.keys(register.body.actions.POST), ['email', 'username', 'id', 'password', 're_password']);
  assert.deepEqual(register.body.actions.POST.id, { type: 'integer', required: false, read_only: true, label: 'ID' });
  assert.deepEqual(
    { ...register.body.actions.POST.username, help_text: undefined },
    { type: 'string', required: true, read_only: false, label: 'Username', help_text: undefined, max_length: 150 },
  );
  // The User model's field names the address 'email address', as Django's admin and DRF label it.
  assert.equal(register.body.actions.POST.email.label, 'Email address');
});

test('405 is still the answer for a method a path does not have, with OPTIONS now 200 on every path of the spec', async () => {
  for (const [method, path, allow] of [
    ['PATCH', '/api/menu-items', 'GET, POST, HEAD, OPTIONS'],
    ['POST', '/api/secret/', 'GET, HEAD, OPTIONS'],
    ['PROPFIND', '/api/menu-items', 'GET, POST, HEAD, OPTIONS'],
    ['PUT', '/auth/users/', 'GET, POST, HEAD, OPTIONS'],
    ['POST', '/api/groups/manager/users/7', 'DELETE, OPTIONS'],
  ] as const) {
    const r = await server.request(method, path, cast.admin.token);
    assert.equal(r.status, 405, `${method} ${path}: ${r.status}`);
    assert.deepEqual(r.body, { detail: `Method "${method}" not allowed.` });
    // RFC 9110: a 405 names the methods the path has, as OPTIONS does.
    assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
    assert.equal((await server.request('OPTIONS', path, cast.admin.token)).headers.get('allow'), allow);
  }
  for (const info of spec.operations.values()) {
    if (info.method !== 'options') continue;
    const path = info.path.replace('{username}', 'admin').replace('{jti}', '0'.repeat(32)).replace(/\{\w*id\}/g, '1');
    const r = await server.request('OPTIONS', path, info.roles.includes('Manager') ? cast.manager.token : cast.admin.token);
    assert.equal(r.status, 200, `OPTIONS ${path}: ${r.status} ${r.text}`);
    assert.match(r.headers.get('allow') ?? '', /OPTIONS$/);
  }
  const paths = Object.keys(spec.document.paths);
  assert.deepEqual(paths.filter((p) => !spec.document.paths[p].options), [], 'every path declares OPTIONS');
  const unknown = await server.request('OPTIONS', '/api/no-such-thing');
  assert.equal(unknown.status, 404);
});

test('CORS pre-flights from an allowed origin are answered by the CORS layer as before; a plain OPTIONS gets the metadata', async () => {
  const origin = 'https://app.example';
  const cors = await startServer({ CORS_ALLOWED_ORIGINS: origin });
  try {
    const preflight = await cors.request('OPTIONS', '/api/menu-items', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.text, '');
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    const plain = await cors.request('OPTIONS', '/api/menu-items', { headers: { origin } });
    assertMetadata(plain, 'Menu Items', 'GET, POST, HEAD, OPTIONS');
    assert.equal(plain.headers.get('access-control-allow-origin'), origin, 'an allowed origin may read the metadata');
    assert.match(plain.headers.get('vary') ?? '', /Origin/);
    // Another origin's pre-flight gets no CORS headers: the browser refuses; the metadata is public anyway.
    const stranger = await cors.request('OPTIONS', '/api/menu-items', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    assert.equal(stranger.headers.get('access-control-allow-methods'), null);
  } finally {
    await cors.close();
  }
});
