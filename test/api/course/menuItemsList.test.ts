/**
 * GET /api/menu-items (menuItemsList): anyone, not throttled. A plain array, or DRF's page
 * object when `page` or `page_size` is given; DRF's OrderingFilter and SearchFilter.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

const ITEMS = [
  { title: 'Greek salad', price: '12.50', inventory: 5 },
  { title: 'Bruschetta', price: '7.00', inventory: 0 },
  { title: 'Lemon dessert', price: '5.50', inventory: 9 },
  { title: 'Chicken soup', price: '9.25', inventory: 3 },
  { title: 'Beef stew', price: '12.50', inventory: 1 },
  { title: 'Chicken wings', price: '6.00', inventory: 20 },
];
/** The items as served, id = position + 1. */
const SERVED = ITEMS.map((item, i) => ({ id: i + 1, ...item }));
const byIds = (...ids: number[]) => ids.map((id) => SERVED[id - 1]);

before(async () => {
  // The default policy's rates are tiny: the list must not be throttled at all.
  server = await startServer({ THROTTLE_RATES: 'default_anon=1/minute,default_user=1/minute,ten=100/minute' });
  cast = await createCast(server);
  for (const item of ITEMS) {
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: item });
    assert.equal(r.status, 201);
  }
});
after(() => server.close());

async function get(query: string, auth = {}) {
  const r = await server.request('GET', `/api/menu-items${query}`, auth);
  assert.equal(r.status, 200, `${query}: ${r.text}`);
  return r.body;
}
const ids = (body: { id: number }[]) => body.map((i) => i.id);
const link = (query: string) => `${server.url}/api/menu-items${query}`;

test('anyone gets the plain array of items, by id; anonymous, users, managers and admins alike', async () => {
  for (const auth of [{}, cast.user.token, cast.user.jwt, cast.manager.jwt, cast.admin.token]) {
    assert.deepEqual(await get('', auth), SERVED);
  }
});

test('the list is never throttled, even past the default rates', async () => {
  for (let i = 0; i < 5; i++) {
    await get('');
    await get('', cast.user.token);
  }
});

test('a bad credential is still 401', async () => {
  const r = await server.request('GET', '/api/menu-items', { jwt: 'x.y.z' });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'token_not_valid');
});

test('ordering by a field, descending with "-", ties in id order', async () => {
  assert.deepEqual(ids(await get('?ordering=price')), [3, 6, 2, 4, 1, 5]);
  assert.deepEqual(ids(await get('?ordering=-price')), [1, 5, 4, 2, 6, 3]);
  assert.deepEqual(ids(await get('?ordering=title')), [5, 2, 4, 6, 1, 3]);
  assert.deepEqual(ids(await get('?ordering=-title')), [3, 1, 6, 4, 2, 5]);
  assert.deepEqual(ids(await get('?ordering=inventory')), [2, 5, 4, 1, 3, 6]);
  assert.deepEqual(ids(await get('?ordering=-inventory')), [6, 3, 1, 4, 5, 2]);
  assert.deepEqual(ids(await get('?ordering=-id')), [6, 5, 4, 3, 2, 1]);
  assert.deepEqual(await get('?ordering=price'), byIds(3, 6, 2, 4, 1, 5));
});

test('ordering by several fields, comma-separated', async () => {
  assert.deepEqual(ids(await get('?ordering=-price,title')), [5, 1, 4, 2, 6, 3]);
  assert.deepEqual(ids(await get('?ordering=price,-id')), [3, 6, 2, 4, 5, 1]);
});

test('an empty ordering is the default order', async () => {
  assert.deepEqual(ids(await get('?ordering=')), [1, 2, 3, 4, 5, 6]);
});

test('ordering by a name every JavaScript object has (constructor, toString, __proto__) is an unknown field, not a 500', async () => {
  assert.deepEqual(ids(await get('?ordering=constructor')), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(ids(await get('?ordering=-toString,__proto__,-inventory')), [6, 3, 1, 4, 5, 2]);
});

test('unknown ordering fields are ignored, as DRF\'s OrderingFilter drops them', async () => {
  assert.deepEqual(ids(await get('?ordering=calories')), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(ids(await get('?ordering=calories,-inventory')), [6, 3, 1, 4, 5, 2]);
  assert.deepEqual(ids(await get('?ordering=-price,%20title')), [5, 1, 4, 2, 6, 3]);
});

test('search: case-insensitive substrings of the title', async () => {
  assert.deepEqual(await get('?search=soup'), byIds(4));
  assert.deepEqual(ids(await get('?search=CHICKEN')), [4, 6]);
  assert.deepEqual(ids(await get('?search=ess')), [3]);
  assert.deepEqual(await get('?search=pizza'), []);
});

test('search: every term must match; terms are split on whitespace and commas', async () => {
  assert.deepEqual(ids(await get('?search=chicken%20soup')), [4]);
  assert.deepEqual(ids(await get('?search=chicken,wings')), [6]);
  assert.deepEqual(ids(await get('?search=salad+stew')), []);
  assert.deepEqual(ids(await get('?search=%20%20')), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(ids(await get('?search=')), [1, 2, 3, 4, 5, 6]);
});

test('search and ordering combine', async () => {
  assert.deepEqual(ids(await get('?search=chicken&ordering=-inventory')), [6, 4]);
});

test('page_size gives DRF\'s page object with absolute next/previous links', async () => {
  assert.deepEqual(await get('?page_size=2'), {
    count: 6,
    next: link('?page=2&page_size=2'),
    previous: null,
    results: byIds(1, 2),
  });
  assert.deepEqual(await get('?page_size=2&page=2'), {
    count: 6,
    next: link('?page=3&page_size=2'),
    previous: link('?page_size=2'),
    results: byIds(3, 4),
  });
  assert.deepEqual(await get('?page=3&page_size=2'), {
    count: 6,
    next: null,
    previous: link('?page=2&page_size=2'),
    results: byIds(5, 6),
  });
});

test('page alone pages by the default size', async () => {
  assert.deepEqual(await get('?page=1'), { count: 6, next: null, previous: null, results: SERVED });
});

test('a page past the last is 404 "Invalid page."', async () => {
  for (const q of ['?page=4&page_size=2', '?page=2']) {
    const r = await server.request('GET', `/api/menu-items${q}`);
    assert.equal(r.status, 404, q);
    assert.deepEqual(r.body, { detail: 'Invalid page.' });
  }
});

test('links keep the other parameters, re-encoded with their names sorted as DRF does', async () => {
  const body = await get('?search=chicken&ordering=-price&page_size=1&page=2');
  assert.deepEqual(body, { count: 2, next: null, previous: link('?ordering=-price&page_size=1&search=chicken'), results: byIds(6) });
  const spaced = await get('?search=e%20s&page_size=2');
  assert.equal(spaced.next, link('?page=2&page_size=2&search=e+s'));
  const first = await get('?page_size=2&ordering=title');
  assert.equal(first.next, link('?ordering=title&page=2&page_size=2'));
  assert.deepEqual(ids(first.results), [5, 2]);
});

test('an empty result is one empty page', async () => {
  assert.deepEqual(await get('?search=pizza&page=1'), { count: 0, next: null, previous: null, results: [] });
});

test('page=last, and pages that are not positive integers, read as DRF reads them', async () => {
  assert.deepEqual(await get('?page=last&page_size=4'), { count: 6, next: null, previous: link('?page_size=4'), results: byIds(5, 6) });
  for (const q of ['?page=0', '?page=abc', '?page=-1', '?page=', '?page=1.0']) {
    const r = await server.request('GET', `/api/menu-items${q}`);
    assert.equal(r.status, 404, q);
    assert.deepEqual(r.body, { detail: 'Invalid page.' }, q);
  }
});

test('a page_size that is not a positive integer means the default size', async () => {
  for (const q of ['?page_size=0', '?page_size=-3', '?page_size=abc', '?page_size=']) {
    assert.deepEqual(await get(q), { count: 6, next: null, previous: null, results: SERVED }, q);
  }
});

test('a page_size over 100 is cut to 100', async () => {
  const big = await startServer();
  try {
    await big.app.services.db.knex('menu_items').insert(Array.from({ length: 105 }, (_, i) => ({ title: `Dish ${i + 1}`, price_cents: 100 + i, inventory: i })));
    const r = await big.request('GET', '/api/menu-items?page_size=1000');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.count, 105);
    assert.equal(r.body.results.length, 100);
    assert.equal(r.body.next, `${big.url}/api/menu-items?page=2&page_size=1000`);
    assert.equal(r.body.results[0].price, '1.00');
  } finally {
    await big.close();
  }
});

test('a long search is just a search', async () => {
  assert.deepEqual(await get(`?search=${'x'.repeat(300)}`), []);
});

test('unknown query parameters are ignored, and kept in the page links', async () => {
  assert.deepEqual(await get('?format=json&category=1'), SERVED);
  const body = await get('?z=1&page_size=2&a=%2A~');
  assert.equal(body.next, link('?a=%2A~&page=2&page_size=2&z=1'));
});

test('a repeated parameter counts by its last value', async () => {
  const body = await get('?page=2&page=1&page_size=3');
  assert.deepEqual(ids(body.results), [1, 2, 3]);
  assert.equal(body.next, link('?page=2&page_size=3'));
});

test('search treats %, _ and \\ as plain characters', async () => {
  for (const title of ['100% juice', 'Half_and_half', 'Back\\slash']) {
    const r = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { title, price: '1.00', inventory: 1 } });
    assert.equal(r.status, 201);
  }
  assert.deepEqual((await get('?search=%25')).map((i: { title: string }) => i.title), ['100% juice']);
  assert.deepEqual((await get('?search=_')).map((i: { title: string }) => i.title), ['Half_and_half']);
  assert.deepEqual((await get('?search=%5C')).map((i: { title: string }) => i.title), ['Back\\slash']);
});
