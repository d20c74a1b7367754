/** GET /api/menu-items/{id} (menuItemsRetrieve): anyone, not throttled. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;
let item: { id: number; title: string; price: string; inventory: number };

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_anon=1/minute,default_user=1/minute' });
  cast = await createCast(server);
  const r = await server.request('POST', '/api/menu-items', { ...cast.admin.token, json: { title: 'Lemon dessert', price: 5.5, inventory: '9' } });
  item = r.body;
});
after(() => server.close());

test('anyone reads an item: anonymous, users, managers and admins, with tokens or JWTs', async () => {
  for (const auth of [{}, cast.user.token, cast.user.jwt, cast.manager.token, cast.admin.jwt]) {
    const r = await server.request('GET', `/api/menu-items/${item.id}`, auth);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { id: item.id, title: 'Lemon dessert', price: '5.50', inventory: 9 });
  }
});

test('reading is never throttled, even past the default rates', async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal((await server.request('GET', `/api/menu-items/${item.id}`)).status, 200);
    assert.equal((await server.request('GET', `/api/menu-items/${item.id}`, cast.user.token)).status, 200);
  }
});

test('an unknown id is 404 {"detail": "Not found."}', async () => {
  for (const id of ['999', '0', '-1', 'abc', '1.5', '99999999999999999999']) {
    const r = await server.request('GET', `/api/menu-items/${id}`);
    assert.equal(r.status, 404, id);
    assert.deepEqual(r.body, NOT_FOUND, id);
  }
});

test('the trailing slash is optional', async () => {
  const r = await server.request('GET', `/api/menu-items/${item.id}/`);
  assert.equal(r.status, 200);
  assert.equal(r.body.id, item.id);
});

test('undeclared query parameters are ignored', async () => {
  const r = await server.request('GET', `/api/menu-items/${item.id}?format=json`);
  assert.equal(r.status, 200);
});
