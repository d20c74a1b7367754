/**
 * POST /api/menu-items (menuItemsCreate): the Manager group or an admin; the `ten` scope.
 * DRF's field errors, exactly, and nothing written when the body is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertPermissionDenied, createCast, type Cast } from './cast';
import { ACCEPTED, INVALID_CASES, VALID_ITEM, describeCase, withField } from './menuFields';

let server: TestServer;
let cast: Cast;

before(async () => {
  // `ten` is raised so that the many requests here are not throttled; tenCalls.test.ts checks it.
  server = await startServer({ THROTTLE_RATES: 'ten=1000/minute' });
  cast = await createCast(server);
});
after(() => server.close());

async function list(): Promise<unknown[]> {
  const r = await server.request('GET', '/api/menu-items');
  assert.equal(r.status, 200);
  return r.body as unknown[];
}

test('a Manager and an admin create items, with a token or a JWT: 201 and the item', async () => {
  const before = (await list()).length;
  let n = 0;
  for (const auth of [cast.manager.token, cast.manager.jwt, cast.admin.token, cast.admin.jwt]) {
    const r = await server.request('POST', '/api/menu-items', { ...auth, json: { ...VALID_ITEM, title: `Dish ${++n}` } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body), ['id', 'title', 'price', 'inventory']);
    assert.equal(typeof r.body.id, 'number');
    assert.deepEqual(r.body, { id: r.body.id, title: `Dish ${n}`, price: '12.50', inventory: 5 });
    const again = await server.request('GET', `/api/menu-items/${r.body.id}`);
    assert.deepEqual(again.body, r.body);
  }
  assert.equal((await list()).length, before + 4);
});

test('a plain user gets 403 and an anonymous caller 401; nothing is written', async () => {
  const before = await list();
  assertPermissionDenied(await server.request('POST', '/api/menu-items', { ...cast.user.token, json: VALID_ITEM }));
  assertPermissionDenied(await server.request('POST', '/api/menu-items', { ...cast.user.jwt, json: VALID_ITEM }));
  assertNotAuthenticated(await server.request('POST', '/api/menu-items', { json: VALID_ITEM }));
  assert.deepEqual(await list(), before);
});

test('permissions are checked before the body is read: a refused caller with a broken body gets 403', async () => {
  const r = await server.request('POST', '/api/menu-items', { ...cast.user.token, raw: '{"title": ', contentType: 'application/json' });
  assertPermissionDenied(r);
});

for (const c of INVALID_CASES) {
  test(`an invalid ${describeCase(c)} is 400 {"${c.field}": ["${c.message}"]} and writes nothing`, { todo: c.todo }, async () => {
    const before = await list();
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: withField(c.field, c.value) });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.body, { [c.field]: [c.message] });
    assert.deepEqual(await list(), before);
  });
}

test('every invalid field is reported at once', async () => {
  const before = await list();
  const empty = await server.request('POST', '/api/menu-items', { ...cast.admin.token, json: {} });
  assert.equal(empty.status, 400);
  assert.deepEqual(empty.body, {
    title: ['This field is required.'],
    price: ['This field is required.'],
    inventory: ['This field is required.'],
  });
  const bad = await server.request('POST', '/api/menu-items', { ...cast.admin.token, json: { title: '', price: '1.234', inventory: -1 } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, {
    title: ['This field may not be blank.'],
    price: ['Ensure that there are no more than 2 decimal places.'],
    inventory: ['Ensure this value is greater than or equal to 0.'],
  });
  assert.deepEqual(await list(), before);
});

test('a JSON number too large for a double is not a valid price (DRF reads it as inf)', async () => {
  const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, raw: '{"title": "x", "price": 1e400, "inventory": 1}', contentType: 'application/json' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { price: ['A valid number is required.'] });
});

test('a body that is not an object is a non-field error, in DRF\'s words', async () => {
  const cases: [string, string][] = [
    ['[]', 'Invalid data. Expected a dictionary, but got list.'],
    ['"salad"', 'Invalid data. Expected a dictionary, but got str.'],
    ['5', 'Invalid data. Expected a dictionary, but got int.'],
    ['null', 'No data provided'],
  ];
  for (const [raw, message] of cases) {
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, raw, contentType: 'application/json' });
    assert.equal(r.status, 400, raw);
    assert.deepEqual(r.body, { non_field_errors: [message] }, raw);
  }
});

test('numbers may arrive as numbers or numeric strings; prices come back with 2 places', async () => {
  for (const a of ACCEPTED) {
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: a.body });
    assert.equal(r.status, 201, `${JSON.stringify(a.body)}: ${r.text}`);
    assert.deepEqual(r.body, { id: r.body.id, title: a.title, price: a.price, inventory: a.inventory });
  }
});

test('a URL-encoded form creates the item as JSON would', async () => {
  const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, form: { title: 'Bruschetta', price: '5.5', inventory: '3' } });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, { id: r.body.id, title: 'Bruschetta', price: '5.50', inventory: 3 });
  const bad = await server.request('POST', '/api/menu-items', { ...cast.manager.token, form: { title: 'Bruschetta', price: '', inventory: '' } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { price: ['A valid number is required.'], inventory: ['A valid integer is required.'] });
});

test('a multipart form creates the item too', async () => {
  const boundary = 'lemon-boundary-7';
  const parts = Object.entries({ title: 'Lemon dessert', price: '4.75', inventory: '12' })
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const r = await server.request('POST', '/api/menu-items', {
    ...cast.admin.jwt,
    raw: `${parts}--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, { id: r.body.id, title: 'Lemon dessert', price: '4.75', inventory: 12 });
});

test('unknown fields are ignored, and an id in the body does not choose the id', async () => {
  const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { ...VALID_ITEM, id: 999, featured: true } });
  assert.equal(r.status, 201);
  assert.notEqual(r.body.id, 999);
  assert.deepEqual(Object.keys(r.body), ['id', 'title', 'price', 'inventory']);
});

test('prices are exact: no binary float rounding on the way in or out', async () => {
  for (const price of ['0.29', '1.15', '4.35', '8.20', '9999.99', '0.01']) {
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { ...VALID_ITEM, price } });
    assert.equal(r.body.price, price);
    const again = await server.request('GET', `/api/menu-items/${r.body.id}`);
    assert.equal(again.body.price, price);
  }
});
