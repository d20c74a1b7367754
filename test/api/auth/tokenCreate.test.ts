/** POST /auth/token/login/ (djoser's TokenCreateView): `{"auth_token": key}`, a new key per login. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';
import { assertReply, postMultipart } from './jwt';

const PATH = '/auth/token/login/';
const UNABLE = { non_field_errors: ['Unable to log in with provided credentials.'] };

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'alice' });
  await server.createUser({ username: 'dormant', isActive: false });
});
after(() => server.close());

const login = (json: unknown) => server.request('POST', PATH, { json });

test('valid credentials give 200 {"auth_token": key}, a 40-hex key that authenticates', async () => {
  const r = await login({ username: 'alice', password: DEFAULT_PASSWORD });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body), ['auth_token']);
  assert.match(r.body.auth_token, /^[0-9a-f]{40}$/);
  assertReply(await server.request('GET', '/api/secret/', { token: r.body.auth_token }), 200, { message: 'Some secret message' });
});

test('each login issues a new key, unlike djoser\'s get_or_create', async () => {
  const a = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.auth_token;
  const b = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.auth_token;
  assert.notEqual(a, b);
});

test('a wrong password, an unknown user and an inactive user all get 400 non_field_errors', async () => {
  assertReply(await login({ username: 'alice', password: 'wrong-password' }), 400, UNABLE);
  assertReply(await login({ username: 'nobody', password: DEFAULT_PASSWORD }), 400, UNABLE);
  assertReply(await login({ username: 'dormant', password: DEFAULT_PASSWORD }), 400, UNABLE);
});

test('missing fields are not field errors: djoser\'s fields are optional, authentication fails', async () => {
  assertReply(await login({ username: 'alice' }), 400, UNABLE);
  assertReply(await login({ password: DEFAULT_PASSWORD }), 400, UNABLE);
  assertReply(await login({}), 400, UNABLE);
  assertReply(await server.request('POST', PATH), 400, UNABLE);
});

test('blank fields are "This field may not be blank." (djoser\'s CharFields do not allow blank)', async () => {
  const r = await login({ username: '', password: '' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: ['This field may not be blank.'], username: ['This field may not be blank.'] });
});

test('the password is trimmed, as djoser\'s CharField does', async () => {
  assert.equal((await login({ username: 'alice', password: ` ${DEFAULT_PASSWORD} ` })).status, 200);
});

test('a URL-encoded form and a multipart form work', async () => {
  const form = await server.request('POST', PATH, { form: { username: 'alice', password: DEFAULT_PASSWORD } });
  assert.equal(form.status, 200);
  assert.match(form.body.auth_token, /^[0-9a-f]{40}$/);
  const multi = await postMultipart(server, PATH, { username: 'alice', password: DEFAULT_PASSWORD });
  assert.equal(multi.status, 200);
  assert.match(multi.body.auth_token, /^[0-9a-f]{40}$/);
});

test('a valid credential sent along does not matter: logging in again works', async () => {
  const key = (await login({ username: 'alice', password: DEFAULT_PASSWORD })).body.auth_token;
  const r = await server.request('POST', PATH, { json: { username: 'alice', password: DEFAULT_PASSWORD }, token: key });
  assert.equal(r.status, 200);
  assert.notEqual(r.body.auth_token, key);
});
