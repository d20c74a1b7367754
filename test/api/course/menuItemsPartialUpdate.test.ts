/**
 * PATCH /api/menu-items/{id} (menuItemsPartialUpdate): the Manager group or an admin; not
 * throttled. Only the fields sent are read and changed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { NOT_FOUND, assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';
import { INVALID_CASES, describeCase } from './menuFields';

let server: TestServer;
let cast: Cast;
let id: number;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=1/minute,ten=1/minute' });
  cast = await createCast(server);
  const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { title: 'Chicken soup', price: '9.25', inventory: 3 } });
  id = r.body.id;
});
after(() => server.close());

async function current() {
  const r = await server.request('GET', `/api/menu-items/${id}`);
  assert.equal(r.status, 200);
  return r.body;
}

test('a Manager and an admin change one field, with a token or a JWT; the others stay', async () => {
  const steps: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ price: '7' }, { title: 'Chicken soup', price: '7.00', inventory: 3 }],
    [{ inventory: '12' }, { title: 'Chicken soup', price: '7.00', inventory: 12 }],
    [{ title: ' Chicken broth ' }, { title: 'Chicken broth', price: '7.00', inventory: 12 }],
    [{ price: 8.5, inventory: 0 }, { title: 'Chicken broth', price: '8.50', inventory: 0 }],
  ];
  const auths = [cast.manager.token, cast.manager.jwt, cast.admin.token, cast.admin.jwt];
  for (const [i, [patch, after]] of steps.entries()) {
    const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...auths[i], json: patch });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { id, ...after });
    assert.deepEqual(await current(), { id, ...after });
  }
});

test('an empty body changes nothing and answers the item', async () => {
  const before = await current();
  const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.manager.token, json: {} });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, before);
  const none = await server.request('PATCH', `/api/menu-items/${id}`, cast.manager.token);
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, before);
});

test('a form body works, numbers as strings', async () => {
  const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.admin.token, form: { price: '5.5' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.price, '5.50');
  assert.equal((await current()).price, '5.50');
});

test('partial updates are not throttled', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.manager.token, json: { inventory: i } });
    assert.equal(r.status, 200, r.text);
  }
});

test('a plain user gets 403, an anonymous caller 401; the item is unchanged', async () => {
  const before = await current();
  assertPermissionDenied(await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.user.token, json: { price: '0.01' } }));
  assertPermissionDenied(await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.user.jwt, json: { price: '0.01' } }));
  assertNotAuthenticated(await server.request('PATCH', `/api/menu-items/${id}`, { json: { price: '0.01' } }));
  assert.deepEqual(await current(), before);
});

test('an unknown id is 404 "Not found."', async () => {
  const r = await server.request('PATCH', '/api/menu-items/999', { ...cast.manager.token, json: { price: '1.00' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

test('an unknown id is 404 even with an invalid body (DRF looks the object up first)', async () => {
  const r = await server.request('PATCH', '/api/menu-items/999', { ...cast.manager.token, json: { price: 'bad' } });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, NOT_FOUND);
});

// A missing field is no error in a partial update: only the cases with a value apply.
for (const c of INVALID_CASES.filter((c) => c.value !== undefined)) {
  test(`an invalid ${describeCase(c)} is 400 {"${c.field}": ["${c.message}"]} and changes nothing`, { todo: c.todo }, async () => {
    const before = await current();
    const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.manager.token, json: { [c.field]: c.value } });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.body, { [c.field]: [c.message] });
    assert.deepEqual(await current(), before);
  });
}

test('one invalid field refuses the whole patch', async () => {
  const before = await current();
  const r = await server.request('PATCH', `/api/menu-items/${id}`, { ...cast.manager.token, json: { title: 'Renamed', price: '1.234' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { price: ['Ensure that there are no more than 2 decimal places.'] });
  assert.deepEqual(await current(), before);
});
