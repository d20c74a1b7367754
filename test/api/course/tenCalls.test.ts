/**
 * GET /api/ten-calls (tenCalls): authenticated users; the `ten` scope (10/minute shipped),
 * shared with POST /api/menu-items. Throttles run after permissions, as in DRF: a refused
 * request is not counted; an invalid one that passed them is.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertNotAuthenticated, assertPermissionDenied, assertThrottled, createCast, type Cast } from './cast';

let server: TestServer;
let cast: Cast;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'ten=3/minute' });
  cast = await createCast(server);
});
after(() => server.close());

const OK = { message: 'successful' };
const ITEM = { title: 'Greek salad', price: '12.50', inventory: 5 };

test('an anonymous caller gets 401', async () => {
  assertNotAuthenticated(await server.request('GET', '/api/ten-calls'));
});

test('the shipped rate is 10 a minute', async () => {
  const shipped = await startServer();
  try {
    await shipped.createUser({ username: 'u' });
    const auth = { token: await shipped.tokenFor('u') };
    for (let i = 0; i < 10; i++) {
      const r = await shipped.request('GET', '/api/ten-calls', auth);
      assert.equal(r.status, 200, `call ${i + 1}: ${r.text}`);
      assert.deepEqual(r.body, OK);
    }
    assertThrottled(await shipped.request('GET', '/api/ten-calls', auth), 60);
  } finally {
    await shipped.close();
  }
});

test('requests refused by permissions do not count; the user keeps the whole quota', async () => {
  for (let i = 0; i < 5; i++) {
    assertPermissionDenied(await server.request('POST', '/api/menu-items', { ...cast.user.token, json: ITEM }));
  }
  for (let i = 0; i < 3; i++) {
    const r = await server.request('GET', '/api/ten-calls', i % 2 ? cast.user.jwt : cast.user.token);
    assert.equal(r.status, 200, `call ${i + 1}: ${r.text}`);
  }
  assertThrottled(await server.request('GET', '/api/ten-calls', cast.user.token), 60);
});

test('ten-calls and menu item creation share the scope, counted per user', async () => {
  const a = await server.request('GET', '/api/ten-calls', cast.manager.token);
  assert.equal(a.status, 200);
  const b = await server.request('POST', '/api/menu-items', { ...cast.manager.jwt, json: ITEM });
  assert.equal(b.status, 201, b.text);
  // An invalid body passed permissions and throttles: it is counted too.
  const c = await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: { ...ITEM, price: 'x' } });
  assert.equal(c.status, 400);
  assertThrottled(await server.request('POST', '/api/menu-items', { ...cast.manager.token, json: ITEM }), 60);
  assertThrottled(await server.request('GET', '/api/ten-calls', cast.manager.jwt), 60);
  // The throttled create wrote nothing.
  const list = await server.request('GET', '/api/menu-items');
  assert.equal(list.body.length, 1);
  // The admin's count is their own.
  const d = await server.request('GET', '/api/ten-calls', cast.admin.token);
  assert.equal(d.status, 200);
});

test('under concurrency exactly the quota of creations gets through, and only those are written', async () => {
  await server.createUser({ username: 'rush', groups: ['Manager'] });
  const rush = { token: await server.tokenFor('rush') };
  const before = (await server.request('GET', '/api/menu-items')).body.length;
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, i) => server.request('POST', '/api/menu-items', { ...rush, json: { ...ITEM, title: `Rush ${i}` } })),
  );
  assert.deepEqual(replies.map((r) => r.status).sort(), [201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
  const after = (await server.request('GET', '/api/menu-items')).body as { title: string }[];
  assert.equal(after.length, before + 3);
});

test('a wait of one second reads "1 second"', async () => {
  const fast = await startServer({ THROTTLE_RATES: 'ten=1/second' });
  try {
    await fast.createUser({ username: 'u' });
    const auth = { token: await fast.tokenFor('u') };
    assert.equal((await fast.request('GET', '/api/ten-calls', auth)).status, 200);
    const r = await fast.request('GET', '/api/ten-calls', auth);
    assert.equal(assertThrottled(r, 1), 1);
    assert.deepEqual(r.body, { detail: 'Request was throttled. Expected available in 1 second.' });
  } finally {
    await fast.close();
  }
});
