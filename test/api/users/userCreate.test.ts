/** POST /auth/users/ (djoser's registration). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

const RATES = { THROTTLE_RATES: 'login=1000/minute,register=1000/minute,password_reset=1000/minute' };
const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.';
const TOO_COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';
const TAKEN = { username: ['A user with that username already exists.'] };

let server: TestServer;
let retypeServer: TestServer;

before(async () => {
  [server, retypeServer] = await Promise.all([startServer(RATES), startServer({ ...RATES, USER_CREATE_PASSWORD_RETYPE: 'true' })]);
});
after(async () => {
  await Promise.all([server.close(), retypeServer.close()]);
});

const register = (body: Record<string, string>, s = server) => s.request('POST', '/auth/users/', { json: body });

test('registration answers 201 with exactly email, username and id', async () => {
  const r = await register({ username: 'newbie', password: 'fresh-basil-77', email: 'newbie@example.com' });
  assert.equal(r.status, 201);
  assert.equal(typeof r.body.id, 'number');
  assert.deepEqual(r.body, { email: 'newbie@example.com', username: 'newbie', id: r.body.id });
});

test('the new user is stored with a hashed password, a join date, and can log in', async () => {
  const before = Date.now();
  const r = await register({ username: 'stored', password: 'fresh-basil-77' });
  assert.equal(r.status, 201);
  const row = await server.app.services.db.knex('auth_user').where({ id: r.body.id }).first();
  assert.notEqual(row.password, 'fresh-basil-77');
  assert.match(row.password, /^argon2\$argon2id\$/);
  assert.ok(Number(row.date_joined) >= before && Number(row.date_joined) <= Date.now());
  assert.equal(Boolean(row.is_active), true);
  assert.equal(Boolean(row.is_staff), false);
  assert.equal(Boolean(row.is_superuser), false);
  assert.equal(row.last_login, null);
  const login = await server.request('POST', '/auth/token/login/', { json: { username: 'stored', password: 'fresh-basil-77' } });
  assert.equal(login.status, 200);
});

test('the email is optional, and may be blank', async () => {
  const missing = await register({ username: 'no-mail', password: 'fresh-basil-77' });
  assert.equal(missing.status, 201);
  assert.deepEqual(missing.body, { email: '', username: 'no-mail', id: missing.body.id });
  const blank = await register({ username: 'blank-mail', password: 'fresh-basil-77', email: '' });
  assert.equal(blank.status, 201);
  assert.deepEqual(blank.body, { email: '', username: 'blank-mail', id: blank.body.id });
});

test("the email's domain is lowercased, its local part kept (Django's normalize_email)", async () => {
  const r = await register({ username: 'caps', password: 'fresh-basil-77', email: 'Mixed.Case@Example.COM' });
  assert.equal(r.status, 201);
  assert.equal(r.body.email, 'Mixed.Case@example.com');
});

test('a form-encoded registration works too', async () => {
  const r = await server.request('POST', '/auth/users/', { form: { username: 'formed', password: 'fresh-basil-77', email: 'form@example.com' } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { email: 'form@example.com', username: 'formed', id: r.body.id });
});

test('a taken username is refused, whatever its case', async () => {
  assert.equal((await register({ username: 'taken', password: 'fresh-basil-77' })).status, 201);
  const same = await register({ username: 'taken', password: 'fresh-basil-77' });
  assert.equal(same.status, 400);
  assert.deepEqual(same.body, TAKEN);
  const upper = await register({ username: 'TAKEN', password: 'fresh-basil-77' });
  assert.equal(upper.status, 400);
  assert.deepEqual(upper.body, TAKEN);
});

test('concurrent registrations of one username: one 201, the others the same 400', async () => {
  const replies = await Promise.all(
    ['racer', 'Racer', 'RACER', 'racer', 'rAcEr'].map((username) => register({ username, password: 'fresh-basil-77' })),
  );
  assert.deepEqual(replies.map((r) => r.status).sort(), [201, 400, 400, 400, 400]);
  for (const r of replies.filter((x) => x.status === 400)) assert.deepEqual(r.body, TAKEN);
  const rows = await server.app.services.db.knex('auth_user').whereRaw("lower(username) = 'racer'");
  assert.equal(rows.length, 1);
});

test('a taken username is reported alone, before the password validators run (field errors first)', async () => {
  const r = await register({ username: 'taken', password: '123' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, TAKEN);
});

test('a password shorter than 8 characters is refused', async () => {
  const r = await register({ username: 'shorty', password: 'Zq9#xv' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: [TOO_SHORT] });
});

test('a common password is refused', async () => {
  const r = await register({ username: 'common', password: 'password' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: [TOO_COMMON] });
});

test('an entirely numeric password is refused', async () => {
  const r = await register({ username: 'numbers', password: '83920174651' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: [NUMERIC] });
});

test('a password too similar to the username is refused', async () => {
  const r = await register({ username: 'newbie42', password: 'newbie-42' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: ['The password is too similar to the username.'] });
});

test('a password too similar to the email address is refused', async () => {
  const r = await register({ username: 'someone', password: 'johnsmith1', email: 'johnsmith1@example.com' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: ['The password is too similar to the email address.'] });
});

test('every failing validator is reported, in Django order', async () => {
  const r = await register({ username: 'many', password: '1234' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: [TOO_SHORT, TOO_COMMON, NUMERIC] });
});

test('missing fields are "This field is required."', async () => {
  const r = await register({});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { username: ['This field is required.'], password: ['This field is required.'] });
});

test('a username with forbidden characters or a malformed email is refused', async () => {
  const r = await register({ username: 'bad name!', password: 'fresh-basil-77', email: 'not-an-email' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, {
    username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    email: ['Enter a valid email address.'],
  });
});

test('no user is created when registration fails', async () => {
  await register({ username: 'ghost', password: 'password' });
  assert.equal(await server.app.services.db.knex('auth_user').where({ username: 'ghost' }).first(), undefined);
});

test('an authenticated caller may register someone too; a bad token is still a 401', async () => {
  await server.createUser({ username: 'member' });
  const token = await server.tokenFor('member');
  const ok = await server.request('POST', '/auth/users/', { token, json: { username: 'friend', password: 'fresh-basil-77' } });
  assert.equal(ok.status, 201);
  const bad = await server.request('POST', '/auth/users/', { token: '0'.repeat(40), json: { username: 'friend2', password: 'fresh-basil-77' } });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.body, { detail: 'Invalid token.' });
});

test('with USER_CREATE_PASSWORD_RETYPE, re_password is required', async () => {
  const r = await register({ username: 'retyper', password: 'fresh-basil-77' }, retypeServer);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { re_password: ['This field is required.'] });
});

test('with USER_CREATE_PASSWORD_RETYPE, passwords that differ are refused', async () => {
  const r = await register({ username: 'retyper', password: 'fresh-basil-77', re_password: 'fresh-basil-78' }, retypeServer);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ["The two password fields didn't match."] });
});

test('with USER_CREATE_PASSWORD_RETYPE, a weak password is reported before the mismatch', async () => {
  const r = await register({ username: 'retyper', password: 'password', re_password: 'other' }, retypeServer);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { password: [TOO_COMMON] });
});

test('with USER_CREATE_PASSWORD_RETYPE, matching passwords register (re_password is not echoed)', async () => {
  const r = await register({ username: 'retyper', password: 'fresh-basil-77', re_password: 'fresh-basil-77' }, retypeServer);
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { email: '', username: 'retyper', id: r.body.id });
});
