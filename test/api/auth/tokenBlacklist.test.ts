/** POST /api/token/blacklist/ (simplejwt's TokenBlacklistView): the refresh token never works again. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, decodeJwt, forge, postMultipart, tamperSignature, tokenNotValid } from './jwt';

const PATH = '/api/token/blacklist/';
const BLACKLISTED = tokenNotValid('Token is blacklisted');

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
});
after(() => server.close());

const blacklist = (refresh: unknown) => server.request('POST', PATH, { json: { refresh } });

test('a refresh token gives 200 {} and never works again, anywhere', async () => {
  const pair = await server.jwtFor('alice');
  assertReply(await blacklist(pair.refresh), 200, {});
  assertReply(await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } }), 401, BLACKLISTED);
  assertReply(await server.request('POST', '/auth/jwt/refresh/', { form: { refresh: pair.refresh } }), 401, BLACKLISTED);
  assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 401, BLACKLISTED);
});

test('blacklisting it again is 401 "Token is blacklisted"', async () => {
  const pair = await server.jwtFor('alice');
  assertReply(await blacklist(pair.refresh), 200, {});
  assertReply(await blacklist(pair.refresh), 401, BLACKLISTED);
});

test('the pair\'s access token keeps working until it expires, as simplejwt', async () => {
  const pair = await server.jwtFor('alice');
  assertReply(await blacklist(pair.refresh), 200, {});
  assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
});

test('the blacklist row points at the outstanding token', async () => {
  const pair = await server.jwtFor('alice');
  assertReply(await blacklist(pair.refresh), 200, {});
  const { jti } = decodeJwt(pair.refresh).payload;
  const row = await server.app.services.db.knex('token_blacklist_outstandingtoken as o')
    .join('token_blacklist_blacklistedtoken as b', 'b.token_id', 'o.id')
    .where('o.jti', String(jti))
    .first('b.id');
  assert.ok(row);
});

test('a valid refresh token with no outstanding row is recorded, then blacklisted', async () => {
  const token = forge(server, claimsFor('refresh', aliceId, 3600));
  assertReply(await blacklist(token), 200, {});
  assertReply(await server.request('POST', '/api/token/refresh/', { json: { refresh: token } }), 401, BLACKLISTED);
});

test('an access token is 401 "Token has wrong type"', async () => {
  const pair = await server.jwtFor('alice');
  const r = await blacklist(pair.access);
  assertReply(r, 401, tokenNotValid('Token has wrong type'));
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('garbage and a tampered token are 401 "Token is invalid or expired"', async () => {
  const pair = await server.jwtFor('alice');
  assertReply(await blacklist('garbage'), 401, tokenNotValid());
  assertReply(await blacklist(tamperSignature(pair.refresh)), 401, tokenNotValid());
  // The genuine token was not blacklisted by the failed attempt.
  assert.equal((await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } })).status, 200);
});

test('a missing field is 400 {"refresh": ["This field is required."]}', async () => {
  assertReply(await server.request('POST', PATH, { json: {} }), 400, { refresh: ['This field is required.'] });
  assertReply(await server.request('POST', PATH, { form: {} }), 400, { refresh: ['This field is required.'] });
});

test('a URL-encoded form and a multipart form work', async () => {
  const a = await server.jwtFor('alice');
  assertReply(await server.request('POST', PATH, { form: { refresh: a.refresh } }), 200, {});
  const b = await server.jwtFor('alice');
  const multi = await postMultipart(server, PATH, { refresh: b.refresh });
  assert.deepEqual([multi.status, multi.body], [200, {}]);
});

test('a refresh token of a user deleted since can still be blacklisted (logging out after deleting the account)', async () => {
  const id = await server.createUser({ username: 'leaving' });
  const pair = await server.jwtFor('leaving');
  await server.app.services.db.knex('auth_user').where({ id }).delete();
  assertReply(await blacklist(pair.refresh), 200, {});
  assertReply(await blacklist(pair.refresh), 401, BLACKLISTED);
});
