/** POST /api/api-token-auth/ (DRF's obtain_auth_token): a new 40-hex key per login, stored hashed. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';
import { assertReply, postMultipart } from './jwt';

const PATH = '/api/api-token-auth/';
const UNABLE = { non_field_errors: ['Unable to log in with provided credentials.'] };

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer();
  aliceId = await server.createUser({ username: 'alice' });
  await server.createUser({ username: 'dormant', isActive: false });
});
after(() => server.close());

const login = (json: unknown) => server.request('POST', PATH, { json });

test('valid credentials give 200 {"token": key}, a 40-hex key that authenticates', async () => {
  const r = await login({ username: 'alice', password: DEFAULT_PASSWORD });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body), ['token']);
  assert.match(r.body.token, /^[0-9a-f]{40}$/);
  const secret = await server.request('GET', '/api/secret/', { token: r.body.token });
  assertReply(secret, 200, { message: 'Some secret message' });
});

test('each login issues a new key (one per device), and all of them work', async () => {
  const a = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.token;
  const b = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.token;
  assert.notEqual(a, b);
  assert.equal((await server.request('GET', '/api/secret/', { token: a })).status, 200);
  assert.equal((await server.request('GET', '/api/secret/', { token: b })).status, 200);
});

test('only the SHA-256 of a key is stored: the table holds no usable key', async () => {
  const key = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.token as string;
  const rows = (await server.app.services.db.knex('authtoken_token').where({ user_id: aliceId })) as Record<string, unknown>[];
  const digest = crypto.createHash('sha256').update(key).digest('hex');
  assert.ok(rows.some((row) => row.key_hash === digest));
  for (const row of rows) assert.ok(!Object.values(row).includes(key), 'no column holds the key itself');
});

test('a successful login records last_login', async () => {
  await server.app.services.db.knex('auth_user').where({ id: aliceId }).update({ last_login: null });
  await login({ username: 'alice', password: DEFAULT_PASSWORD });
  const row = await server.app.services.db.knex('auth_user').where({ id: aliceId }).first('last_login');
  assert.ok(Number(row.last_login) > Date.now() - 60_000);
});

test('a wrong password is 400 non_field_errors "Unable to log in with provided credentials."', async () => {
  assertReply(await login({ username: 'alice', password: 'wrong-password' }), 400, UNABLE);
});

test('an unknown username gets the same answer', async () => {
  assertReply(await login({ username: 'nobody', password: DEFAULT_PASSWORD }), 400, UNABLE);
});

test('usernames are case-sensitive, as Django\'s ModelBackend', async () => {
  assertReply(await login({ username: 'ALICE', password: DEFAULT_PASSWORD }), 400, UNABLE);
});

test('an inactive user with the right password cannot log in', async () => {
  assertReply(await login({ username: 'dormant', password: DEFAULT_PASSWORD }), 400, UNABLE);
});

test('missing fields are 400 "This field is required." per field, in DRF\'s order', async () => {
  assertReply(await login({ password: DEFAULT_PASSWORD }), 400, { username: ['This field is required.'] });
  assertReply(await login({ username: 'alice' }), 400, { password: ['This field is required.'] });
  assertReply(await login({}), 400, { username: ['This field is required.'], password: ['This field is required.'] });
  assertReply(await server.request('POST', PATH), 400, { username: ['This field is required.'], password: ['This field is required.'] });
});

test('blank fields are 400 "This field may not be blank."', async () => {
  assertReply(await login({ username: '', password: DEFAULT_PASSWORD }), 400, { username: ['This field may not be blank.'] });
  assertReply(await login({ username: 'alice', password: '' }), 400, { password: ['This field may not be blank.'] });
});

test('null fields are 400 "This field may not be null."', async () => {
  assertReply(await login({ username: null, password: DEFAULT_PASSWORD }), 400, { username: ['This field may not be null.'] });
});

test('a URL-encoded form works', async () => {
  const r = await server.request('POST', PATH, { form: { username: 'alice', password: DEFAULT_PASSWORD } });
  assert.equal(r.status, 200);
  assert.match(r.body.token, /^[0-9a-f]{40}$/);
  assertReply(await server.request('POST', PATH, { form: { username: 'alice', password: 'nope' } }), 400, UNABLE);
});

test('a multipart form works', async () => {
  const r = await postMultipart(server, PATH, { username: 'alice', password: DEFAULT_PASSWORD });
  assert.equal(r.status, 200);
  assert.match(r.body.token, /^[0-9a-f]{40}$/);
  const missing = await postMultipart(server, PATH, { username: 'alice' });
  assertReply(missing, 400, { password: ['This field is required.'] });
});

test('malformed JSON is 400 "JSON parse error - ..."', async () => {
  const r = await server.request('POST', PATH, { raw: '{"username": ', contentType: 'application/json' });
  assert.equal(r.status, 400);
  assert.match(r.body.detail, /^JSON parse error - /);
});

test('another content type is 415', async () => {
  const r = await server.request('POST', PATH, { raw: 'username=alice', contentType: 'text/plain' });
  assertReply(r, 415, { detail: 'Unsupported media type "text/plain" in request.' });
});

test('GET is 405', async () => {
  assertReply(await server.request('GET', PATH), 405, { detail: 'Method "GET" not allowed.' });
});

test('the password is not trimmed here (DRF\'s AuthTokenSerializer has trim_whitespace=False)', async () => {
  await server.createUser({ username: 'spacey', password: ' padded password ' });
  const r = await login({ username: 'spacey', password: ' padded password ' });
  assert.equal(r.status, 200);
  assertReply(await login({ username: 'spacey', password: 'padded password' }), 400, UNABLE);
});
