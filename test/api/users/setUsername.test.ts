/** POST /auth/users/set_username/ (djoser's set_username, with its retype variant). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';

const RATES = 'login=1000/minute';
const TAKEN = ['A user with that username already exists.'];

let server: TestServer;
let retype: TestServer;

before(async () => {
  [server, retype] = await Promise.all([startServer({ THROTTLE_RATES: RATES }), startServer({ THROTTLE_RATES: RATES, SET_USERNAME_RETYPE: 'true' })]);
  await server.createUser({ username: 'occupied' });
});
after(async () => {
  await Promise.all([server.close(), retype.close()]);
});

let n = 0;
async function newUser(s: TestServer): Promise<{ username: string; token: string; id: number }> {
  const username = `name-user-${++n}`;
  const id = await s.createUser({ username, email: `${username}@example.com` });
  return { username, id, token: await s.tokenFor(username) };
}

const setUsername = (s: TestServer, token: string, body: Record<string, string>) => s.request('POST', '/auth/users/set_username/', { token, json: body });

test('a new username is 204; the user logs in with it and keeps their record', async () => {
  const { username, token } = await newUser(server);
  const r = await setUsername(server, token, { new_username: 'renamed', current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  const me = await server.request('GET', '/auth/users/me/', { token });
  assert.deepEqual(me.body, { email: `${username}@example.com`, username: 'renamed' });
  assert.equal((await server.request('POST', '/auth/token/login/', { json: { username: 'renamed', password: DEFAULT_PASSWORD } })).status, 200);
  const old = await server.request('POST', '/auth/token/login/', { json: { username, password: DEFAULT_PASSWORD } });
  assert.equal(old.status, 400);
});

test('a form-encoded body works too', async () => {
  const { token } = await newUser(server);
  const r = await server.request('POST', '/auth/users/set_username/', { token, form: { new_username: 'formed.name', current_password: DEFAULT_PASSWORD } });
  assert.equal(r.status, 204);
  assert.deepEqual((await server.request('GET', '/auth/users/me/', { token })).body.username, 'formed.name');
});

test("someone else's username is refused, whatever its case", async () => {
  const { token } = await newUser(server);
  for (const name of ['occupied', 'OCCUPIED', 'Occupied']) {
    const r = await setUsername(server, token, { new_username: name, current_password: DEFAULT_PASSWORD });
    assert.equal(r.status, 400, name);
    assert.deepEqual(r.body, { new_username: TAKEN });
  }
});

test('your own username, exactly, is refused as taken (djoser)', async () => {
  const { username, token } = await newUser(server);
  const r = await setUsername(server, token, { new_username: username, current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { new_username: TAKEN });
});

test('changing only the case of your own username is allowed', async () => {
  const { username, token } = await newUser(server);
  const r = await setUsername(server, token, { new_username: username.toUpperCase(), current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 204);
  assert.equal((await server.request('GET', '/auth/users/me/', { token })).body.username, username.toUpperCase());
});

test('a taken name and a wrong password are reported together', async () => {
  const { token } = await newUser(server);
  const r = await setUsername(server, token, { new_username: 'occupied', current_password: 'wrong-wrong' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { new_username: TAKEN, current_password: ['Invalid password.'] });
});

test('a wrong current_password is 400 "Invalid password." and changes nothing', async () => {
  const { username, token } = await newUser(server);
  const r = await setUsername(server, token, { new_username: 'never-set', current_password: 'wrong-wrong' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { current_password: ['Invalid password.'] });
  assert.equal((await server.request('GET', '/auth/users/me/', { token })).body.username, username);
});

test('missing fields and an invalid username are DRF field errors', async () => {
  const { token } = await newUser(server);
  const missing = await setUsername(server, token, {});
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { new_username: ['This field is required.'], current_password: ['This field is required.'] });
  const bad = await setUsername(server, token, { new_username: 'no spaces!', current_password: DEFAULT_PASSWORD });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { new_username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'] });
  const long = await setUsername(server, token, { new_username: 'x'.repeat(151), current_password: DEFAULT_PASSWORD });
  assert.equal(long.status, 400);
  assert.deepEqual(long.body, { new_username: ['Ensure this field has no more than 150 characters.'] });
});

test('an anonymous caller gets 401', async () => {
  const r = await server.request('POST', '/auth/users/set_username/', { json: { new_username: 'x', current_password: 'y' } });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
});

test('with SET_USERNAME_RETYPE, re_new_username is required', async () => {
  const { token } = await newUser(retype);
  const r = await setUsername(retype, token, { new_username: 'retyped', current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { re_new_username: ['This field is required.'] });
});

test('with SET_USERNAME_RETYPE, names that differ are refused', async () => {
  const { token } = await newUser(retype);
  const r = await setUsername(retype, token, { new_username: 'retyped', re_new_username: 'retyped2', current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ["The two username fields didn't match."] });
});

test('with SET_USERNAME_RETYPE, matching names are 204', async () => {
  const { token } = await newUser(retype);
  const r = await setUsername(retype, token, { new_username: 'retyped', re_new_username: 'retyped', current_password: DEFAULT_PASSWORD });
  assert.equal(r.status, 204);
  assert.equal((await retype.request('GET', '/auth/users/me/', { token })).body.username, 'retyped');
});
