/**
 * Checking a username and password, as Django's ModelBackend: the user must exist, the
 * password match, and the account be active. An unknown username costs as much time as a
 * wrong password; failures count against the `login` throttle when the operation has it; a
 * hash weaker than ours is upgraded on success.
 */
import { Throttled } from '../errors';
import { fakeVerify, hashPassword, verifyPassword } from '../passwords/hashers';
import type { LoginGuard } from '../policies/throttling';
import type { Services } from '.';
import { findUserByUsername, type UserRow } from './accounts';

export interface CredentialCheck {
  readonly services: Services;
  readonly ip: string;
  readonly loginGuard: LoginGuard | null;
}

/** The active user with these credentials, or null. Raises Throttled while guessing is blocked. */
export async function authenticateCredentials(check: CredentialCheck, username: string, password: string): Promise<UserRow | null> {
  const { services, ip, loginGuard } = check;
  if (loginGuard) {
    const decision = await loginGuard.check(ip, username);
    if (!decision.allowed) {
      const err = new Throttled(decision.waitSeconds);
      Object.assign(err.headers, decision.headers);
      throw err;
    }
  }
  const user = await findUserByUsername(services.db, username);
  if (!user) {
    await fakeVerify(password);
    await loginGuard?.recordFailure(ip, username);
    return null;
  }
  const result = await verifyPassword(password, user.password);
  if (!result.valid) {
    await loginGuard?.recordFailure(ip, username);
    return null;
  }
  if (!user.is_active) return null;
  const changes: Partial<UserRow> = { last_login: services.now() };
  if (result.mustUpdate) changes.password = await hashPassword(password);
  await services.db('auth_user').where({ id: user.id }).update(changes);
  return { ...user, ...changes };
}

/** Checks the password of a user already known (set_password, delete me), counting failures. */
export async function checkPassword(check: CredentialCheck, user: { id: number; username: string; password: string }, password: string): Promise<boolean> {
  const { loginGuard, ip } = check;
  if (loginGuard) {
    const decision = await loginGuard.check(ip, user.username);
    if (!decision.allowed) {
      const err = new Throttled(decision.waitSeconds);
      Object.assign(err.headers, decision.headers);
      throw err;
    }
  }
  const result = await verifyPassword(password, user.password);
  if (!result.valid) await loginGuard?.recordFailure(ip, user.username);
  return result.valid;
}
