/**
 * Membership of a group (the course's /api/groups/manager/users): each operation manages the
 * group its `x-group` names, checked at start-up to be one of the spec's `x-groups`.
 */
import type { UsersRepository } from '../data/users';
import { ImproperlyConfigured, NotFound } from '../errors';
import type { Call, Handler, OperationId } from './types';

/** The operation's `x-group`. Raises ImproperlyConfigured when the spec gives the operation none. */
function groupOf(call: Call): string {
  const { group, operationId } = call.req.operation;
  if (group === null) throw new ImproperlyConfigured(`${operationId}: a group operation without x-group`);
  return group;
}

async function groupId(users: UsersRepository, group: string): Promise<number> {
  const row = await users.findGroup(group);
  if (!row) throw new NotFound();
  return row.id;
}

async function userIdBy(users: UsersRepository, where: { username: string } | { id: number }): Promise<number> {
  const user = 'username' in where ? await users.findByUsername(where.username) : await users.findById(where.id);
  if (!user) throw new NotFound();
  return user.id;
}

async function removeMember(users: UsersRepository, group: string, userId: number) {
  await users.removeMember(userId, await groupId(users, group));
  return { status: 200 as const, body: { message: 'ok' as const } };
}

export const groupHandlers = {
  async managersList(call) {
    const { users } = call.services.db;
    const group = await users.findGroup(groupOf(call));
    const managers = group ? await users.members(group.id) : [];
    return { status: 200, body: managers.map(({ id, username, email }) => ({ id, username, email })) };
  },

  async managersAdd(call) {
    const { users } = call.services.db;
    const userId = await userIdBy(users, { username: String(call.body.username) });
    await users.addMember(userId, await groupId(users, groupOf(call)));
    return { status: 201, body: { message: 'ok' } };
  },

  async managersRemove(call) {
    const { users } = call.services.db;
    return removeMember(users, groupOf(call), await userIdBy(users, { username: String(call.body.username) }));
  },

  async managersRemoveById(call) {
    const { users } = call.services.db;
    return removeMember(users, groupOf(call), await userIdBy(users, { id: Number(call.params.id) }));
  },
} satisfies { [K in OperationId]?: Handler<K> };
