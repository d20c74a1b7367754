/**
 * Checking a username and password, as Django's ModelBackend: the user must exist, the
 * password match, and the account be active. An unknown username costs as much time as a
 * wrong password; failures count against the `login` throttle when the operation has it; a
 * hash weaker than ours is upgraded on success. Hashing takes its turn in passwords/hashers.ts.
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

/** Raises Throttled while the guard blocks this IP or username. */
async function assertNotBlocked(loginGuard: LoginGuard | null, ip: string, username: string): Promise<void> {
  if (!loginGuard) return;
  const decision = await loginGuard.check(ip, username);
  if (!decision.allowed) {
    const err = new Throttled(decision.waitSeconds);
    Object.assign(err.headers, decision.headers);
    throw err;
  }
}

/** The active user with these credentials, or null. Raises Throttled while guessing is blocked. */
export async function authenticateCredentials(check: CredentialCheck, username: string, password: string): Promise<UserRow | null> {
  const { services, ip, loginGuard } = check;
  await assertNotBlocked(loginGuard, ip, username);
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
  // Django's ModelBackend checks the password first: an inactive user costs the same time.
  if (!user.is_active) return null;
  await loginGuard?.reset(username).catch(() => undefined);
  const changes: Partial<UserRow> = { last_login: services.now() };
  if (result.mustUpdate) changes.password = await hashPassword(password);
  await services.db('auth_user').where({ id: user.id }).update(changes);
  return { ...user, ...changes };
}

/** Checks the password of a user already known (set_password, delete me), counting failures. */
export async function checkPassword(check: CredentialCheck, user: { id: number; username: string; password: string }, password: string): Promise<boolean> {
  const { loginGuard, ip } = check;
  await assertNotBlocked(loginGuard, ip, user.username);
  const result = await verifyPassword(password, user.password);
  if (!result.valid) await loginGuard?.recordFailure(ip, user.username);
  return result.valid;
}
