/** DELETE /api/menu-items/{id} (menuItemsDestroy): the Manager group or an admin; not throttled. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=1/minute,ten=100/minute' });
  cast = await createCast(server);
});
after(() => server.close());

async function newItem(title: string): Promise<number> {
  const r = await server.request('POST', '/api/menu-items', { ...cast.admin.token, json: { title, price: '3.00', inventory: 1 } });
  assert.equal(r.status, 201);
  return r.body.id;
}

test('a Manager and an admin delete items, with a token or a JWT: 204, no body, gone', async () => {
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.admin.token, cast.admin.jwt]) {
    const id = await newItem('Doomed');
    const r = await server.request('DELETE', `/api/menu-items/${id}`, auth);
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    const gone = await server.request('GET', `/api/menu-items/${id}`);
    assert.equal(gone.status, 404);
  }
  assert.deepEqual((await server.request('GET', '/api/menu-items')).body, []);
});

test('a plain user gets 403, an anonymous caller 401; the item stays', async () => {
  const id = await newItem('Keeper');
  assertPermissionDenied(await server.request('DELETE', `/api/menu-items/${id}`, cast.user.token));
  assertPermissionDenied(await server.request('DELETE', `/api/menu-items/${id}`, cast.user.jwt));
  assertNotAuthenticated(await server.request('DELETE', `/api/menu-items/${id}`));
  assert.equal((await server.request('GET', `/api/menu-items/${id}`)).status, 200);
});

test('deleting twice, or an unknown id, is 404 "Not found."', async () => {
  const id = await newItem('Once');
  assert.equal((await server.request('DELETE', `/api/menu-items/${id}`, cast.manager.token)).status, 204);
  for (const path of [`/api/menu-items/${id}`, '/api/menu-items/999', '/api/menu-items/abc']) {
    const r = await server.request('DELETE', path, cast.manager.token);
    assert.equal(r.status, 404, path);
    assert.deepEqual(r.body, NOT_FOUND);
  }
});

test('deletes are not throttled, and delete only their item', async () => {
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push(await newItem(`Dish ${i}`));
  const survivor = await newItem('Survivor');
  for (const id of ids) assert.equal((await server.request('DELETE', `/api/menu-items/${id}`, cast.manager.token)).status, 204);
  const list = (await server.request('GET', '/api/menu-items')).body as { id: number; title: string }[];
  assert.deepEqual(list.filter((i) => i.title !== 'Keeper').map((i) => i.id), [survivor]);
});
