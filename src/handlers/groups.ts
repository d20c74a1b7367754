/** Membership of the Manager group (the course's /api/groups/manager/users). */
import { NotFound } from '../errors';
import type { Db } from '../db/knex';
import { Group } from '../models/Group';
import { User } from '../models/User';
import type { Handler, OperationId } from './types';

const GROUP = 'Manager';

async function groupId(db: Db): Promise<number> {
  const row = (await db('auth_group').where({ name: GROUP }).first('id')) as { id: number } | undefined;
  if (!row) throw new NotFound();
  return row.id;
}

async function userIdBy(db: Db, where: { username: string } | { id: number }): Promise<number> {
  const user = await User.query(db).findOne(where).select('id');
  if (!user) throw new NotFound();
  return user.id;
}

async function removeMember(db: Db, userId: number) {
  await db('auth_user_groups').where({ user_id: userId, group_id: await groupId(db) }).delete();
  return { status: 200 as const, body: { message: 'ok' as const } };
}

export const groupHandlers = {
  async managersList(call) {
    const { db } = call.services;
    const managers = await Group.relatedQuery<User>('users', db)
      .for(Group.query(db).where({ name: GROUP }))
      .orderBy('auth_user.id')
      .select('auth_user.id', 'auth_user.username', 'auth_user.email');
    return { status: 200, body: managers.map(({ id, username, email }) => ({ id, username, email })) };
  },

  async managersAdd(call) {
    const { db } = call.services;
    const userId = await userIdBy(db, { username: String(call.body.username) });
    await db('auth_user_groups').insert({ user_id: userId, group_id: await groupId(db) }).onConflict(['user_id', 'group_id']).ignore();
    return { status: 201, body: { message: 'ok' } };
  },

  async managersRemove(call) {
    const { db } = call.services;
    return removeMember(db, await userIdBy(db, { username: String(call.body.username) }));
  },

  async managersRemoveById(call) {
    const { db } = call.services;
    return removeMember(db, await userIdBy(db, { id: Number(call.params.id) }));
  },
} satisfies { [K in OperationId]?: Handler<K> };
