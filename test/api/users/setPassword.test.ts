/** POST /auth/users/set_password/ (djoser's set_password, with its retype and logout variants). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';

const RATES = 'login=1000/minute,register=1000/minute,password_reset=1000/minute';
const INVALID = { current_password: ['Invalid password.'] };
const NEW = 'Sunny-Lemon-2024';

let server: TestServer;
let retype: TestServer;
let logout: TestServer;
let guarded: TestServer;

before(async () => {
  [server, retype, logout, guarded] = await Promise.all([
    startServer({ THROTTLE_RATES: RATES }),
    startServer({ THROTTLE_RATES: RATES, SET_PASSWORD_RETYPE: 'true' }),
    startServer({ THROTTLE_RATES: RATES, LOGOUT_ON_PASSWORD_CHANGE: 'true' }),
    startServer({ THROTTLE_RATES: 'login=3/minute' }),
  ]);
});
after(async () => {
  await Promise.all([server, retype, logout, guarded].map((s) => s.close()));
});

let n = 0;
async function newUser(s: TestServer, extra: { email?: string } = {}): Promise<{ username: string; token: string }> {
  const username = `pw-user-${++n}`;
  await s.createUser({ username, ...extra });
  return { username, token: await s.tokenFor(username) };
}

const setPassword = (s: TestServer, token: string, body: Record<string, string>) => s.request('POST', '/auth/users/set_password/', { token, json: body });
const login = (s: TestServer, username: string, password: string) => s.request('POST', '/auth/token/login/', { json: { username, password } });

test('a changed password is 204: the new one logs in, the old one no longer does', async () => {
  const { username, token } = await newUser(server);
  const r = await setPassword(server, token, { current_password: DEFAULT_PASSWORD, new_password: NEW });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal((await login(server, username, NEW)).status, 200);
  const old = await login(server, username, DEFAULT_PASSWORD);
  assert.equal(old.status, 400);
  assert.deepEqual(old.body, { non_field_errors: ['Unable to log in with provided credentials.'] });
});

test('by default the keys and JWTs in use keep working after a change (djoser)', async () => {
  const { username, token } = await newUser(server);
  const { access } = await server.jwtFor(username);
  assert.equal((await setPassword(server, token, { current_password: DEFAULT_PASSWORD, new_password: NEW })).status, 204);
  assert.equal((await server.request('GET', '/auth/users/me/', { token })).status, 200);
  assert.equal((await server.request('GET', '/auth/users/me/', { jwt: access })).status, 200);
});

test('a form-encoded body works, and a JWT caller may change their password', async () => {
  const { username } = await newUser(server);
  const { access } = await server.jwtFor(username);
  const r = await server.request('POST', '/auth/users/set_password/', { jwt: access, form: { current_password: DEFAULT_PASSWORD, new_password: NEW } });
  assert.equal(r.status, 204);
  assert.equal((await login(server, username, NEW)).status, 200);
});

test('a wrong current_password is 400 "Invalid password." and changes nothing', async () => {
  const { username, token } = await newUser(server);
  const r = await setPassword(server, token, { current_password: 'not-it-at-all', new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, INVALID);
  assert.equal((await login(server, username, DEFAULT_PASSWORD)).status, 200);
});

test('a wrong current_password is reported alone, before the new password is judged', async () => {
  const { token } = await newUser(server);
  const r = await setPassword(server, token, { current_password: 'not-it-at-all', new_password: '123' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, INVALID);
});

test('missing fields are "This field is required."', async () => {
  const { token } = await newUser(server);
  const r = await setPassword(server, token, {});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { new_password: ['This field is required.'], current_password: ['This field is required.'] });
});

test("the new password goes through Django's validators", async () => {
  const { token } = await newUser(server);
  const weak = await setPassword(server, token, { current_password: DEFAULT_PASSWORD, new_password: '1234' });
  assert.equal(weak.status, 400);
  assert.deepEqual(weak.body, {
    new_password: [
      'This password is too short. It must contain at least 8 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
    ],
  });
});

test("the new password is compared with the user's own username and email", async () => {
  const { username, token } = await newUser(server, { email: 'margarita.pizza@example.com' });
  const likeName = await setPassword(server, token, { current_password: DEFAULT_PASSWORD, new_password: `${username}!` });
  assert.equal(likeName.status, 400);
  assert.deepEqual(likeName.body, { new_password: ['The password is too similar to the username.'] });
  const likeEmail = await setPassword(server, token, { current_password: DEFAULT_PASSWORD, new_password: 'margarita.pizza' });
  assert.equal(likeEmail.status, 400);
  assert.deepEqual(likeEmail.body, { new_password: ['The password is too similar to the email address.'] });
});

test('an anonymous caller gets 401, even with a broken body', async () => {
  const r = await server.request('POST', '/auth/users/set_password/', { raw: '{oops', contentType: 'application/json' });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
});

test('with SET_PASSWORD_RETYPE, re_new_password is required', async () => {
  const { token } = await newUser(retype);
  const r = await setPassword(retype, token, { current_password: DEFAULT_PASSWORD, new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { re_new_password: ['This field is required.'] });
});

test('with SET_PASSWORD_RETYPE, a missing retype and a wrong password are reported together', async () => {
  const { token } = await newUser(retype);
  const r = await setPassword(retype, token, { current_password: 'wrong-wrong', new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { re_new_password: ['This field is required.'], current_password: ['Invalid password.'] });
});

test('with SET_PASSWORD_RETYPE, passwords that differ are refused', async () => {
  const { token } = await newUser(retype);
  const r = await setPassword(retype, token, { current_password: DEFAULT_PASSWORD, new_password: NEW, re_new_password: `${NEW}x` });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ["The two password fields didn't match."] });
});

test('with SET_PASSWORD_RETYPE, matching passwords are 204', async () => {
  const { username, token } = await newUser(retype);
  const r = await setPassword(retype, token, { current_password: DEFAULT_PASSWORD, new_password: NEW, re_new_password: NEW });
  assert.equal(r.status, 204);
  assert.equal((await login(retype, username, NEW)).status, 200);
});

test('with LOGOUT_ON_PASSWORD_CHANGE, every Token and JWT of the user stops working', async () => {
  const { username, token } = await newUser(logout);
  const otherDevice = await logout.tokenFor(username);
  const { access, refresh } = await logout.jwtFor(username);
  const bystander = await newUser(logout);

  const r = await setPassword(logout, token, { current_password: DEFAULT_PASSWORD, new_password: NEW });
  assert.equal(r.status, 204);

  for (const key of [token, otherDevice]) {
    const me = await logout.request('GET', '/auth/users/me/', { token: key });
    assert.equal(me.status, 401);
    assert.deepEqual(me.body, { detail: 'Invalid token.' });
  }
  const jwtMe = await logout.request('GET', '/auth/users/me/', { jwt: access });
  assert.equal(jwtMe.status, 401);
  assert.equal(jwtMe.body.code, 'token_not_valid');
  const refreshed = await logout.request('POST', '/api/token/refresh/', { json: { refresh } });
  assert.equal(refreshed.status, 401);
  assert.deepEqual(refreshed.body, { detail: 'Token is blacklisted', code: 'token_not_valid' });

  // Signing in again works, and other users were not touched.
  const fresh = await logout.tokenFor(username, NEW);
  assert.equal((await logout.request('GET', '/auth/users/me/', { token: fresh })).status, 200);
  assert.equal((await logout.request('GET', '/auth/users/me/', { token: bystander.token })).status, 200);
});

test('with LOGOUT_ON_PASSWORD_CHANGE, a refused change signs nobody out', async () => {
  const { token } = await newUser(logout);
  const r = await setPassword(logout, token, { current_password: 'wrong-wrong', new_password: NEW });
  assert.equal(r.status, 400);
  assert.equal((await logout.request('GET', '/auth/users/me/', { token })).status, 200);
});

test('wrong current passwords count against the login throttle', async () => {
  const { token } = await newUser(guarded);
  for (let i = 0; i < 3; i++) {
    const r = await setPassword(guarded, token, { current_password: `wrong-${i}-guess`, new_password: NEW });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, INVALID);
  }
  const blocked = await setPassword(guarded, token, { current_password: DEFAULT_PASSWORD, new_password: NEW });
  assert.equal(blocked.status, 429);
  assert.match(blocked.body.detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
});
