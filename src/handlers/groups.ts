/** Membership of the Manager group (the course's /api/groups/manager/users). */
import { NotFound } from '../errors';
import type { Db } from '../db/knex';
import type { Handler, OperationId } from './types';

const GROUP = 'Manager';

async function groupId(db: Db): Promise<number> {
  const row = (await db('auth_group').where({ name: GROUP }).first('id')) as { id: number } | undefined;
  if (!row) throw new NotFound();
  return row.id;
}

async function userIdBy(db: Db, where: { username: string } | { id: number }): Promise<number> {
  const row = (await db('auth_user').where(where).first('id')) as { id: number } | undefined;
  if (!row) throw new NotFound();
  return row.id;
}

async function removeMember(db: Db, userId: number) {
  await db('auth_user_groups').where({ user_id: userId, group_id: await groupId(db) }).delete();
  return { status: 200 as const, body: { message: 'ok' as const } };
}

export const groupHandlers = {
  async managersList(call) {
    const rows = (await call.services.db('auth_user as u')
      .join('auth_user_groups as ug', 'ug.user_id', 'u.id')
      .join('auth_group as g', 'g.id', 'ug.group_id')
      .where('g.name', GROUP)
      .orderBy('u.id')
      .select('u.id', 'u.username', 'u.email')) as { id: number; username: string; email: string }[];
    return { status: 200, body: rows };
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
