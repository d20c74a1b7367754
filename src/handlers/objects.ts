/**
 * The objects operations act on, named by the spec's `x-object` (DRF's `get_object()`): the
 * gate loads it from the path parameters before the body is read, so an unknown object is 404
 * whatever the body says, and the object-level permission (`self`) is checked on it.
 */
import type { Services } from '../services';

/**
 * undefined when there is no such object. Loaders run before the parameters are validated
 * (the object comes first, as in DRF), so they refuse what cannot name an object themselves:
 * PostgreSQL rejects an id out of its integer range or a NUL in text, where SQLite answers none.
 */
export type ObjectLoader = (services: Services, params: Readonly<Record<string, string>>) => Promise<unknown>;

/** A positive int4 from a path segment, or 0 (which names nothing). */
function int4(raw: string | undefined): number {
  const n = /^\d{1,10}$/.test(raw ?? '') ? Number(raw) : 0;
  return n >= 1 && n <= 2147483647 ? n : 0;
}

export const objectLoaders: Readonly<Record<string, ObjectLoader>> = {
  /** `/api/admin/users/{id}` and below: a user by id (the admin API). */
  async userById({ db }, { id }) {
    const n = int4(id);
    return n ? db.users.findById(n) : undefined;
  },
  /** `/api/admin/groups/{id}` and below: a group by id. */
  async group({ db }, { id }) {
    const n = int4(id);
    return n ? db.users.findGroupById(n) : undefined;
  },
  /** `/api/menu-items/{id}` */
  async menuItem({ db }, { id }) {
    const n = /^\d{1,10}$/.test(id ?? '') ? Number(id) : 0;
    return n >= 1 && n <= 2147483647 ? db.menu.find(n) : undefined;
  },
  /** `/auth/users/{username}/` (djoser's lookup_field = USER_ID_FIELD = username) */
  async user({ db }, { username }) {
    return username && !username.includes('\u0000') ? db.users.findByUsername(username) : undefined;
  },
};
