/**
 * The reads and writes the management commands make on auth_user, auth_group and
 * auth_user_groups. Lookups by name are exact (Django's get_by_natural_key); the uniqueness of
 * usernames is the API's (services/users.ts usernameTaken, whatever the letter case).
 */
import type { Db } from '../db/knex';
import { findUserByUsername, type UserRow } from '../services/accounts';
import { userRow } from '../services/users';
import { CommandError } from './args';

export const USERNAME_TAKEN = 'That username is already taken.';

export interface GroupRow {
  id: number;
  name: string;
}

export interface NewUser {
  username: string;
  email: string;
  /** The stored (hashed or unusable) password: never a raw one. */
  password: string;
  isStaff: boolean;
  isSuperuser: boolean;
  isActive: boolean;
}

export interface UserListing {
  id: number;
  username: string;
  email: string;
  is_staff: boolean;
  is_superuser: boolean;
  is_active: boolean;
  groups: string[];
}

/** The user named exactly `username`. Raises CommandError when there is none. */
export async function getUser(db: Db, username: string): Promise<UserRow> {
  const user = await findUserByUsername(db, username);
  if (!user) throw new CommandError(`user '${username}' does not exist`);
  return user;
}

/** The group named exactly `name`. Raises CommandError when there is none. */
export async function getGroup(db: Db, name: string): Promise<GroupRow> {
  const group = (await db('auth_group').where({ name }).first('id', 'name')) as GroupRow | undefined;
  if (!group) throw new CommandError(`group '${name}' does not exist`);
  return group;
}

/** Inserts the user; returns its id. Raises CommandError(USERNAME_TAKEN) on a duplicate. */
export async function insertUser(db: Db, user: NewUser, now: number): Promise<number> {
  try {
    const [row] = await db('auth_user').insert(userRow({ ...user, dateJoined: now })).returning('id');
    return typeof row === 'object' ? (row as { id: number }).id : (row as number);
  } catch (err) {
    // Taken between the check and the insert.
    if (isUniqueViolation(err)) throw new CommandError(USERNAME_TAKEN, { cause: err });
    throw err;
  }
}

/** Creates the group; raises CommandError when the name is taken. */
export async function insertGroup(db: Db, name: string): Promise<void> {
  try {
    await db('auth_group').insert({ name });
  } catch (err) {
    if (isUniqueViolation(err)) throw new CommandError(`group '${name}' already exists`, { cause: err });
    throw err;
  }
}

/** Adds the membership; returns false when it already existed. */
export async function addMembership(db: Db, userId: number, groupId: number): Promise<boolean> {
  const inserted = await db('auth_user_groups')
    .insert({ user_id: userId, group_id: groupId })
    .onConflict(['user_id', 'group_id'])
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/** Removes the membership; returns false when there was none. */
export async function removeMembership(db: Db, userId: number, groupId: number): Promise<boolean> {
  return (await db('auth_user_groups').where({ user_id: userId, group_id: groupId }).delete()) > 0;
}

/** Every user, by id, with the names of their groups (sorted). */
export async function listUsers(db: Db): Promise<UserListing[]> {
  const users = (await db('auth_user')
    .orderBy('id')
    .select('id', 'username', 'email', 'is_staff', 'is_superuser', 'is_active')) as Array<Omit<UserListing, 'groups'> & Record<string, unknown>>;
  const memberships = (await db('auth_user_groups as ug')
    .join('auth_group as g', 'g.id', 'ug.group_id')
    .orderBy('g.name')
    .select('ug.user_id', 'g.name')) as { user_id: number; name: string }[];
  const groups = new Map<number, string[]>();
  for (const m of memberships) groups.set(m.user_id, [...(groups.get(m.user_id) ?? []), m.name]);
  return users.map((u) => ({
    id: u.id,
    username: u.username,
    email: u.email,
    // SQLite hands booleans back as 0/1.
    is_staff: Boolean(u.is_staff),
    is_superuser: Boolean(u.is_superuser),
    is_active: Boolean(u.is_active),
    groups: groups.get(u.id) ?? [],
  }));
}

/** A unique-constraint failure, on SQLite (better-sqlite3) or PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(String((err as Error).message)));
}
