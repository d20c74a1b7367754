/**
 * What the models and the prepared reads share about auth_user's columns, so that a row read
 * either way is the same row. Imports nothing (db.ts and the repositories both use it).
 */

const USER_FLAGS = ['is_superuser', 'is_staff', 'is_active'] as const;

/**
 * A user row's flags as booleans, in place (SQLite hands them back as 0/1). Applied by the
 * User model to every row it reads, and by the prepared reads to theirs.
 */
export function parseUserFlags<T extends Record<string, unknown>>(row: T): T {
  for (const c of USER_FLAGS) if (c in row) (row as Record<string, unknown>)[c] = Boolean(row[c]);
  return row;
}

/**
 * Every column of auth_user, for the prepared read of a whole user. Named, not `*`: on
 * PostgreSQL a named statement's result shape is fixed when it is prepared, and a migration
 * adding a column would make `SELECT *` fail ("cached plan must not change result type") on
 * every connection that prepared it before.
 */
export const USER_COLUMNS = 'id, password, last_login, is_superuser, username, username_key, first_name, last_name, email, is_staff, is_active, date_joined, tokens_valid_after';

/** The user columns authentication reads (alias `u`): what a Principal and the revocation check need, no more. */
export const PRINCIPAL_COLUMNS = 'u.id, u.username, u.email, u.is_active, u.is_staff, u.is_superuser, u.tokens_valid_after';
