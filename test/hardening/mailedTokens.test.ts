/**
 * A mailed token works only for what it was mailed for (#14). djoser makes activation and
 * password-reset tokens with one generator, so the activation link of a new account could set
 * its password, and a reset link kept by a user an admin then deactivated could activate the
 * account again. Here the purpose is part of the token's key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';
import { uidAndToken, waitForMails } from '../api/users/mail';
import { NO_THROTTLES } from './lib';

const INVALID_TOKEN = { token: ['Invalid token for given user.'] };
const NEW_PASSWORD = 'Zesty-lemon-tart-42';

let server: TestServer;

before(async () => {
  server = await startServer({ THROTTLE_RATES: NO_THROTTLES, SEND_ACTIVATION_EMAIL: 'true' });
});
after(() => server.close());

/** The uid and token of the newest mail, once it has arrived. */
async function newestLink(before: number, path: string) {
  const mails = await waitForMails(server, before + 1);
  return uidAndToken(mails[mails.length - 1]!, path);
}

const login = (username: string, password: string) => server.request('POST', '/auth/token/login/', { json: { username, password } });
const isActive = async (username: string) => Boolean((await server.app.services.db.knex('auth_user').where({ username }).first('is_active')).is_active);

test('the activation token from the mail does not reset the password; it still activates the account', async () => {
  const before = server.mails().length;
  const r = await server.request('POST', '/auth/users/', { json: { username: 'newcomer', email: 'newcomer@example.com', password: 'fresh-basil-77' } });
  assert.equal(r.status, 201, r.text);
  const { uid, token } = await newestLink(before, 'activate');

  const reset = await server.request('POST', '/auth/users/reset_password_confirm/', { json: { uid, token, new_password: NEW_PASSWORD } });
  assert.deepEqual([reset.status, reset.body], [400, INVALID_TOKEN]);

  assert.equal((await server.request('POST', '/auth/users/activation/', { json: { uid, token } })).status, 204);
  assert.equal((await login('newcomer', NEW_PASSWORD)).status, 400, 'the password was not changed');
  assert.equal((await login('newcomer', 'fresh-basil-77')).status, 200);
});

test('a password-reset token does not activate an account an admin deactivated; it still resets the password', async () => {
  await server.createUser({ username: 'suspended', email: 'suspended@example.com' });
  const before = server.mails().length;
  assert.equal((await server.request('POST', '/auth/users/reset_password/', { json: { email: 'suspended@example.com' } })).status, 204);
  const { uid, token } = await newestLink(before, 'password/reset/confirm');
  // An admin deactivates the account after the mail went out.
  await server.app.services.db.knex('auth_user').where({ username: 'suspended' }).update({ is_active: false });

  const activation = await server.request('POST', '/auth/users/activation/', { json: { uid, token } });
  assert.deepEqual([activation.status, activation.body], [400, INVALID_TOKEN]);
  assert.equal(await isActive('suspended'), false);

  const reset = await server.request('POST', '/auth/users/reset_password_confirm/', { json: { uid, token, new_password: NEW_PASSWORD } });
  assert.equal(reset.status, 204, reset.text);
  assert.equal(await isActive('suspended'), false, 'a reset does not activate either');
});
