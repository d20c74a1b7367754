/**
 * POST /auth/users/reset_password/ and /auth/users/reset_password_confirm/ (djoser's password
 * reset, Django's token generator): mails, the end-to-end flow, and every way a token dies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../helpers/clock';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../../helpers/server';
import { sleep, uidAndToken, waitForMails } from './mail';

const RATES = 'login=1000/minute,register=1000/minute,password_reset=1000/minute';
const NEW = 'Sunny-Lemon-2024';
const BAD_TOKEN = { token: ['Invalid token for given user.'] };
const BAD_UID = { uid: ["Invalid user id or user doesn't exist."] };

let server: TestServer;
/** PASSWORD_RESET_TIMEOUT=1, on a clock the tests move. */
let quick: TestServer;
const quickClock = new ManualClock();
let retype: TestServer;

before(async () => {
  [server, quick, retype] = await Promise.all([
    startServer({ THROTTLE_RATES: RATES }),
    startServer({ THROTTLE_RATES: RATES, PASSWORD_RESET_TIMEOUT: '1' }, { clock: quickClock }),
    startServer({ THROTTLE_RATES: RATES, SET_PASSWORD_RETYPE: 'true' }),
  ]);
});
after(async () => {
  await Promise.all([server.close(), quick.close(), retype.close()]);
});

let n = 0;
/** A user with a unique email on `s`. */
async function newUser(s: TestServer, options: { isActive?: boolean; password?: string } = {}) {
  const username = `reset-user-${++n}`;
  const email = `${username}@example.com`;
  const id = await s.createUser({ username, email, ...options });
  return { username, email, id };
}

const reset = (s: TestServer, email: string) => s.request('POST', '/auth/users/reset_password/', { json: { email } });
const confirm = (s: TestServer, body: Record<string, string>) => s.request('POST', '/auth/users/reset_password_confirm/', { json: body });
const login = (s: TestServer, username: string, password: string) => s.request('POST', '/auth/token/login/', { json: { username, password } });

/** Asks for a reset of `email` and returns the uid and token of the mail it sends. */
async function mailedLink(s: TestServer, email: string) {
  const before = s.mails().length;
  const r = await reset(s, email);
  assert.equal(r.status, 204);
  const mails = await waitForMails(s, before + 1);
  const mail = mails[mails.length - 1];
  assert.equal(mail.to, email);
  return uidAndToken(mail);
}

test('a password reset completed end to end from the mail file', async () => {
  const { username, email } = await newUser(server);
  const before = server.mails().length;
  const r = await reset(server, email);
  assert.equal(r.status, 204);
  assert.equal(r.text, '');

  const mails = await waitForMails(server, before + 1);
  const mail = mails[before];
  assert.equal(mail.to, email);
  assert.match(mail.subject, /password reset/i);
  const { uid, token, link } = uidAndToken(mail);
  assert.ok(link.startsWith('http://127.0.0.1:8000/password/reset/confirm/'), link);
  assert.ok(mail.body.includes(username), 'the mail reminds the username');

  const done = await confirm(server, { uid, token, new_password: NEW });
  assert.equal(done.status, 204);
  assert.equal(done.text, '');
  assert.equal((await login(server, username, NEW)).status, 200);
  assert.equal((await login(server, username, DEFAULT_PASSWORD)).status, 400);
});

test('known and unknown addresses get identical answers, and only the known one a mail', async () => {
  const { email } = await newUser(server);
  const before = server.mails().length;
  const known = await reset(server, email);
  const unknown = await reset(server, 'nobody-at-all@example.com');
  for (const r of [known, unknown]) {
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
  }
  assert.equal(known.headers.get('content-type'), unknown.headers.get('content-type'));
  assert.equal(known.headers.get('content-length'), unknown.headers.get('content-length'));
  const mails = await waitForMails(server, before + 1);
  await sleep(100);
  assert.equal(server.mails().length, before + 1);
  assert.equal(mails[before].to, email);
});

test('the email matches case-insensitively; every active user with it gets their own mail', async () => {
  const a = await server.createUser({ username: 'twin-a', email: 'Twins@Example.com' });
  const b = await server.createUser({ username: 'twin-b', email: 'twins@example.com' });
  await server.createUser({ username: 'twin-off', email: 'twins@example.com', isActive: false });
  const before = server.mails().length;
  assert.equal((await reset(server, 'TWINS@example.COM')).status, 204);
  const mails = (await waitForMails(server, before + 2)).slice(before);
  await sleep(100);
  assert.equal(server.mails().length, before + 2, 'no mail for the inactive twin');
  const uids = mails.map((m) => uidAndToken(m).uid).sort();
  const expected = [a, b].map((id) => Buffer.from(String(id)).toString('base64url')).sort();
  assert.deepEqual(uids, expected);
});

test('an inactive user gets no reset mail', async () => {
  const { email } = await newUser(server, { isActive: false });
  const before = server.mails().length;
  assert.equal((await reset(server, email)).status, 204);
  await sleep(200);
  assert.equal(server.mails().length, before);
});

test('a user without a usable password gets no reset mail (Django, djoser)', async () => {
  const { email, id } = await newUser(server);
  await server.app.services.db.knex('auth_user').where({ id }).update({ password: '!unusable-password-marker' });
  const before = server.mails().length;
  assert.equal((await reset(server, email)).status, 204);
  await sleep(200);
  assert.equal(server.mails().length, before);
});

test('a malformed or missing email is a 400 field error', async () => {
  const bad = await reset(server, 'not-an-email');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { email: ['Enter a valid email address.'] });
  const missing = await server.request('POST', '/auth/users/reset_password/', { json: {} });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { email: ['This field is required.'] });
});

test('reset_password takes a form-encoded body', async () => {
  const { email } = await newUser(server);
  const before = server.mails().length;
  const r = await server.request('POST', '/auth/users/reset_password/', { form: { email } });
  assert.equal(r.status, 204);
  await waitForMails(server, before + 1);
});

test('a used token is refused the second time', async () => {
  const { email } = await newUser(server);
  const { uid, token } = await mailedLink(server, email);
  assert.equal((await confirm(server, { uid, token, new_password: NEW })).status, 204);
  const again = await confirm(server, { uid, token, new_password: 'Another-Lemon-99' });
  assert.equal(again.status, 400);
  assert.deepEqual(again.body, BAD_TOKEN);
});

test('a token is refused after the password was changed with set_password', async () => {
  const { username, email } = await newUser(server);
  const { uid, token } = await mailedLink(server, email);
  const key = await server.tokenFor(username);
  const changed = await server.request('POST', '/auth/users/set_password/', { token: key, json: { current_password: DEFAULT_PASSWORD, new_password: NEW } });
  assert.equal(changed.status, 204);
  const r = await confirm(server, { uid, token, new_password: 'Another-Lemon-99' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, BAD_TOKEN);
});

test('a token is refused once PASSWORD_RESET_TIMEOUT has passed, and accepted until then', async () => {
  // Tokens count whole seconds: one made at second S is good through S+1 (timeout 1) and dead at S+2.
  quickClock.set(Math.ceil((quickClock.now() + 1) / 1000) * 1000); // the start of a second, S
  const late = await newUser(quick);
  const lateLink = await mailedLink(quick, late.email);
  const lasting = await newUser(quick);
  const lastingLink = await mailedLink(quick, lasting.email);
  quickClock.advance(1999); // the last millisecond of second S+1
  assert.equal((await confirm(quick, { uid: lastingLink.uid, token: lastingLink.token, new_password: NEW })).status, 204, 'S+1 is within the timeout');
  quickClock.advance(1); // second S+2
  const r = await confirm(quick, { uid: lateLink.uid, token: lateLink.token, new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, BAD_TOKEN);
  assert.equal((await login(quick, late.username, DEFAULT_PASSWORD)).status, 200);
});

test('a token made for another user is refused', async () => {
  const first = await newUser(server);
  const second = await newUser(server);
  const one = await mailedLink(server, first.email);
  const two = await mailedLink(server, second.email);
  const r = await confirm(server, { uid: one.uid, token: two.token, new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, BAD_TOKEN);
});

test('a malformed token is refused', async () => {
  const { id } = await newUser(server);
  const r = await confirm(server, { uid: Buffer.from(String(id)).toString('base64url'), token: 'not-a-token', new_password: NEW });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, BAD_TOKEN);
});

test("a uid that does not decode, or names no user, is refused", async () => {
  for (const uid of ['!!!', 'abc', Buffer.from('999999').toString('base64url'), Buffer.from('0').toString('base64url')]) {
    const r = await confirm(server, { uid, token: '1-0123456789abcdef0123456789abcdef', new_password: NEW });
    assert.equal(r.status, 400, uid);
    assert.deepEqual(r.body, BAD_UID);
  }
});

test("the new password goes through Django's validators, with the user's attributes", async () => {
  const { username, email } = await newUser(server);
  const { uid, token } = await mailedLink(server, email);
  const weak = await confirm(server, { uid, token, new_password: 'password' });
  assert.equal(weak.status, 400);
  assert.deepEqual(weak.body, { new_password: ['This password is too common.'] });
  const similar = await confirm(server, { uid, token, new_password: `${username}!` });
  assert.equal(similar.status, 400);
  assert.deepEqual(similar.body, { new_password: ['The password is too similar to the username.'] });
  // A refused attempt leaves the token usable.
  assert.equal((await confirm(server, { uid, token, new_password: NEW })).status, 204);
});

test('missing fields are "This field is required."', async () => {
  const r = await confirm(server, {});
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, {
    uid: ['This field is required.'],
    token: ['This field is required.'],
    new_password: ['This field is required.'],
  });
});

test('reset_password_confirm takes a form-encoded body', async () => {
  const { username, email } = await newUser(server);
  const { uid, token } = await mailedLink(server, email);
  const r = await server.request('POST', '/auth/users/reset_password_confirm/', { form: { uid, token, new_password: NEW } });
  assert.equal(r.status, 204);
  assert.equal((await login(server, username, NEW)).status, 200);
});

test("a reset signs the user out everywhere: Tokens and JWTs die, last_login moves", async () => {
  const { username, email, id } = await newUser(server);
  const key = await server.tokenFor(username);
  const { access, refresh } = await server.jwtFor(username);
  const { uid, token } = await mailedLink(server, email);
  const started = Date.now();
  assert.equal((await confirm(server, { uid, token, new_password: NEW })).status, 204);

  const byKey = await server.request('GET', '/auth/users/me/', { token: key });
  assert.equal(byKey.status, 401);
  assert.deepEqual(byKey.body, { detail: 'Invalid token.' });
  const byJwt = await server.request('GET', '/auth/users/me/', { jwt: access });
  assert.equal(byJwt.status, 401);
  assert.equal(byJwt.body.code, 'token_not_valid');
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: { refresh } });
  assert.equal(refreshed.status, 401);
  const row = await server.app.services.db.knex('auth_user').where({ id }).first();
  assert.ok(Number(row.last_login) >= started);
});

test('with SET_PASSWORD_RETYPE, the confirmation needs re_new_password, and it must match', async () => {
  const { username, email } = await newUser(retype);
  const { uid, token } = await mailedLink(retype, email);
  const missing = await confirm(retype, { uid, token, new_password: NEW });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { re_new_password: ['This field is required.'] });
  const differ = await confirm(retype, { uid, token, new_password: NEW, re_new_password: 'Another-Lemon-99' });
  assert.equal(differ.status, 400);
  assert.deepEqual(differ.body, { non_field_errors: ["The two password fields didn't match."] });
  const ok = await confirm(retype, { uid, token, new_password: NEW, re_new_password: NEW });
  assert.equal(ok.status, 204);
  assert.equal((await login(retype, username, NEW)).status, 200);
});

test('a bad credential on these anonymous endpoints is still a 401', async () => {
  const r = await server.request('POST', '/auth/users/reset_password/', { token: 'f'.repeat(40), json: { email: 'a@example.com' } });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Invalid token.' });
});

test('a mail that cannot be sent does not change the answer, and its log line holds no secret', async () => {
  // A mail folder under a regular file: every send fails.
  const broken = await startServer({ THROTTLE_RATES: RATES, MAIL_DIR: `${__filename}/mail` });
  try {
    const logged: unknown[][] = [];
    broken.app.services.log.error = ((...args: unknown[]) => void logged.push(args)) as typeof broken.app.services.log.error;
    await broken.createUser({ username: 'unlucky', email: 'unlucky@example.com' });
    const known = await reset(broken, 'unlucky@example.com');
    const unknown = await reset(broken, 'nobody@example.com');
    assert.equal(known.status, 204);
    assert.equal(unknown.status, 204);
    for (let i = 0; i < 50 && logged.length === 0; i++) await sleep(20);
    assert.equal(logged.length, 1);
    const line = JSON.stringify(logged[0]);
    assert.match(line, /password reset/);
    assert.doesNotMatch(line, /unlucky@example\.com|confirm|token|http/i);
  } finally {
    await broken.close();
  }
});
