/** POST /auth/token/logout/ (djoser's TokenDestroyView): deletes the key the request used, and only it. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply } from './jwt';

const PATH = '/auth/token/logout/';
const OK = { message: 'Some secret message' };

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'alice' });
  await server.createUser({ username: 'bob' });
});
after(() => server.close());

const secretWith = (token: string) => server.request('GET', '/api/secret/', { token });

test('logging out on one device leaves the others signed in', async () => {
  const phone = await server.tokenFor('alice');
  const laptop = await server.tokenFor('alice');
  const r = await server.request('POST', PATH, { token: phone });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assertReply(await secretWith(phone), 401, { detail: 'Invalid token.' });
  assertReply(await secretWith(laptop), 200, OK);
});

test('the key stops working at once, logout included', async () => {
  const key = await server.tokenFor('alice');
  assert.equal((await server.request('POST', PATH, { token: key })).status, 204);
  assertReply(await server.request('POST', PATH, { token: key }), 401, { detail: 'Invalid token.' });
});

test('the key row is deleted from the database', async () => {
  const before = Number((await server.app.services.db.knex('authtoken_token').count({ n: '*' }))[0].n);
  const key = await server.tokenFor('bob');
  assert.equal((await server.request('POST', PATH, { token: key })).status, 204);
  const after = Number((await server.app.services.db.knex('authtoken_token').count({ n: '*' }))[0].n);
  assert.equal(after, before);
});

test('another user\'s keys are untouched', async () => {
  const alice = await server.tokenFor('alice');
  const bob = await server.tokenFor('bob');
  assert.equal((await server.request('POST', PATH, { token: alice })).status, 204);
  assertReply(await secretWith(bob), 200, OK);
});

test('a body, even a broken one, is ignored', async () => {
  const key = await server.tokenFor('alice');
  const r = await server.request('POST', PATH, { token: key, raw: '{broken', contentType: 'application/json' });
  assert.equal(r.status, 204);
});

test('anonymous is 401 "Authentication credentials were not provided." with WWW-Authenticate', async () => {
  const r = await server.request('POST', PATH);
  assertReply(r, 401, { detail: 'Authentication credentials were not provided.' });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('a bad key is 401 "Invalid token."', async () => {
  assertReply(await server.request('POST', PATH, { token: '0'.repeat(40) }), 401, { detail: 'Invalid token.' });
});

test('signed in with a JWT: 204, and the user\'s DRF keys keep working', async () => {
  const key = await server.tokenFor('alice');
  const { access } = await server.jwtFor('alice');
  assert.equal((await server.request('POST', PATH, { jwt: access })).status, 204);
  assertReply(await secretWith(key), 200, OK);
});
