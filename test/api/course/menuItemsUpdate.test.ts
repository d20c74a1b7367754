/**
 * PUT /api/menu-items/{id} (menuItemsUpdate): the Manager group or an admin; not throttled.
 * Every field is required; DRF's field errors; nothing changes when the body is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';
import { ACCEPTED, INVALID_CASES, VALID_ITEM, describeCase, withField } from './menuFields';

let server: TestServer;
let cast: Cast;
let id: number;

before(async () => {
  // Tiny default rates and `ten`: writes other than create are not throttled.
  server = await startServer({ THROTTLE_RATES: 'default_user=1/minute,ten=1/minute' });
  cast = await createCast(server);
  const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { title: 'Bruschetta', price: '7.00', inventory: 2 } });
  id = r.body.id;
});
after(() => server.close());

async function current() {
  const r = await server.request('GET', `/api/menu-items/${id}`);
  assert.equal(r.status, 200);
  return r.body;
}

test('a Manager and an admin replace the item, with a token or a JWT: 200 and the item', async () => {
  let n = 0;
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.admin.token, cast.admin.jwt]) {
    const body = { title: `Bruschetta ${++n}`, price: `${n}.25`, inventory: n };
    const r = await server.request('PUT', `/api/menu-items/${id}`, { ...auth, json: body });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { id, ...body });
    assert.deepEqual(await current(), { id, ...body });
  }
});

test('updates are not throttled', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.manager.token, json: VALID_ITEM });
    assert.equal(r.status, 200, r.text);
  }
});

test('a plain user gets 403, an anonymous caller 401; the item is unchanged', async () => {
  const before = await current();
  assertPermissionDenied(await server.request('PUT', `/api/menu-items/${id}`, { ...cast.user.token, json: { ...VALID_ITEM, title: 'Hacked' } }));
  assertPermissionDenied(await server.request('PUT', `/api/menu-items/${id}`, { ...cast.user.jwt, json: { ...VALID_ITEM, title: 'Hacked' } }));
  assertNotAuthenticated(await server.request('PUT', `/api/menu-items/${id}`, { json: { ...VALID_ITEM, title: 'Hacked' } }));
  assert.deepEqual(await current(), before);
});

test('a plain user is refused for an unknown id too (permissions come first)', async () => {
  assertPermissionDenied(await server.request('PUT', '/api/menu-items/999', { ...cast.user.token, json: VALID_ITEM }));
});

test('an unknown id is 404 "Not found."', async () => {
  const r = await server.request('PUT', '/api/menu-items/999', { ...cast.manager.token, json: VALID_ITEM });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
  const list = await server.request('GET', '/api/menu-items');
  assert.equal(list.body.length, 1);
});

test('an unknown id is 404 even with an invalid body (DRF looks the object up first)', async () => {
  const r = await server.request('PUT', '/api/menu-items/999', { ...cast.manager.token, json: { price: 'bad' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

for (const c of INVALID_CASES) {
  test(`an invalid ${describeCase(c)} is 400 {"${c.field}": ["${c.message}"]} and changes nothing`, { todo: c.todo }, async () => {
    const before = await current();
    const r = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.admin.token, json: withField(c.field, c.value) });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.body, { [c.field]: [c.message] });
    assert.deepEqual(await current(), before);
  });
}

test('PUT needs every field', async () => {
  const r = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.manager.token, json: { title: 'Only a title' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { price: ['This field is required.'], inventory: ['This field is required.'] });
});

test('numbers may arrive as numeric strings, and a form body works', async () => {
  for (const a of ACCEPTED) {
    const r = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.manager.token, json: a.body });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { id, title: a.title, price: a.price, inventory: a.inventory });
  }
  const f = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.manager.jwt, form: { title: 'Form dish', price: '5.5', inventory: '4' } });
  assert.equal(f.status, 200, f.text);
  assert.deepEqual(f.body, { id, title: 'Form dish', price: '5.50', inventory: 4 });
  assert.deepEqual(await current(), f.body);
});

test('an id in the body cannot move the item', async () => {
  const r = await server.request('PUT', `/api/menu-items/${id}`, { ...cast.manager.token, json: { ...VALID_ITEM, id: 77 } });
  assert.equal(r.status, 200);
  assert.equal(r.body.id, id);
  assert.equal((await server.request('GET', '/api/menu-items/77')).status, 404);
});
