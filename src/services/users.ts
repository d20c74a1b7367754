/**
 * djoser's user accounts, below HTTP: how a user is shown, creating a user, renaming one,
 * changing a password (and signing the user out everywhere), deleting one, and the
 * password-reset and activation mails with their uid/token links. The API's handlers and the
 * management commands both go through `Accounts`, so the two cannot drift apart (#16).
 * Nothing here knows about requests or status codes; handlers/users.ts is the serializer layer
 * that turns outcomes into DRF errors.
 *
 * Never logged: passwords, hashes, tokens, links, message bodies.
 */
import type { Clock } from '../clock';
import type { Database, Repositories, UserRow } from '../data/db';
import { UsernameTaken } from '../data/users';
import { encodeUid, makeToken, type TokenPurpose } from '../passwords/tokens';
import type { Settings } from '../settings';
import type { JwtService } from '../tokens/tokens';
import type { Services } from './index';
import type { TokenKeys } from './accounts';
import type { AuditEvent, AuditLog } from './audit';
import type { Message } from './mail';

export { UsernameTaken };

/** A user as djoser's UserSerializer shows it with USER_ID_FIELD = LOGIN_FIELD = "username". */
export interface PublicUser {
  email: string;
  username: string;
}

export function publicUser(row: Pick<UserRow, 'email' | 'username'>): PublicUser {
  return { email: row.email, username: row.username };
}

/**
 * An email address as stored: CharField's strip, then Django's
 * `BaseUserManager.normalize_email` (the domain part lowercased, the local part kept). The
 * API's bodies arrive stripped already; the management commands' typed input does not.
 */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at + 1) + trimmed.slice(at + 1).toLowerCase();
}

export interface NewUser {
  /** Already normalised (src/username.ts) and checked. */
  readonly username: string;
  readonly email: string;
  /** Already hashed (hashPassword), or an unusable-password marker. */
  readonly passwordHash: string;
  /** Defaults to true. */
  readonly isActive?: boolean;
  readonly isStaff?: boolean;
  readonly isSuperuser?: boolean;
  readonly firstName?: string;
  readonly lastName?: string;
}

export interface PasswordChange {
  /**
   * Delete every DRF key of the user and revoke every JWT, in the same transaction. Defaults
   * to LOGOUT_ON_PASSWORD_CHANGE (set_password, the changepassword command).
   */
  readonly signOut?: boolean;
  /** Also set last_login (djoser's reset confirm), in epoch ms. */
  readonly lastLogin?: number;
  /**
   * Only change it if the stored hash is still this one: a reset token is single-use even when
   * two confirmations race (the first one changes the hash the token was bound to).
   */
  readonly ifPasswordIs?: string;
  /** Written in the change's transaction when the password is changed. */
  readonly audit?: AuditEvent;
}

/** The account operations of the API and the management commands alike. */
export class Accounts {
  constructor(
    private readonly db: Database,
    private readonly keys: TokenKeys,
    private readonly jwt: JwtService,
    private readonly settings: Settings,
    private readonly clock: Clock,
    private readonly auditLog: AuditLog,
  ) {}

  /** Is `username` taken, whatever its letter case? See UsersRepository.usernameTaken for `self`. */
  usernameTaken(username: string, self?: { id: number; username: string }): Promise<boolean> {
    return this.db.users.usernameTaken(username, self);
  }

  /**
   * Creates a user (djoser's `create_user`, Django's createuser/createsuperuser), joined now.
   * Raises UsernameTaken when the unique index refuses the name: a concurrent registration
   * that won the race after the caller's check.
   */
  createUser(user: NewUser, audit?: (created: UserRow) => AuditEvent): Promise<UserRow> {
    return this.db.transaction(async (tx) => {
      const row = await tx.users.create({
        username: user.username,
        email: user.email,
        password: user.passwordHash,
        isActive: user.isActive,
        isStaff: user.isStaff,
        isSuperuser: user.isSuperuser,
        firstName: user.firstName,
        lastName: user.lastName,
        dateJoined: this.clock.now(),
      });
      if (audit) await this.auditLog.write(tx, audit(row));
      return row;
    });
  }

  /** Renames a user. Raises UsernameTaken when the unique index refuses the name. */
  changeUsername(userId: number, username: string): Promise<void> {
    return this.db.users.rename(userId, username);
  }

  /**
   * Stores a new password hash (already hashed: argon2 runs outside the transaction) and, as
   * `change.signOut` says, signs the user out everywhere, all in one transaction.
   * @returns false when nothing was changed (`ifPasswordIs` no longer matched, or no such user).
   */
  changePassword(userId: number, passwordHash: string, change: PasswordChange = {}): Promise<boolean> {
    const signOut = change.signOut ?? this.settings.users.logoutOnPasswordChange;
    return this.db.transaction(async (tx) => {
      if (!(await tx.users.setPassword(userId, passwordHash, { ifPasswordIs: change.ifPasswordIs, lastLogin: change.lastLogin }))) return false;
      if (signOut) await this.signOut(userId, tx);
      if (change.audit) await this.auditLog.write(tx, { ...change.audit, detail: { ...change.audit.detail, signed_out: signOut } });
      return true;
    });
  }

  /** Logout-all: deletes every DRF key of the user and revokes every JWT, in one transaction (with its audit entry, when given). */
  signOutEverywhere(userId: number, audit?: AuditEvent): Promise<void> {
    return this.db.transaction(async (tx) => {
      const keys = await this.signOut(userId, tx);
      if (audit) await this.auditLog.write(tx, { ...audit, detail: { ...audit.detail, keys_revoked: keys } });
    });
  }

  /** A new DRF key for the user (a sign-in, `createtoken`, the admin API) and its audit entry, in one transaction. */
  issueKey(userId: number, audit?: (key: { prefix: string }) => AuditEvent): Promise<{ key: string; id: number; prefix: string; created: number }> {
    return this.db.transaction(async (tx) => {
      const row = await this.keys.createRow(userId, tx);
      if (audit) await this.auditLog.write(tx, audit(row));
      return row;
    });
  }

  /** A new JWT pair for a user who signed in, and its audit entry, in one transaction. */
  issuePair(userId: number, tokensValidAfterMs: number, audit?: AuditEvent): Promise<{ refresh: string; access: string }> {
    return this.db.transaction(async (tx) => {
      const pair = await this.jwt.obtainPair(userId, tokensValidAfterMs, tx);
      if (audit) await this.auditLog.write(tx, audit);
      return pair;
    });
  }

  /** Deletes one DRF key (logout, the admin API) with its audit entry; with `userId`, only if it is that user's. Returns false when there was no such key. */
  revokeKey(tokenId: number, options: { userId?: number; audit?: (key: { prefix: string | null; userId: number }) => AuditEvent } = {}): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await tx.keys.find(tokenId);
      if (!row || (options.userId !== undefined && row.user_id !== options.userId)) return false;
      if (!(await tx.keys.delete(tokenId))) return false;
      if (options.audit) await this.auditLog.write(tx, options.audit({ prefix: row.prefix ?? null, userId: row.user_id }));
      return true;
    });
  }

  /** Deletes every DRF key of the user with its audit entry (the count in its detail); returns how many. */
  revokeAllKeys(userId: number, audit?: AuditEvent): Promise<number> {
    return this.db.transaction(async (tx) => {
      const count = await tx.keys.deleteAllFor(userId);
      if (audit) await this.auditLog.write(tx, { ...audit, detail: { ...audit.detail, count } });
      return count;
    });
  }

  /**
   * Deletes a user and, in the same transaction, their DRF keys, and blacklists their refresh
   * tokens (outstanding-token rows outlive their user, so a refresh token must die explicitly).
   */
  deleteUser(userId: number, audit?: AuditEvent): Promise<void> {
    return this.db.transaction(async (tx) => {
      await this.signOut(userId, tx);
      await tx.users.delete(userId);
      if (audit) await this.auditLog.write(tx, audit);
    });
  }

  /**
   * The users a reset or activation mail goes to: those whose email matches case-insensitively
   * (Django's PasswordResetForm, not djoser's exact `get`), with the wanted `is_active`, and with
   * a usable password (djoser's `has_usable_password()`).
   */
  async usersByEmail(email: string, active: boolean): Promise<UserRow[]> {
    const users = await this.db.users.findByEmail(email);
    return users.filter((u) => u.is_active === active && Boolean(u.password) && !u.password.startsWith('!'));
  }

  /** Deletes the user's keys and revokes their JWTs in `tx`; returns how many keys there were. */
  private async signOut(userId: number, tx: Repositories): Promise<number> {
    const keys = await tx.keys.deleteAllFor(userId);
    await this.jwt.revokeUser(userId, tx);
    return keys;
  }
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
