/**
 * The username rule, in one place: how a username is normalised, which ones are valid, and
 * when two of them are the same name. The HTTP API (the spec's `format: username`, the
 * handlers), the management commands and the Django import all use it.
 *
 * Valid, after NFKC: 1 to 150 letters, digits and combining marks of any script, and
 * `@ . + - _` (Django's UnicodeUsernameValidator `^[\w.@+-]+\Z`, plus the marks that Indic and
 * other scripts need inside a word); but no invisible character (a default-ignorable code
 * point, a variation selector) and no combining mark first, so that no name can display as
 * another one ("admin" followed by U+034F or U+FE0F, #14).
 *
 * The same name: equal `usernameKey`s. The key is computed here, never by SQL: SQLite's
 * lower() folds ASCII only and PostgreSQL's all of Unicode, so a unique index on
 * lower(username) gave different answers on the two databases (#14).
 */

export const USERNAME_MAX_LENGTH = 150;

/** Django's message for a username outside the rule. */
export const INVALID_USERNAME = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';

const ALLOWED = /^[\p{L}\p{N}\p{M}_.@+-]+$/u;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]/u;
const LEADING_MARK = /^\p{M}/u;

/**
 * Django's `AbstractBaseUser.normalize_username`: NFKC, so that look-alike compatibility
 * characters (full-width letters, ligatures) cannot make a second account for the same name.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC');
}

/**
 * Whether `username`, once normalised, follows the character rule (the length is checked
 * apart, with its own message). Never throws.
 */
export function isValidUsername(username: string): boolean {
  const name = normalizeUsername(username);
  return ALLOWED.test(name) && !INVISIBLE.test(name) && !LEADING_MARK.test(name);
}

/**
 * The key two usernames are compared by for uniqueness: NFKC, full Unicode lower-casing, NFKC
 * again (lower-casing can undo a normalisation). "Ädminx" and "ädminx" share a key; "ADMİN"
 * (capital I with dot above) lower-cases to "admi̇n", with a combining dot, which is not
 * "admin". At most twice as long as the username: U+0130 is the one code point whose lower
 * case is two.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase().normalize('NFKC');
}
