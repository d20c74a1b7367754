/**
 * Django's default AUTH_PASSWORD_VALIDATORS, in settings order:
 * UserAttributeSimilarityValidator, MinimumLengthValidator(8), CommonPasswordValidator,
 * NumericPasswordValidator — each contributing at most one message, worded as Django's.
 *
 * Lengths are counted in code points, as Python's `len(str)` does.
 */

/** The user attributes the similarity check reads (Django's AbstractUser fields). */
export interface PasswordUserAttributes {
  username?: string | null;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
}

export const MIN_PASSWORD_LENGTH = 8;
const MAX_SIMILARITY = 0.7;

/** Django's DEFAULT_USER_ATTRIBUTES order, with AbstractUser's verbose names. */
const USER_ATTRIBUTES: ReadonlyArray<readonly [keyof PasswordUserAttributes, string]> = [
  ['username', 'username'],
  ['first_name', 'first name'],
  ['last_name', 'last name'],
  ['email', 'email address'],
];

/** Python's `\W+` on str patterns: runs of characters that are neither alphanumeric nor `_`. */
const NON_WORD = /[^\p{L}\p{N}_]+/u;

/**
 * Run Django's default password validators.
 * @returns the error messages, in validator order; an empty array means the password is acceptable.
 * @throws never.
 */
export function validatePassword(password: string, user: PasswordUserAttributes): string[] {
  const errors: string[] = [];
  const similar = similarAttribute(password, user);
  if (similar) errors.push(`The password is too similar to the ${similar}.`);
  if (codePoints(password).length < MIN_PASSWORD_LENGTH) {
    errors.push(`This password is too short. It must contain at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (commonPasswords().has(password.toLowerCase().trim())) errors.push('This password is too common.');
  // Python's str.isdigit(), approximated by Unicode decimal digits (Nd).
  if (/^\p{Nd}+$/u.test(password)) errors.push('This password is entirely numeric.');
  return errors;
}

/**
 * UserAttributeSimilarityValidator: each attribute value (lowercased) is split on `\W+` and
 * the parts plus the whole value are compared with the lowercased password.
 * @returns the verbose name of the first attribute too similar to the password, or null.
 */
function similarAttribute(password: string, user: PasswordUserAttributes): string | null {
  const pwd = codePoints(password.toLowerCase());
  for (const [field, verboseName] of USER_ATTRIBUTES) {
    const value = user[field];
    if (!value || typeof value !== 'string') continue;
    const lower = value.toLowerCase();
    for (const part of [...lower.split(NON_WORD), lower]) {
      const partChars = codePoints(part);
      if (exceedsMaximumLengthRatio(pwd.length, partChars.length)) continue;
      if (quickRatio(pwd, partChars) >= MAX_SIMILARITY) return verboseName;
    }
  }
  return null;
}

/**
 * Django 4's shortcut: when the password is at least 10 times longer than the value and the
 * value is shorter than `max_similarity / 2 * len(password)`, their similarity cannot reach
 * the threshold, so the comparison is skipped.
 * @returns true when the comparison should be skipped.
 */
function exceedsMaximumLengthRatio(passwordLength: number, valueLength: number): boolean {
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/**
 * difflib's `SequenceMatcher(a, b).quick_ratio()`: 2 × |multiset intersection| / (|a| + |b|).
 * @returns the ratio in [0, 1]; 1 when both sequences are empty.
 */
export function quickRatio(a: readonly string[], b: readonly string[]): number {
  const available = new Map<string, number>();
  for (const ch of b) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const n = available.get(ch) ?? 0;
    if (n > 0) matches++;
    available.set(ch, n - 1);
  }
  const total = a.length + b.length;
  return total ? (2 * matches) / total : 1;
}

/** The string's code points (Python's view of a str). */
function codePoints(s: string): string[] {
  return Array.from(s);
}

let common: ReadonlySet<string> | undefined;

/**
 * The common-password list: zxcvbn-ts's "passwords-common" dictionary (≈49k entries, a
 * superset in spirit of Django's 20k list), lowercased and trimmed, loaded on first use.
 * @returns the shared set.
 * @throws if the dictionary package is missing or unexpectedly small.
 */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    // Required lazily: the package decompresses its dictionaries when loaded.
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const list = dictionary['passwords-common'];
    if (!Array.isArray(list) || list.length < 20_000) throw new Error('common password dictionary is missing or too small');
    common = new Set(list.map((p) => String(p).toLowerCase().trim()));
  }
  return common;
}
