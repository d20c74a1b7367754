/**
 * Membership of a group (the course's /api/groups/manager/users): each operation manages the
 * group its `x-group` names, checked at start-up to be one of the spec's `x-groups`.
 */
import type { GroupRow, UserRow } from '../data/db';
import type { UsersRepository } from '../data/users';
import type { AuditEvent } from '../services/audit';
import { ImproperlyConfigured, NotFound } from '../errors';
import type { Call, Handler, OperationId } from './types';

/** The operation's `x-group`. Raises ImproperlyConfigured when the spec gives the operation none. */
function groupOf(call: Call): string {
  const { group, operationId } = call.req.operation;
  if (group === null) throw new ImproperlyConfigured(`${operationId}: a group operation without x-group`);
  return group;
}

async function groupRow(users: UsersRepository, group: string): Promise<GroupRow> {
  const row = await users.findGroup(group);
  if (!row) throw new NotFound();
  return row;
}

async function userBy(users: UsersRepository, where: { username: string } | { id: number }): Promise<UserRow> {
  const user = 'username' in where ? await users.findByUsername(where.username) : await users.findById(where.id);
  if (!user) throw new NotFound();
  return user;
}

/** A membership change's audit entry: the admin who made it, the member, the group. */
function membershipEvent(call: Call, kind: 'group_member_added' | 'group_member_removed', user: UserRow): AuditEvent {
  const p = call.req.principal as NonNullable<Call['req']['principal']>;
  return { kind, actor: { id: p.id, username: p.username }, user: { id: user.id, username: user.username }, address: call.req.ip, detail: { operation: call.operationId } };
}

async function removeMember(call: Call, group: string, user: UserRow) {
  const { admin, db } = call.services;
  await admin.removeMember(user.id, await groupRow(db.users, group), membershipEvent(call, 'group_member_removed', user));
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
    const user = await userBy(users, { username: String(call.body.username) });
    await call.services.admin.addMember(user.id, await groupRow(users, groupOf(call)), membershipEvent(call, 'group_member_added', user));
    return { status: 201, body: { message: 'ok' } };
  },

  async managersRemove(call) {
    const { users } = call.services.db;
    return removeMember(call, groupOf(call), await userBy(users, { username: String(call.body.username) }));
  },

  async managersRemoveById(call) {
    const { users } = call.services.db;
    return removeMember(call, groupOf(call), await userBy(users, { id: Number(call.params.id) }));
  },
} satisfies { [K in OperationId]?: Handler<K> };
