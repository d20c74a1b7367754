/**
 * djoser's user accounts, below HTTP: how a user is shown, username uniqueness, the row of a
 * new user (for every insert: the API, the management commands, the Django import), creating a
 * user, changing a password (and signing the user out everywhere), and the password-reset
 * and activation mails with their uid/token links. Nothing here knows about requests or
 * status codes; handlers/users.ts is the serializer layer that turns outcomes into DRF errors.
 *
 * Never logged: passwords, hashes, tokens, links, message bodies.
 */
import type { Db } from '../db/knex';
import { encodeUid, makeToken, type TokenPurpose } from '../passwords/tokens';
import type { Settings } from '../settings';
import { usernameKey } from '../username';
import type { Services } from '.';
import type { UserRow } from './accounts';
import type { Message } from './mail';

/** A user as djoser's UserSerializer shows it with USER_ID_FIELD = LOGIN_FIELD = "username". */
export interface PublicUser {
  email: string;
  username: string;
}

/** Raised by createUser/changeUsername when the username belongs to someone else (even by case). */
export class UsernameTaken extends Error {
  override name = 'UsernameTaken';
}

export function publicUser(row: Pick<UserRow, 'email' | 'username'>): PublicUser {
  return { email: row.email, username: row.username };
}

/** Django's `BaseUserManager.normalize_email`: the domain part lowercased, the local part kept. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at + 1) + email.slice(at + 1).toLowerCase();
}

/**
 * The username columns of a row: the name and its comparison key (src/username.ts), which the
 * unique index `auth_user_username_key` holds. Every write of a username writes both, from here.
 */
export function usernameColumns(username: string): { username: string; username_key: string } {
  return { username, username_key: usernameKey(username) };
}

/**
 * Is `username` taken? Compared by key, as the unique index compares, so this check and the
 * index always agree, on SQLite and PostgreSQL alike. `self` is the user asking to be renamed:
 * their own row counts only for an exact match (djoser refuses "rename to my own name", as its
 * UniqueValidator runs without an instance), so they may still change the case of their own
 * name.
 */
export async function usernameTaken(db: Db, username: string, self?: { id: number; username: string }): Promise<boolean> {
  const rows = (await db('auth_user').where({ username_key: usernameKey(username) }).select('id', 'username')) as {
    id: number;
    username: string;
  }[];
  return rows.some((r) => !self || r.id !== self.id || r.username === username);
}

/** A unique-index violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** What a new user is made of; the username already normalised and checked. */
export interface UserFields {
  /** Set only to keep an id from elsewhere (the Django import); the database picks one otherwise. */
  readonly id?: number;
  readonly username: string;
  readonly email: string;
  /** The stored hash, or an unusable-password marker: never a raw password. */
  readonly password: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly isStaff?: boolean;
  readonly isSuperuser?: boolean;
  /** Defaults to true. */
  readonly isActive?: boolean;
  /** Epoch milliseconds. */
  readonly dateJoined: number;
  readonly lastLogin?: number | null;
}

/** The auth_user row for a new user. Every insert of a user (API, commands, import, tests) builds its row here. */
export function userRow(user: UserFields): Omit<UserRow, 'id'> & { id?: number } {
  return {
    ...(user.id === undefined ? {} : { id: user.id }),
    ...usernameColumns(user.username),
    email: user.email,
    password: user.password,
    first_name: user.firstName ?? '',
    last_name: user.lastName ?? '',
    is_staff: user.isStaff ?? false,
    is_superuser: user.isSuperuser ?? false,
    is_active: user.isActive ?? true,
    last_login: user.lastLogin ?? null,
    date_joined: user.dateJoined,
    tokens_valid_after: 0,
  };
}

export interface NewUser {
  readonly username: string;
  readonly email: string;
  /** Already hashed (hashPassword). */
  readonly passwordHash: string;
  readonly isActive: boolean;
}

/**
 * Inserts a user (djoser's `create_user`). Raises UsernameTaken when the unique index refuses
 * the name: a concurrent registration that won the race after the caller's check.
 */
export async function createUser(services: Services, user: NewUser): Promise<UserRow> {
  const row = userRow({ username: user.username, email: user.email, password: user.passwordHash, isActive: user.isActive, dateJoined: services.now() });
  try {
    const [inserted] = await services.db('auth_user').insert(row).returning('id');
    const id = typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
    return { id, ...row };
  } catch (err) {
    if (isUniqueViolation(err)) throw new UsernameTaken(undefined, { cause: err });
    throw err;
  }
}

/** Renames a user. Raises UsernameTaken when the unique index refuses the name. */
export async function changeUsername(db: Db, userId: number, username: string): Promise<void> {
  try {
    await db('auth_user').where({ id: userId }).update(usernameColumns(username));
  } catch (err) {
    if (isUniqueViolation(err)) throw new UsernameTaken(undefined, { cause: err });
    throw err;
  }
}

export interface PasswordChange {
  /** Delete every DRF key of the user and revoke every JWT, in the same transaction. */
  readonly signOut: boolean;
  /** Also set last_login (djoser's reset confirm), in epoch ms. */
  readonly lastLogin?: number;
  /**
   * Only change it if the stored hash is still this one: a reset token is single-use even when
   * two confirmations race (the first one changes the hash the token was bound to).
   */
  readonly ifPasswordIs?: string;
}

/**
 * Stores a new password hash (already hashed: argon2 runs outside the transaction) and, when
 * asked, signs the user out everywhere, all in one transaction.
 * @returns false when `ifPasswordIs` no longer matched (nothing was changed), true otherwise.
 */
export async function changePassword(services: Pick<Services, 'db' | 'keys' | 'jwt'>, userId: number, passwordHash: string, change: PasswordChange): Promise<boolean> {
  const { db, keys, jwt } = services;
  return db.transaction(async (trx) => {
    const query = trx('auth_user').where({ id: userId });
    if (change.ifPasswordIs !== undefined) query.where({ password: change.ifPasswordIs });
    const updated = await query.update({ password: passwordHash, ...(change.lastLogin === undefined ? {} : { last_login: change.lastLogin }) });
    if (!updated) return false;
    if (change.signOut) {
      await keys.deleteAllFor(userId, trx);
      await jwt.revokeUser(userId, trx);
    }
    return true;
  });
}

/**
 * Deletes a user and, in the same transaction, their DRF keys, and blacklists their refresh
 * tokens (outstanding-token rows outlive their user, so a refresh token must die explicitly).
 */
export async function deleteUser(services: Services, userId: number): Promise<void> {
  await services.db.transaction(async (trx) => {
    await services.keys.deleteAllFor(userId, trx);
    await services.jwt.revokeUser(userId, trx);
    await trx('auth_user').where({ id: userId }).delete();
  });
}

/**
 * The users a reset or activation mail goes to: those whose email matches case-insensitively
 * (Django's PasswordResetForm, not djoser's exact `get`), with the wanted `is_active`, and with
 * a usable password (djoser's `has_usable_password()`).
 */
export async function usersByEmail(db: Db, email: string, active: boolean): Promise<UserRow[]> {
  const rows = (await db('auth_user').whereRaw('lower(email) = lower(?)', [email]).orderBy('id').select('*')) as UserRow[];
  return rows.filter((u) => Boolean(u.is_active) === active && Boolean(u.password) && !u.password.startsWith('!'));
}

/** `${SITE_URL}/` + the template with {uid} and {token} filled, for a fresh `purpose` token of `user`. */
function uidTokenLink(settings: Settings, template: string, purpose: TokenPurpose, user: UserRow, nowMs: number): string {
  const uid = encodeUid(user.id);
  const token = makeToken(purpose, user, settings.secretKey, nowMs);
  const path = template.replace(/^\/+/, '').split('{uid}').join(uid).split('{token}').join(token);
  return `${settings.mail.siteUrl}/${path}`;
}

function siteName(settings: Settings): string {
  try {
    return new URL(settings.mail.siteUrl).host || settings.mail.siteUrl;
  } catch {
    return settings.mail.siteUrl;
  }
}

/** The password-reset mail (djoser's PasswordResetEmail, in our words). */
export function passwordResetMessage(settings: Settings, user: UserRow, nowMs: number): Message {
  const site = siteName(settings);
  return {
    to: user.email,
    subject: `Password reset on ${site}`,
    text: [
      `Someone asked to reset the password of your account on ${site}.`,
      '',
      'To choose a new password, open this page:',
      uidTokenLink(settings, settings.mail.passwordResetConfirmUrl, 'password-reset', user, nowMs),
      '',
      `Your username, in case you have forgotten it: ${user.username}`,
      '',
      'If it was not you, ignore this message: your password stays as it is.',
      '',
      `The ${site} team`,
    ].join('\n'),
  };
}

/** The account-activation mail (djoser's ActivationEmail, in our words). */
export function activationMessage(settings: Settings, user: UserRow, nowMs: number): Message {
  const site = siteName(settings);
  return {
    to: user.email,
    subject: `Account activation on ${site}`,
    text: [
      `Welcome to ${site}.`,
      '',
      'To activate your account, open this page:',
      uidTokenLink(settings, settings.mail.activationUrl, 'activation', user, nowMs),
      '',
      `The ${site} team`,
    ].join('\n'),
  };
}

/**
 * Sends a message; a failure is logged (what kind of mail, for which user id, and the error's
 * name and code: never the message, its link or the address) and swallowed, so it never
 * changes the HTTP answer.
 */
export async function sendMail(services: Services, message: Message, meta: { kind: string; userId: number }): Promise<void> {
  try {
    await services.mailer.send(message);
  } catch (err) {
    const e = err as { name?: unknown; code?: unknown };
    services.log.error({ mail: meta.kind, userId: meta.userId, errName: e?.name, errCode: e?.code }, 'mail could not be sent');
  }
}

/**
 * Starts sending and returns at once, so an answer does not take longer when an address is
 * known (no account enumeration by timing). Failures are logged by sendMail.
 */
export function sendMailInBackground(services: Services, message: Message, meta: { kind: string; userId: number }): void {
  void sendMail(services, message, meta);
}
