/**
 * Where a command's new password comes from (an environment variable, or typed twice at the
 * prompt) and how it is checked: Django's validators, blank refused. A raw password is never
 * printed, logged or kept beyond hashing it.
 */
import { hashPassword } from '../passwords/hashers';
import { validatePassword, type PasswordUserAttributes } from '../passwords/validators';
import type { Env } from '../settings';
import { CommandError } from './args';
import type { Io } from './context';

export const BLANK_PASSWORD = "Blank passwords aren't allowed.";
export const PASSWORDS_DIDNT_MATCH = "Your passwords didn't match.";

/** The problems with `password` for this user: blank, then Django's validators, in order. */
export function passwordErrors(password: string, user: PasswordUserAttributes): string[] {
  if (password.trim() === '') return [BLANK_PASSWORD];
  return validatePassword(password, user);
}

/**
 * The hashed password from environment variable `name`, checked for `user`.
 * @returns the hash, or undefined when the variable is not set.
 * @throws CommandError with the validators' messages on one line.
 */
export async function hashedPasswordFromEnv(env: Env, name: string, user: PasswordUserAttributes): Promise<string | undefined> {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const errors = passwordErrors(raw, user);
  if (errors.length > 0) throw new CommandError(`the password in ${name} was refused: ${errors.join(' ')}`);
  return hashPassword(raw);
}

/**
 * createsuperuser's password loop: typed twice; a mismatch or a blank one asks again; a
 * password the validators refuse is accepted only when the operator answers `y` to Django's
 * bypass question.
 * @returns the raw password (to be hashed at once).
 */
export async function askNewPasswordWithBypass(io: Io, user: PasswordUserAttributes): Promise<string> {
  for (;;) {
    const password = await io.prompt.askHidden('Password: ');
    const again = await io.prompt.askHidden('Password (again): ');
    if (password !== again) {
      io.err(`Error: ${PASSWORDS_DIDNT_MATCH}`);
      continue;
    }
    if (password.trim() === '') {
      io.err(`Error: ${BLANK_PASSWORD}`);
      continue;
    }
    const errors = validatePassword(password, user);
    if (errors.length > 0) {
      for (const message of errors) io.err(message);
      const answer = await io.prompt.ask('Bypass password validation and create user anyway? [y/N]: ');
      if (answer.trim().toLowerCase() !== 'y') continue;
    }
    return password;
  }
}

/** changepassword's attempts before it gives up (Django's MAX_TRIES). */
export const MAX_TRIES = 3;

/**
 * changepassword's loop: typed twice, validated, no bypass; MAX_TRIES attempts.
 * @returns the raw password, or null after MAX_TRIES failed attempts.
 */
export async function askNewPasswordStrict(io: Io, user: PasswordUserAttributes): Promise<string | null> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const password = await io.prompt.askHidden('Password: ');
    const again = await io.prompt.askHidden('Password (again): ');
    if (password !== again) {
      io.out('Passwords do not match. Please try again.');
      continue;
    }
    const errors = passwordErrors(password, user);
    if (errors.length > 0) {
      for (const message of errors) io.err(message);
      continue;
    }
    return password;
  }
  return null;
}
