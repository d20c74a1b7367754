/**
 * Membership of a group (the course's /api/groups/manager/users): each operation manages the
 * group its `x-group` names, checked at start-up to be one of the spec's `x-groups`.
 */
import { ImproperlyConfigured, NotFound } from '../errors';
import type { Db } from '../db/knex';
import { Group } from '../models/Group';
import { User } from '../models/User';
import type { Call, Handler, OperationId } from './types';

/** The operation's `x-group`. Raises ImproperlyConfigured when the spec gives the operation none. */
function groupOf(call: Call): string {
  const { group, operationId } = call.req.operation;
  if (group === null) throw new ImproperlyConfigured(`${operationId}: a group operation without x-group`);
  return group;
}

async function groupId(db: Db, group: string): Promise<number> {
  const row = (await db('auth_group').where({ name: group }).first('id')) as { id: number } | undefined;
  if (!row) throw new NotFound();
  return row.id;
}

async function userIdBy(db: Db, where: { username: string } | { id: number }): Promise<number> {
  const user = await User.query(db).findOne(where).select('id');
  if (!user) throw new NotFound();
  return user.id;
}

async function removeMember(db: Db, group: string, userId: number) {
  await db('auth_user_groups').where({ user_id: userId, group_id: await groupId(db, group) }).delete();
  return { status: 200 as const, body: { message: 'ok' as const } };
}

export const groupHandlers = {
  async managersList(call) {
    const { db } = call.services;
    const managers = await Group.relatedQuery<User>('users', db)
      .for(Group.query(db).where({ name: groupOf(call) }))
      .orderBy('auth_user.id')
      .select('auth_user.id', 'auth_user.username', 'auth_user.email');
    return { status: 200, body: managers.map(({ id, username, email }) => ({ id, username, email })) };
  },

  async managersAdd(call) {
    const { db } = call.services;
    const userId = await userIdBy(db, { username: String(call.body.username) });
    await db('auth_user_groups').insert({ user_id: userId, group_id: await groupId(db, groupOf(call)) }).onConflict(['user_id', 'group_id']).ignore();
    return { status: 201, body: { message: 'ok' } };
  },

  async managersRemove(call) {
    const { db } = call.services;
    return removeMember(db, groupOf(call), await userIdBy(db, { username: String(call.body.username) }));
  },

  async managersRemoveById(call) {
    const { db } = call.services;
    return removeMember(db, groupOf(call), await userIdBy(db, { id: Number(call.params.id) }));
  },
} satisfies { [K in OperationId]?: Handler<K> };
