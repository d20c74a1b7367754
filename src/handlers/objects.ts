/**
 * The objects operations act on, named by the spec's `x-object` (DRF's `get_object()`): the
 * gate loads it from the path parameters before the body is read, so an unknown object is 404
 * whatever the body says, and the object-level permission (`self`) is checked on it.
 */
import type { Services } from '../services';
import { findUserByUsername } from '../services/accounts';

/** undefined when there is no such object. */
export type ObjectLoader = (services: Services, params: Readonly<Record<string, string>>) => Promise<unknown>;

export const objectLoaders: Readonly<Record<string, ObjectLoader>> = {
  /** `/api/menu-items/{id}` */
  async menuItem({ db }, { id }) {
    return db('menu_items').where({ id: Number(id) }).first();
  },
  /** `/auth/users/{username}/` (djoser's lookup_field = USER_ID_FIELD = username) */
  async user({ db }, { username }) {
    return findUserByUsername(db, username);
  },
};
