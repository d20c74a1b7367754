/**
 * The management commands' lookups by name, exact as Django's get_by_natural_key, raising the
 * commands' error when there is none. Everything else a command does to users, groups and
 * keys goes through the services the API uses (src/services/index.ts), so the two cannot drift.
 */
import type { GroupRow, UserRow } from '../data/db';
import type { Services } from '../services';
import { CommandError } from './args';

/** createsuperuser/createuser's message for a username taken (whatever its letter case). */
export const USERNAME_TAKEN = 'That username is already taken.';

/** The user named exactly `username`. Raises CommandError when there is none. */
export async function getUser(services: Services, username: string): Promise<UserRow> {
  const user = await services.db.users.findByUsername(username);
  if (!user) throw new CommandError(`user '${username}' does not exist`);
  return user;
}

/** The group named exactly `name`. Raises CommandError when there is none. */
export async function getGroup(services: Services, name: string): Promise<GroupRow> {
  const group = await services.db.users.findGroup(name);
  if (!group) throw new CommandError(`group '${name}' does not exist`);
  return group;
}
