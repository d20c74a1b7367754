/**
 * The admin API (#17, `/api/admin/...`, `x-roles: [admin]`): what Django's admin shows for
 * users, groups, DRF keys and simplejwt's token_blacklist, and the audit log. The gate has
 * checked is_staff; the rules that depend on who asks are here:
 *   - only a superuser grants or removes is_staff or is_superuser (on create and update), and
 *     only a superuser acts on another staff user or superuser through the password, delete
 *     and deactivation; others get 403;
 *   - nobody removes their own is_staff, deactivates themself or deletes themself (400);
 *   - the groups of the spec's `x-groups` cannot be deleted (400).
 * Every change goes through a service that writes its audit entry in the change's transaction.
 */
import type { GroupRow, UserRow } from '../data/db';
import type { AdminUserColumn, AdminUserRecord, UserChanges } from '../data/users';
import { ApiError, NotFound, PermissionDenied, ValidationError } from '../errors';
import { hashPassword, unusablePassword } from '../passwords/hashers';
import { validatePassword } from '../passwords/validators';
import { GroupNameTaken } from '../services/admin';
import type { AuditEvent, AuditKind, AuditUser } from '../services/audit';
import { normalizeEmail, UsernameTaken } from '../services/users';
import { normalizeUsername, USERNAME_MAX_LENGTH } from '../username';
import { searchTerms } from './menu';
import { paginate } from './pagination';
import type { Call, Handler, OperationId } from './types';

/** A 400 whose body is `{"detail": ...}` (DRF's ValidationError with a plain message renders a list; these are refusals of the request as a whole). */
class Refused extends ApiError {
  static override status = 400;
  static override defaultCode = 'invalid';
}

const ONLY_SUPERUSER_FLAGS = 'Only a superuser can grant or remove staff or superuser status.';
const ONLY_SUPERUSER_TARGET = 'Only a superuser can do this to a staff user or a superuser.';
const OWN_STAFF = 'You cannot remove your own staff status.';
const OWN_ACTIVE = 'You cannot deactivate your own account.';
const OWN_DELETE = 'You cannot delete your own account here.';
const USERNAME_TAKEN = 'A user with that username already exists.';
const USERNAME_TOO_LONG = 'Ensure this field has no more than 150 characters.';
const GROUP_TAKEN = 'group with this name already exists.';
const MEMBER_REQUIRED = 'Either user_id or username is required.';
/** The longest list the unpaginated admin lists answer (keys, refresh tokens of one user). */
const MAX_LISTED = 1000;

const ORDERABLE: Readonly<Record<string, AdminUserColumn>> = { id: 'id', username: 'username', date_joined: 'date_joined', last_login: 'last_login' };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(Number(ms));
}

/** The caller, as the audit log names them. */
function actorOf(call: Call): AuditUser {
  const p = call.req.principal as NonNullable<Call['req']['principal']>;
  return { id: p.id, username: p.username };
}

function isSuperuser(call: Call): boolean {
  return call.req.principal?.isSuperuser === true;
}

/** An audit event of the caller about `user`, from the request's address. */
function event(call: Call, kind: AuditKind, user: Pick<UserRow, 'id' | 'username'> | null, detail: Record<string, unknown> = {}): AuditEvent {
  return { kind, actor: actorOf(call), user: user && { id: user.id, username: user.username }, address: call.req.ip, detail: { ...detail, via: 'admin' } };
}

function serializeUser(r: AdminUserRecord) {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    first_name: r.first_name,
    last_name: r.last_name,
    is_active: r.is_active,
    is_staff: r.is_staff,
    is_superuser: r.is_superuser,
    date_joined: iso(r.date_joined),
    last_login: isoOrNull(r.last_login),
    groups: r.groups,
  };
}

async function adminUser(call: Call, id: number) {
  const row = await call.services.db.users.adminFind(id);
  if (!row) throw new NotFound();
  return serializeUser(row);
}

/** DRF's OrderingFilter on the admin user list: unknown fields dropped; the id breaks ties. */
function userOrdering(param: string | undefined): [AdminUserColumn, 'asc' | 'desc'][] {
  const out: [AdminUserColumn, 'asc' | 'desc'][] = [];
  for (const term of (param ?? '').split(',').map((s) => s.trim())) {
    const column = ORDERABLE[term.startsWith('-') ? term.slice(1) : term];
    if (column && !out.some(([c]) => c === column)) out.push([column, term.startsWith('-') ? 'desc' : 'asc']);
  }
  if (!out.some(([c]) => c === 'id')) out.push(['id', 'asc']);
  return out;
}

/** Refuses (403) a non-superuser acting on a staff user or a superuser other than themself. */
function guardTarget(call: Call, target: UserRow): void {
  if (isSuperuser(call) || target.id === call.req.principal?.id) return;
  if (target.is_staff || target.is_superuser) throw new PermissionDenied(ONLY_SUPERUSER_TARGET);
}

/** Django's validators on a new password, with the user's attributes; `{field: [...]}` on failure. */
function checkPassword(field: string, password: string, user: { username: string; email?: string; first_name?: string; last_name?: string }): void {
  const problems = validatePassword(password, user);
  if (problems.length > 0) throw new ValidationError({ [field]: problems });
}

function groupOf(call: Call): GroupRow {
  return call.object as GroupRow;
}

function targetOf(call: Call): UserRow {
  return call.object as UserRow;
}

export const adminHandlers = {
  // Users ---------------------------------------------------------------------------------------

  async adminUsersList(call) {
    const { users } = call.services.db;
    const q = call.query;
    const filter = {
      terms: q.search ? searchTerms(q.search) : [],
      isActive: q.is_active,
      isStaff: q.is_staff,
      group: q.group,
    };
    const count = await users.adminCount(filter);
    const page = await paginate(call, count, ({ limit, offset }) => users.adminList({ ...filter, ordering: userOrdering(q.ordering), limit, offset }));
    return { status: 200, body: { ...page, results: page.results.map(serializeUser) } };
  },

  async adminUsersCreate(call) {
    const body = call.body;
    const { accounts } = call.services;
    if ((body.is_staff || body.is_superuser) && !isSuperuser(call)) throw new PermissionDenied(ONLY_SUPERUSER_FLAGS);
    const username = normalizeUsername(body.username);
    const email = normalizeEmail(body.email ?? '');
    if (Array.from(username).length > USERNAME_MAX_LENGTH) throw ValidationError.field('username', USERNAME_TOO_LONG);
    if (await accounts.usernameTaken(username)) throw ValidationError.field('username', USERNAME_TAKEN);
    const names = { first_name: body.first_name ?? '', last_name: body.last_name ?? '' };
    if (body.password !== undefined) checkPassword('password', body.password, { username, email, ...names });
    const flags = { is_active: body.is_active ?? true, is_staff: body.is_staff ?? false, is_superuser: body.is_superuser ?? false };
    let row: UserRow;
    try {
      row = await accounts.createUser(
        {
          username,
          email,
          passwordHash: body.password === undefined ? unusablePassword() : await hashPassword(body.password),
          isActive: flags.is_active,
          isStaff: flags.is_staff,
          isSuperuser: flags.is_superuser,
          firstName: names.first_name,
          lastName: names.last_name,
        },
        (created) => event(call, 'user_created', created, { ...flags, usable_password: body.password !== undefined }),
      );
    } catch (err) {
      if (err instanceof UsernameTaken) throw ValidationError.field('username', USERNAME_TAKEN);
      throw err;
    }
    return { status: 201, body: await adminUser(call, row.id) };
  },

  async adminUsersRetrieve(call) {
    return { status: 200, body: await adminUser(call, targetOf(call).id) };
  },

  async adminUsersPartialUpdate(call) {
    const target = targetOf(call);
    const body = call.body;
    const self = target.id === call.req.principal?.id;
    const changes: UserChanges = {};
    if (body.email !== undefined && normalizeEmail(body.email) !== target.email) changes.email = normalizeEmail(body.email);
    if (body.first_name !== undefined && body.first_name !== target.first_name) changes.first_name = body.first_name;
    if (body.last_name !== undefined && body.last_name !== target.last_name) changes.last_name = body.last_name;
    if (body.is_active !== undefined && body.is_active !== target.is_active) changes.is_active = body.is_active;
    if (body.is_staff !== undefined && body.is_staff !== target.is_staff) changes.is_staff = body.is_staff;
    if (body.is_superuser !== undefined && body.is_superuser !== target.is_superuser) changes.is_superuser = body.is_superuser;

    if ((changes.is_staff !== undefined || changes.is_superuser !== undefined) && !isSuperuser(call)) throw new PermissionDenied(ONLY_SUPERUSER_FLAGS);
    if (Object.keys(changes).length > 0) guardTarget(call, target);
    const errors: Record<string, string[]> = {};
    if (self && changes.is_staff === false) errors.is_staff = [OWN_STAFF];
    if (self && changes.is_active === false) errors.is_active = [OWN_ACTIVE];
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);

    if (Object.keys(changes).length > 0) {
      const flags = Object.fromEntries(Object.entries(changes).filter(([k]) => k.startsWith('is_')));
      const detail = { fields: Object.keys(changes).sort(), ...flags };
      if (!(await call.services.admin.updateUser(target.id, changes, event(call, 'user_updated', target, detail)))) throw new NotFound();
    }
    return { status: 200, body: await adminUser(call, target.id) };
  },

  async adminUsersDestroy(call) {
    const target = targetOf(call);
    if (target.id === call.req.principal?.id) throw new Refused(OWN_DELETE);
    guardTarget(call, target);
    await call.services.accounts.deleteUser(target.id, event(call, 'user_deleted', target, { is_staff: target.is_staff, is_superuser: target.is_superuser }));
    return { status: 204 };
  },

  async adminUsersSetPassword(call) {
    const target = targetOf(call);
    guardTarget(call, target);
    checkPassword('new_password', call.body.new_password, target);
    const hash = await hashPassword(call.body.new_password);
    // As after a reset: whoever knew the old password is signed out.
    const changed = await call.services.accounts.changePassword(target.id, hash, { signOut: true, audit: event(call, 'password_changed', target) });
    if (!changed) throw new NotFound();
    return { status: 204 };
  },

  async adminUsersLogoutAll(call) {
    const target = targetOf(call);
    await call.services.accounts.signOutEverywhere(target.id, event(call, 'logout_all', target));
    return { status: 204 };
  },

  // DRF keys ------------------------------------------------------------------------------------

  async adminKeysList(call) {
    const rows = await call.services.db.keys.listFor(targetOf(call).id, MAX_LISTED);
    return { status: 200, body: rows.map((r) => ({ id: r.id, prefix: r.prefix ?? null, created: iso(Number(r.created)), last_used: isoOrNull(r.last_used) })) };
  },

  async adminKeysCreate(call) {
    const target = targetOf(call);
    const row = await call.services.accounts.issueKey(target.id, ({ prefix }) => event(call, 'token_created', target, { prefix }));
    return { status: 201, body: { id: row.id, key: row.key, prefix: row.prefix, created: iso(row.created), last_used: null } };
  },

  async adminKeysRevoke(call) {
    const target = targetOf(call);
    const revoked = await call.services.accounts.revokeKey(Number(call.params.token_id), {
      userId: target.id,
      audit: ({ prefix }) => event(call, 'token_revoked', target, { prefix }),
    });
    if (!revoked) throw new NotFound();
    return { status: 204 };
  },

  async adminKeysRevokeAll(call) {
    const target = targetOf(call);
    await call.services.accounts.revokeAllKeys(target.id, event(call, 'token_revoked', target));
    return { status: 204 };
  },

  // Refresh tokens ------------------------------------------------------------------------------

  async adminRefreshTokensList(call) {
    const rows = await call.services.db.refreshTokens.listFor(targetOf(call).id, MAX_LISTED);
    return {
      status: 200,
      body: rows.map((r) => ({ id: r.id, jti: r.jti, created_at: iso(r.created_at), expires_at: iso(r.expires_at), blacklisted: r.blacklisted, family: r.family })),
    };
  },

  async adminRefreshTokensBlacklist(call) {
    const target = targetOf(call);
    const jti = String(call.params.jti);
    const row = await call.services.db.refreshTokens.findForUser(target.id, jti);
    if (!row) throw new NotFound();
    if (!row.blacklisted) await call.services.admin.blacklistRefresh(row.id, event(call, 'token_revoked', target, { jti, family: row.family }));
    return { status: 204 };
  },

  async adminBlacklistList(call) {
    const { refreshTokens } = call.services.db;
    const page = await paginate(call, await refreshTokens.countBlacklisted(), (p) => refreshTokens.blacklisted(p));
    return {
      status: 200,
      body: { ...page, results: page.results.map((r) => ({ ...r, blacklisted_at: iso(r.blacklisted_at), expires_at: iso(r.expires_at) })) },
    };
  },

  // Groups --------------------------------------------------------------------------------------

  async adminGroupsList(call) {
    const { users } = call.services.db;
    const declared = new Set(call.services.declaredGroups);
    const page = await paginate(call, await users.countGroups(), (p) => users.groupsPage(p));
    return { status: 200, body: { ...page, results: page.results.map((g) => ({ ...g, protected: declared.has(g.name) })) } };
  },

  async adminGroupsCreate(call) {
    const name = call.body.name;
    if (name === '') throw ValidationError.field('name', 'This field may not be blank.');
    if (await call.services.db.users.findGroup(name)) throw ValidationError.field('name', GROUP_TAKEN);
    let group: GroupRow;
    try {
      group = await call.services.admin.createGroup(name, event(call, 'group_created', null));
    } catch (err) {
      if (err instanceof GroupNameTaken) throw ValidationError.field('name', GROUP_TAKEN);
      throw err;
    }
    return { status: 201, body: { id: group.id, name: group.name, member_count: 0, protected: call.services.declaredGroups.includes(group.name) } };
  },

  async adminGroupsDestroy(call) {
    const group = groupOf(call);
    if (call.services.declaredGroups.includes(group.name)) {
      throw new Refused(`The group "${group.name}" is declared in the spec and cannot be deleted.`);
    }
    if (!(await call.services.admin.deleteGroup(group, event(call, 'group_deleted', null)))) throw new NotFound();
    return { status: 204 };
  },

  async adminGroupMembersList(call) {
    const { users } = call.services.db;
    const group = groupOf(call);
    const page = await paginate(call, await users.countMembers(group.id), (p) => users.membersPage(group.id, p));
    return { status: 200, body: { ...page, results: page.results.map(({ id, username, email }) => ({ id, username, email })) } };
  },

  async adminGroupMembersAdd(call) {
    const { users } = call.services.db;
    const group = groupOf(call);
    const { user_id: userId, username } = call.body;
    if (userId === undefined && username === undefined) throw ValidationError.nonField(MEMBER_REQUIRED);
    const user = userId !== undefined ? await users.findById(userId) : await users.findByUsername(String(username));
    if (!user) throw new NotFound();
    const added = await call.services.admin.addMember(user.id, group, event(call, 'group_member_added', user));
    return { status: added ? 201 : 200, body: { message: 'ok' } };
  },

  async adminGroupMembersRemove(call) {
    const group = groupOf(call);
    const user = await call.services.db.users.findById(Number(call.params.user_id));
    if (!user) throw new NotFound();
    if (!(await call.services.admin.removeMember(user.id, group, event(call, 'group_member_removed', user)))) throw new NotFound();
    return { status: 204 };
  },

  // The audit log -------------------------------------------------------------------------------

  async adminAuditList(call) {
    const { audit } = call.services.db;
    const q = call.query;
    const filter = {
      userId: q.user,
      kind: q.kind,
      since: q.since === undefined ? undefined : Date.parse(q.since),
      until: q.until === undefined ? undefined : Date.parse(q.until),
    };
    const page = await paginate(call, await audit.count(filter), (p) => audit.list(filter, p));
    return {
      status: 200,
      body: { ...page, results: page.results.map((e) => ({ ...e, at: iso(e.at), kind: e.kind as AuditKind })) },
    };
  },
} satisfies { [K in OperationId]?: Handler<K> };
