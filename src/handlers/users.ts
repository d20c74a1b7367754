/**
 * djoser's UserViewSet with USER_ID_FIELD = LOGIN_FIELD = "username": registration, the
 * current user (`me`), users by username, set_password, set_username, password reset and
 * activation. Each handler plays djoser's serializer: field-level errors first, all of them
 * at once (`{"field": [...]}`), then the object-level checks (password validators, retyped
 * fields), then the write. The schema has already checked formats and lengths.
 */
import type { UserRow } from '../data/db';
import type { UserChanges } from '../data/users';
import { NotAuthenticated, PermissionDenied, ValidationError, type FieldErrors } from '../errors';
import { hashPassword } from '../passwords/hashers';
import { checkToken, decodeUid, type TokenPurpose } from '../passwords/tokens';
import { validatePassword } from '../passwords/validators';
import { checkPassword } from '../services/credentials';
import {
  activationMessage,
  normalizeEmail,
  passwordResetMessage,
  publicUser,
  sendMail,
  sendMailInBackground,
  UsernameTaken,
  type PublicUser,
} from '../services/users';
import { normalizeUsername, USERNAME_MAX_LENGTH } from '../username';
import type { Call, Handler, OperationId } from './types';

const REQUIRED = 'This field is required.';
const BLANK = 'This field may not be blank.';
const USERNAME_TAKEN = 'A user with that username already exists.';
const USERNAME_TOO_LONG = 'Ensure this field has no more than 150 characters.';
const INVALID_PASSWORD = 'Invalid password.';
const PASSWORD_MISMATCH = "The two password fields didn't match.";
const USERNAME_MISMATCH = "The two username fields didn't match.";
const INVALID_UID = "Invalid user id or user doesn't exist.";
const INVALID_TOKEN = 'Invalid token for given user.';
const STALE_TOKEN = 'Stale token for given user.';
const ACTIVATION_OFF = 'Account activation is not enabled.';

/** What the helpers below need of a call (any operation's). */
type CallContext = Pick<Call, 'services' | 'req' | 'loginGuard'>;

/** DRF's serializer errors, gathered field by field and raised together. */
class FieldErrorList {
  private readonly errors: FieldErrors = {};

  add(field: string, ...messages: string[]): void {
    (this.errors[field] ??= []).push(...messages);
  }

  /** Raises ValidationError with every error added so far, if any. */
  raiseIfAny(): void {
    if (Object.keys(this.errors).length > 0) throw new ValidationError(this.errors);
  }
}

/** A CharField the schema leaves optional that this configuration requires (a retyped field). */
function requirePresent(errors: FieldErrorList, field: string, value: string | undefined): value is string {
  if (value === undefined) errors.add(field, REQUIRED);
  else if (value === '') errors.add(field, BLANK);
  else return true;
  return false;
}

/** The caller's row, read afresh. Raises NotAuthenticated for an anonymous or vanished caller. */
async function callerRow(call: CallContext): Promise<UserRow> {
  const principal = call.req.principal;
  const row = principal ? await call.services.db.users.findById(principal.id) : undefined;
  if (!row) throw new NotAuthenticated();
  return row;
}

/**
 * djoser's CurrentPasswordSerializer: `current_password` must be the caller's password. Wrong
 * guesses count against the `login` throttle (checkPassword raises Throttled when blocked).
 */
async function checkCurrentPassword(call: CallContext, errors: FieldErrorList, user: UserRow, value: string | undefined): Promise<void> {
  if (!requirePresent(errors, 'current_password', value)) return;
  const check = { services: call.services, ip: call.req.ip, loginGuard: call.loginGuard };
  if (!(await checkPassword(check, user, value))) errors.add('current_password', INVALID_PASSWORD);
}

/** Django's validators, with the user's attributes, as `{field: [messages]}`. */
function checkNewPassword(field: string, password: string, user: Partial<Pick<UserRow, 'username' | 'email' | 'first_name' | 'last_name'>>): void {
  const problems = validatePassword(password, user);
  if (problems.length > 0) throw new ValidationError({ [field]: problems });
}


/**
 * djoser's UserSerializer.update: only `email` is writable (a `username` sent is ignored).
 * With SEND_ACTIVATION_EMAIL, a changed email deactivates the account until the new address
 * is confirmed, and an inactive user gets the activation mail.
 */
async function updateUser(call: CallContext, row: UserRow, email: string | undefined): Promise<PublicUser> {
  const { db, settings } = call.services;
  const changes: UserChanges = {};
  if (email !== undefined && email !== row.email) {
    changes.email = email;
    if (settings.users.sendActivationEmail) changes.is_active = false;
  }
  if (Object.keys(changes).length > 0) await db.users.update(row.id, changes);
  const updated = { ...row, ...changes };
  if (settings.users.sendActivationEmail && !updated.is_active) {
    await sendMail(call.services, activationMessage(settings, updated, call.services.clock.now()), { kind: 'activation', userId: row.id });
  }
  return publicUser(updated);
}

/** djoser's destroy: the CALLER's current password, then the user is deleted. */
async function destroyUser(call: CallContext, target: UserRow, currentPassword: string | undefined): Promise<void> {
  const errors = new FieldErrorList();
  await checkCurrentPassword(call, errors, await callerRow(call), currentPassword);
  errors.raiseIfAny();
  const actor = await callerRow(call);
  await call.services.accounts.deleteUser(target.id, {
    kind: 'user_deleted',
    actor: { id: actor.id, username: actor.username },
    user: { id: target.id, username: target.username },
    address: call.req.ip,
    detail: { operation: call.req.operation.operationId },
  });
}

/**
 * djoser's UidAndTokenSerializer: the uid must name a user and the token be valid for them and
 * for `purpose` (an activation token does not reset a password, nor the other way round), made
 * at most PASSWORD_RESET_TIMEOUT ago.
 */
async function userFromUidAndToken(call: CallContext, purpose: TokenPurpose, uid: string, token: string): Promise<UserRow> {
  const { db, settings, clock } = call.services;
  const id = decodeUid(uid);
  const user = id === null ? undefined : await db.users.findById(id);
  if (!user) throw ValidationError.field('uid', INVALID_UID);
  // Signed with SECRET_KEY only (services/users.ts); checked with it or a fallback, as Django does.
  if (!checkToken(purpose, user, token, [settings.secretKey, ...settings.secretKeyFallbacks], clock.now(), settings.users.passwordResetTimeoutSeconds)) {
    throw ValidationError.field('token', INVALID_TOKEN);
  }
  return user;
}

export const userHandlers = {
  async userList(call) {
    const principal = call.req.principal as NonNullable<typeof call.req.principal>; // the gate let in only the authenticated
    // djoser's HIDE_USERS: a non-admin's list holds only themself.
    const rows = await call.services.db.users.list(principal.isStaff ? {} : { id: principal.id });
    return { status: 200, body: rows.map(publicUser) };
  },

  async userCreate(call) {
    const { accounts, settings } = call.services;
    const body = call.body;
    const username = normalizeUsername(body.username);
    const email = normalizeEmail(body.email ?? '');
    const retype = settings.users.userCreatePasswordRetype;

    const errors = new FieldErrorList();
    if (Array.from(username).length > USERNAME_MAX_LENGTH) errors.add('username', USERNAME_TOO_LONG);
    else if (await accounts.usernameTaken(username)) errors.add('username', USERNAME_TAKEN);
    if (retype) requirePresent(errors, 're_password', body.re_password);
    errors.raiseIfAny();
    checkNewPassword('password', body.password, { username, email });
    if (retype && body.password !== body.re_password) throw ValidationError.nonField(PASSWORD_MISMATCH);

    const isActive = !settings.users.sendActivationEmail;
    let user: UserRow;
    try {
      user = await accounts.createUser({ username, email, passwordHash: await hashPassword(body.password), isActive }, (created) => ({
        kind: 'user_created',
        user: { id: created.id, username: created.username },
        address: call.req.ip,
        detail: { operation: call.operationId, is_active: isActive },
      }));
    } catch (err) {
      if (err instanceof UsernameTaken) throw new ValidationError({ username: [USERNAME_TAKEN] });
      throw err;
    }
    if (!isActive) {
      await sendMail(call.services, activationMessage(settings, user, call.services.clock.now()), { kind: 'activation', userId: user.id });
    }
    return { status: 201, body: { ...publicUser(user), id: user.id } };
  },

  async userMe(call) {
    return { status: 200, body: publicUser(await callerRow(call)) };
  },

  async userMeUpdate(call) {
    return { status: 200, body: await updateUser(call, await callerRow(call), call.body.email) };
  },

  async userMePartialUpdate(call) {
    return { status: 200, body: await updateUser(call, await callerRow(call), call.body.email) };
  },

  async userMeDestroy(call) {
    const body = call.body;
    await destroyUser(call, await callerRow(call), body.current_password);
    return { status: 204 };
  },

  async userRetrieve(call) {
    return { status: 200, body: publicUser(call.object as UserRow) };
  },

  async userUpdate(call) {
    const row = call.object as UserRow;
    return { status: 200, body: await updateUser(call, row, call.body.email) };
  },

  async userPartialUpdate(call) {
    const row = call.object as UserRow;
    return { status: 200, body: await updateUser(call, row, call.body.email) };
  },

  async userDestroy(call) {
    const target = call.object as UserRow;
    const body = call.body;
    await destroyUser(call, target, body.current_password);
    return { status: 204 };
  },

  async setPassword(call) {
    const { settings } = call.services;
    const body = call.body;
    const retype = settings.users.setPasswordRetype;
    const user = await callerRow(call);

    const errors = new FieldErrorList();
    if (retype) requirePresent(errors, 're_new_password', body.re_new_password);
    await checkCurrentPassword(call, errors, user, body.current_password);
    errors.raiseIfAny();
    checkNewPassword('new_password', body.new_password, user);
    if (retype && body.new_password !== body.re_new_password) throw ValidationError.nonField(PASSWORD_MISMATCH);

    const hash = await hashPassword(body.new_password);
    // Signed out everywhere, or not, as LOGOUT_ON_PASSWORD_CHANGE says.
    const who = { id: user.id, username: user.username };
    await call.services.accounts.changePassword(user.id, hash, { audit: { kind: 'password_changed', actor: who, user: who, address: call.req.ip, detail: { operation: call.operationId } } });
    return { status: 204 };
  },

  async setUsername(call) {
    const { accounts, settings } = call.services;
    const body = call.body;
    const retype = settings.users.setUsernameRetype;
    const user = await callerRow(call);
    const username = normalizeUsername(body.new_username);

    const errors = new FieldErrorList();
    if (Array.from(username).length > USERNAME_MAX_LENGTH) errors.add('new_username', USERNAME_TOO_LONG);
    else if (await accounts.usernameTaken(username, user)) errors.add('new_username', USERNAME_TAKEN);
    if (retype) requirePresent(errors, 're_new_username', body.re_new_username);
    await checkCurrentPassword(call, errors, user, body.current_password);
    errors.raiseIfAny();
    if (retype && body.new_username !== body.re_new_username) throw ValidationError.nonField(USERNAME_MISMATCH);

    try {
      await accounts.changeUsername(user.id, username);
    } catch (err) {
      if (err instanceof UsernameTaken) throw new ValidationError({ new_username: [USERNAME_TAKEN] });
      throw err;
    }
    return { status: 204 };
  },

  async resetPassword(call) {
    const { accounts, settings, clock } = call.services;
    const email = String(call.body.email);
    // The same answer, in about the same time, whether the address is known or not: the
    // mails go out after the response.
    for (const user of await accounts.usersByEmail(email, true)) {
      sendMailInBackground(call.services, passwordResetMessage(settings, user, clock.now()), { kind: 'password reset', userId: user.id });
    }
    return { status: 204 };
  },

  async resetPasswordConfirm(call) {
    const { settings, clock } = call.services;
    const body = call.body;
    const retype = settings.users.setPasswordRetype;

    const errors = new FieldErrorList();
    if (retype) requirePresent(errors, 're_new_password', body.re_new_password);
    errors.raiseIfAny();
    const user = await userFromUidAndToken(call, 'password-reset', body.uid, body.token);
    checkNewPassword('new_password', body.new_password, user);
    if (retype && body.new_password !== body.re_new_password) throw ValidationError.nonField(PASSWORD_MISMATCH);

    const hash = await hashPassword(body.new_password);
    // last_login moves too, so the token dies even if the same password were set again; and
    // everything signed in is signed out, since the old password may be known to someone else.
    const changed = await call.services.accounts.changePassword(user.id, hash, {
      signOut: true,
      lastLogin: clock.now(),
      ifPasswordIs: user.password,
      audit: { kind: 'password_reset', user: { id: user.id, username: user.username }, address: call.req.ip, detail: { operation: call.operationId } },
    });
    if (!changed) throw ValidationError.field('token', INVALID_TOKEN);
    return { status: 204 };
  },

  async activation(call) {
    const { db } = call.services;
    const body = call.body;
    const user = await userFromUidAndToken(call, 'activation', body.uid, body.token);
    if (user.is_active) throw new PermissionDenied(STALE_TOKEN);
    await db.users.update(user.id, { is_active: true });
    return { status: 204 };
  },

  async resendActivation(call) {
    const { accounts, settings, clock } = call.services;
    if (!settings.users.sendActivationEmail) throw ValidationError.nonField(ACTIVATION_OFF);
    const email = String(call.body.email);
    for (const user of await accounts.usersByEmail(email, false)) {
      sendMailInBackground(call.services, activationMessage(settings, user, clock.now()), { kind: 'activation', userId: user.id });
    }
    return { status: 204 };
  },
} satisfies { [K in OperationId]?: Handler<K> };
