/**
 * Checking a username and password, as Django's ModelBackend: the user must exist, the
 * password match, and the account be active. Every check costs the same argon2 work, whether the
 * user is unknown, has no usable password or a real one; a hash weaker than ours is upgraded on
 * success. Hashing takes its turn in passwords/hashers.ts.
 *
 * When the operation has the login guard, each check first takes its point from the guard (or is
 * refused with 429 before any hash runs) and gives it back only when the password was right (#14).
 */
import type { UserRow } from '../data/db';
import type { UserChanges } from '../data/users';
import { Throttled } from '../errors';
import { fakeVerify, hashPassword, verifyPassword, type VerifyResult } from '../passwords/hashers';
import type { LoginGuard, Reservation } from '../policies/throttling';
import type { Services } from './index';

export interface CredentialCheck {
  readonly services: Services;
  readonly ip: string;
  readonly loginGuard: LoginGuard | null;
}

/** The check's point, taken before the hash runs; null without a guard. Raises Throttled (nothing taken) when a window is full. */
async function reserve(loginGuard: LoginGuard | null, ip: string, username: string): Promise<Reservation | null> {
  if (!loginGuard) return null;
  const decision = await loginGuard.reserve(ip, username);
  if (!decision.allowed) {
    const err = new Throttled(decision.waitSeconds);
    Object.assign(err.headers, decision.headers);
    err.scopes = decision.scopes;
    throw err;
  }
  return decision.reservation;
}

/** Runs `verify` holding the reservation; an error means nothing was checked, so the point goes back. */
async function verifyHolding<T>(reservation: Reservation | null, verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (err) {
    await reservation?.giveBack();
    throw err;
  }
}

/** The active user with these credentials, or null. Raises Throttled while guessing is blocked. */
export async function authenticateCredentials(check: CredentialCheck, username: string, password: string): Promise<UserRow | null> {
  const { services, ip, loginGuard } = check;
  const reservation = await reserve(loginGuard, ip, username);
  const [user, result] = await verifyHolding(reservation, async (): Promise<[UserRow | undefined, VerifyResult | null]> => {
    const row = await services.db.users.findByUsername(username);
    // An unknown username costs a hash too, and keeps its point as a wrong password does.
    if (!row) return [undefined, await fakeVerify(password).then(() => null)];
    return [row, await verifyPassword(password, row.password)];
  });
  if (!user || !result?.valid) {
    services.passwordChecks.wrong++;
    return null;
  }
  services.passwordChecks.right++;
  await reservation?.giveBack();
  // Django's ModelBackend checks the password first: an inactive user costs the same time, and
  // the right password gives its point back, though the answer is the same failure.
  if (!user.is_active) return null;
  await loginGuard?.reset(username).catch(() => undefined);
  const changes: UserChanges = { last_login: services.clock.now() };
  if (result.mustUpdate) changes.password = await hashPassword(password);
  await services.db.users.update(user.id, changes);
  return { ...user, ...changes };
}

/** Checks the password of a user already known (set_password, set_username, delete), under the login guard. */
export async function checkPassword(check: CredentialCheck, user: { id: number; username: string; password: string }, password: string): Promise<boolean> {
  const reservation = await reserve(check.loginGuard, check.ip, user.username);
  const result = await verifyHolding(reservation, () => verifyPassword(password, user.password));
  check.services.passwordChecks[result.valid ? 'right' : 'wrong']++;
  if (result.valid) await reservation?.giveBack();
  return result.valid;
}
