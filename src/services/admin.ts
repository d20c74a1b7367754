/**
 * The admin API's changes below HTTP (#17), each in one transaction with its audit entry: a
 * user's details and flags, groups and memberships, one refresh token blacklisted. The rules
 * that need no database (who may change what) are the handlers'; the account changes shared
 * with the user's own flows (logout-all, keys, passwords, deletion) are Accounts'.
 */
import type { Clock } from '../clock';
import type { Database, GroupRow } from '../data/db';
import { GroupNameTaken, type UserChanges } from '../data/users';
import type { AuditEvent, AuditLog } from './audit';

export { GroupNameTaken };

export class AdminActions {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Sets some columns of a user, with its `user_updated` entry; returns false when there is no such user. */
  updateUser(userId: number, changes: UserChanges, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await tx.users.update(userId, changes))) return false;
      await this.audit.write(tx, audit);
      return true;
    });
  }

  /** Creates a group with its `group_created` entry. Raises GroupNameTaken. */
  createGroup(name: string, audit: AuditEvent): Promise<GroupRow> {
    return this.db.transaction(async (tx) => {
      const group = await tx.users.createGroup(name);
      await this.audit.write(tx, { ...audit, detail: { ...audit.detail, group: name, group_id: group.id } });
      return group;
    });
  }

  /** Deletes a group (its memberships go with it) with its `group_deleted` entry; false when there was none. */
  deleteGroup(group: GroupRow, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await tx.users.deleteGroup(group.id))) return false;
      await this.audit.write(tx, { ...audit, detail: { ...audit.detail, group: group.name, group_id: group.id } });
      return true;
    });
  }

  /** Adds a user to a group; the `group_member_added` entry only when they were not a member. Returns whether they were added. */
  addMember(userId: number, group: GroupRow, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const added = await tx.users.addMember(userId, group.id);
      if (added) await this.audit.write(tx, { ...audit, detail: { ...audit.detail, group: group.name, group_id: group.id } });
      return added;
    });
  }

  /** Removes a user from a group with its `group_member_removed` entry; false when they were not a member. */
  removeMember(userId: number, group: GroupRow, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const removed = await tx.users.removeMember(userId, group.id);
      if (removed) await this.audit.write(tx, { ...audit, detail: { ...audit.detail, group: group.name, group_id: group.id } });
      return removed;
    });
  }

  /** Blacklists one outstanding refresh token; the entry only when this call blacklisted it. Returns whether it did. */
  blacklistRefresh(outstandingId: number, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const done = await tx.refreshTokens.blacklist(outstandingId, this.clock.now());
      if (done) await this.audit.write(tx, audit);
      return done;
    });
  }
}
