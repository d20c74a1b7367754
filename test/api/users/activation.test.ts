/**
 * POST /auth/users/activation/ and /auth/users/resend_activation/ (djoser's account activation,
 * on with SEND_ACTIVATION_EMAIL), and what activation changes in registration and `me`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { sleep, uidAndToken, waitForMails } from './mail';

const RATES = 'login=1000/minute,register=1000/minute,password_reset=1000/minute';
const PASSWORD = 'fresh-basil-77';
const ACTIVATE = 'activate';

let server: TestServer;
let off: TestServer;

before(async () => {
  [server, off] = await Promise.all([startServer({ THROTTLE_RATES: RATES, SEND_ACTIVATION_EMAIL: 'true' }), startServer({ THROTTLE_RATES: RATES })]);
});
after(async () => {
  await Promise.all([server.close(), off.close()]);
});

let n = 0;
/** Registers a user through the API and returns the activation link mailed to them. */
async function register(s = server) {
  const username = `act-user-${++n}`;
  const email = `${username}@example.com`;
  const before = s.mails().length;
  const r = await s.request('POST', '/auth/users/', { json: { username, email, password: PASSWORD } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { email, username, id: r.body.id });
  const mails = await waitForMails(s, before + 1);
  const mail = mails[mails.length - 1];
  assert.equal(mail.to, email);
  return { username, email, id: r.body.id as number, ...uidAndToken(mail, ACTIVATE) };
}

const activate = (body: Record<string, string>, s = server) => s.request('POST', '/auth/users/activation/', { json: body });
const login = (username: string, password = PASSWORD, s = server) => s.request('POST', '/auth/token/login/', { json: { username, password } });

test('registration creates an inactive user and mails an activation link', async () => {
  const { username, id, link } = await register();
  assert.ok(link.startsWith('http://127.0.0.1:8000/activate/'), link);
  const row = await server.app.services.db.knex('auth_user').where({ id }).first();
  assert.equal(Boolean(row.is_active), false);
  const r = await login(username);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ['Unable to log in with provided credentials.'] });
});

test('activation with the mailed uid and token is 204; the user can then log in', async () => {
  const { username, uid, token } = await register();
  const r = await activate({ uid, token });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal((await login(username)).status, 200);
});

test('activating an active user is 403 "Stale token for given user."', async () => {
  const { uid, token } = await register();
  assert.equal((await activate({ uid, token })).status, 204);
  const again = await activate({ uid, token });
  assert.equal(again.status, 403);
  assert.deepEqual(again.body, { detail: 'Stale token for given user.' });
});

test('a bad uid or token is a 400 field error; the account stays inactive', async () => {
  const { id, uid, token } = await register();
  const badUid = await activate({ uid: Buffer.from('424242').toString('base64url'), token });
  assert.equal(badUid.status, 400);
  assert.deepEqual(badUid.body, { uid: ["Invalid user id or user doesn't exist."] });
  const badToken = await activate({ uid, token: `${token.split('-')[0]}-${'0'.repeat(32)}` });
  assert.equal(badToken.status, 400);
  assert.deepEqual(badToken.body, { token: ['Invalid token for given user.'] });
  const missing = await activate({});
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { uid: ['This field is required.'], token: ['This field is required.'] });
  const row = await server.app.services.db.knex('auth_user').where({ id }).first();
  assert.equal(Boolean(row.is_active), false);
});

test('activation takes a form-encoded body', async () => {
  const { username, uid, token } = await register();
  const r = await server.request('POST', '/auth/users/activation/', { form: { uid, token } });
  assert.equal(r.status, 204);
  assert.equal((await login(username)).status, 200);
});

test('resend_activation mails a new link to an inactive user, which activates', async () => {
  const { username, email } = await register();
  const before = server.mails().length;
  const r = await server.request('POST', '/auth/users/resend_activation/', { json: { email } });
  assert.equal(r.status, 204);
  const mails = await waitForMails(server, before + 1);
  const { uid, token } = uidAndToken(mails[mails.length - 1], ACTIVATE);
  assert.equal((await activate({ uid, token })).status, 204);
  assert.equal((await login(username)).status, 200);
});

test('resend_activation is 204 and silent for an unknown or an already active address', async () => {
  const { email, uid, token } = await register();
  assert.equal((await activate({ uid, token })).status, 204);
  const before = server.mails().length;
  for (const address of [email, 'never-registered@example.com']) {
    const r = await server.request('POST', '/auth/users/resend_activation/', { form: { email: address } });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
  }
  await sleep(200);
  assert.equal(server.mails().length, before);
});

test('resend_activation refuses a malformed email', async () => {
  const r = await server.request('POST', '/auth/users/resend_activation/', { json: { email: 'nope' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { email: ['Enter a valid email address.'] });
});

test('changing the email deactivates the account and mails a link to the new address (djoser)', async () => {
  const { username, uid, token } = await register();
  assert.equal((await activate({ uid, token })).status, 204);
  const key = await server.tokenFor(username, PASSWORD);
  const before = server.mails().length;
  const r = await server.request('PATCH', '/auth/users/me/', { token: key, json: { email: 'moved@example.com' } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { email: 'moved@example.com', username });
  const mails = await waitForMails(server, before + 1);
  assert.equal(mails[mails.length - 1].to, 'moved@example.com');
  assert.equal((await login(username)).status, 400);
  const again = uidAndToken(mails[mails.length - 1], ACTIVATE);
  assert.equal((await activate(again)).status, 204);
  assert.equal((await login(username)).status, 200);
});

test('with activation off, registration makes an active user and mails nothing', async () => {
  const before = off.mails().length;
  const r = await off.request('POST', '/auth/users/', { json: { username: 'instant', password: PASSWORD } });
  assert.equal(r.status, 201);
  assert.equal((await login('instant', PASSWORD, off)).status, 200);
  await sleep(100);
  assert.equal(off.mails().length, before);
});

test('with activation off, resend_activation is a 400', async () => {
  await off.createUser({ username: 'dormant', email: 'dormant@example.com', isActive: false });
  const r = await off.request('POST', '/auth/users/resend_activation/', { json: { email: 'dormant@example.com' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ['Account activation is not enabled.'] });
});

test('an activation token dies when the stored password changes (the hash is in the token)', async () => {
  await server.createUser({ username: 'returning', email: 'returning@example.com', isActive: false });
  const before = server.mails().length;
  assert.equal((await server.request('POST', '/auth/users/resend_activation/', { json: { email: 'returning@example.com' } })).status, 204);
  const mails = await waitForMails(server, before + 1);
  const { uid, token } = uidAndToken(mails[mails.length - 1], ACTIVATE);
  // As when an admin tool sets a new password.
  await server.app.services.db.knex('auth_user').where({ username: 'returning' }).update({ password: 'pbkdf2_sha256$1$x$y' });
  const r = await activate({ uid, token });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { token: ['Invalid token for given user.'] });
});
