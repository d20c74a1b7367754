/**
 * Checking a username and password, as Django's ModelBackend: the user must exist, the
 * password match, and the account be active. An unknown username costs as much time as a
 * wrong password; failures count against the `login` throttle when the operation has it; a
 * hash weaker than ours is upgraded on success.
 *
 * Password hashing is CPU-bound work on libuv's thread pool. Left alone, a burst of logins
 * fills every pool thread and every core, and the event loop (which answers everyone else)
 * is starved of CPU: measured on 2 cores, 4 concurrent argon2 checks held a trivial GET for
 * 25-40 ms. So at most one hash per core but one runs at once (the rest wait their turn in
 * `hashingSlots`), which leaves a core to the event loop and pool threads to file and DNS work.
 */
import os from 'node:os';
import { Throttled } from '../errors';
import { fakeVerify, hashPassword, verifyPassword, type VerifyResult } from '../passwords/hashers';
import type { LoginGuard } from '../policies/throttling';
import type { Services } from '.';
import { findUserByUsername, type UserRow } from './accounts';

export interface CredentialCheck {
  readonly services: Services;
  readonly ip: string;
  readonly loginGuard: LoginGuard | null;
}

/** A counting semaphore: `run(fn)` waits for a free slot, runs fn, frees the slot. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.free++;
    }
  }
}

const hashingSlots = new Slots(Math.max(1, os.availableParallelism() - 1));

/** verifyPassword, in turn with every other hash of this process. */
const verifyInTurn = (raw: string, encoded: string | null): Promise<VerifyResult> => hashingSlots.run(() => verifyPassword(raw, encoded));

/**
 * A new hash for `raw` (argon2id), in turn with every other hash of this process. Handlers
 * that store a new password should hash it here rather than call hashPassword directly.
 */
export function hashNewPassword(raw: string): Promise<string> {
  return hashingSlots.run(() => hashPassword(raw));
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
    await hashingSlots.run(() => fakeVerify(password));
    await loginGuard?.recordFailure(ip, username);
    return null;
  }
  const result = await verifyInTurn(password, user.password);
  if (!result.valid) {
    await loginGuard?.recordFailure(ip, username);
    return null;
  }
  // Django's ModelBackend checks the password first: an inactive user costs the same time.
  if (!user.is_active) return null;
  await loginGuard?.reset(username).catch(() => undefined);
  const changes: Partial<UserRow> = { last_login: services.now() };
  if (result.mustUpdate) changes.password = await hashNewPassword(password);
  await services.db('auth_user').where({ id: user.id }).update(changes);
  return { ...user, ...changes };
}

/** Checks the password of a user already known (set_password, delete me), counting failures. */
export async function checkPassword(check: CredentialCheck, user: { id: number; username: string; password: string }, password: string): Promise<boolean> {
  const { loginGuard, ip } = check;
  await assertNotBlocked(loginGuard, ip, user.username);
  const result = await verifyInTurn(password, user.password);
  if (!result.valid) await loginGuard?.recordFailure(ip, user.username);
  return result.valid;
}
