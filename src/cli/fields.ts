/**
 * Django's field checks for the values an operator types: AbstractUser.username (the one
 * username rule of src/username.ts, as the API's), AbstractUser.email (EmailValidator,
 * max_length 254; the address is normalised by the API's normalizeEmail, src/services/users.ts)
 * and Group.name (max_length 150), with Django's messages. Lengths count code points, as
 * Python's len(str) does.
 */
import net from 'node:net';
import { domainToASCII } from 'node:url';
import { INVALID_USERNAME, isValidUsername, normalizeUsername, USERNAME_MAX_LENGTH } from '../username';

export { INVALID_USERNAME, USERNAME_MAX_LENGTH };
export const EMAIL_MAX_LENGTH = 254;
export const GROUP_NAME_MAX_LENGTH = 150;

export const BLANK = 'This field cannot be blank.';
export const INVALID_EMAIL = 'Enter a valid email address.';

/** A typed username as the API reads one: CharField's strip, then the one normalisation (NFKC). */
export function cleanUsername(raw: string): string {
  return normalizeUsername(raw.trim());
}

/**
 * The username field's clean(): blank first (and alone), then the validators in Django's order
 * (the character set, then the length).
 * @returns the messages; empty when the username is acceptable.
 */
export function usernameErrors(username: string): string[] {
  if (username === '') return [BLANK];
  const errors: string[] = [];
  if (!isValidUsername(username)) errors.push(INVALID_USERNAME);
  const length = lengthError(username, USERNAME_MAX_LENGTH);
  if (length) errors.push(length);
  return errors;
}

/** The email field's clean(); blank is allowed (AbstractUser.email has blank=True). */
export function emailErrors(email: string): string[] {
  if (email === '') return [];
  const errors: string[] = [];
  if (!isValidEmail(email)) errors.push(INVALID_EMAIL);
  const length = lengthError(email, EMAIL_MAX_LENGTH);
  if (length) errors.push(length);
  return errors;
}

/** Group.name's clean(). */
export function groupNameErrors(name: string): string[] {
  if (name === '') return [BLANK];
  const length = lengthError(name, GROUP_NAME_MAX_LENGTH);
  return length ? [length] : [];
}

function lengthError(value: string, max: number): string | null {
  const n = Array.from(value).length;
  return n > max ? `Ensure this value has at most ${max} characters (it has ${n}).` : null;
}

// django.core.validators.EmailValidator's expressions.
const EMAIL_USER =
  /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$|^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"$/i;
const EMAIL_DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))$/i;
const EMAIL_LITERAL = /^\[([A-F0-9:.]+)\]$/i;
const EMAIL_DOMAIN_ALLOWLIST = ['localhost'];

/** EmailValidator.__call__: user part, then the domain (allowlist, name, IDNA name, or [IP]). */
function isValidEmail(value: string): boolean {
  if (!value.includes('@') || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!EMAIL_USER.test(user)) return false;
  if (EMAIL_DOMAIN_ALLOWLIST.includes(domain.toLowerCase())) return true;
  if (validDomainPart(domain)) return true;
  // An internationalised domain is checked in its ASCII (punycode) form.
  const ascii = /^[\x00-\x7f]*$/.test(domain) ? '' : domainToASCII(domain);
  return ascii !== '' && validDomainPart(ascii);
}

function validDomainPart(domain: string): boolean {
  if (EMAIL_DOMAIN.test(domain)) return true;
  const literal = EMAIL_LITERAL.exec(domain);
  if (!literal) return false;
  const address = literal[1]!;
  return net.isIPv4(address) || net.isIPv6(address);
}
