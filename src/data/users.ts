/**
 * Users, groups and memberships (auth_user, auth_group, auth_user_groups): one aggregate, one
 * repository. Usernames are unique by their comparison key (src/username.ts usernameKey),
 * which every write of a username stores beside it, and which the unique index
 * auth_user_username_key holds; a unique violation becomes UsernameTaken or GroupNameTaken
 * here, and nowhere else.
 */
import { usernameKey } from '../username';
import { parseUserFlags, PRINCIPAL_COLUMNS, USER_COLUMNS } from './columns';
import type { DataContext, Group, GroupRow, PreparedRead, User, UserRow } from './db';

/** Raised when a username belongs to someone else (whatever its letter case). */
export class UsernameTaken extends Error {
  override name = 'UsernameTaken';
}

/** Raised when a group of that name exists. */
export class GroupNameTaken extends Error {
  override name = 'GroupNameTaken';
}

/**
 * A unique-index violation: PostgreSQL's SQLSTATE 23505; SQLite's SQLITE_CONSTRAINT_UNIQUE
 * (better-sqlite3 reports extended codes; the plain SQLITE_CONSTRAINT with a UNIQUE message is
 * what other SQLite drivers report).
 */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(String((err as Error).message)));
}

const USER_BY_ID = `SELECT ${USER_COLUMNS} FROM auth_user WHERE id = ?`;
const PRINCIPAL_BY_ID = `SELECT ${PRINCIPAL_COLUMNS} FROM auth_user u WHERE u.id = ?`;

/** The columns of a user that authentication reads. */
export type PrincipalRow = Pick<UserRow, 'id' | 'username' | 'email' | 'is_active' | 'is_staff' | 'is_superuser' | 'tokens_valid_after'>;

/** What a new user is made of; the username already normalised and checked. */
export interface UserFields {
  /** Set only to keep an id from elsewhere (the Django import); the database picks one otherwise. */
  readonly id?: number;
  readonly username: string;
  readonly email: string;
  /** The stored hash, or an unusable-password marker: never a raw password. */
  readonly password: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly isStaff?: boolean;
  readonly isSuperuser?: boolean;
  /** Defaults to true. */
  readonly isActive?: boolean;
  /** Epoch milliseconds. */
  readonly dateJoined: number;
  readonly lastLogin?: number | null;
}

/** The auth_user row of a new user: every insert of a user (create, the Django import) builds it here. */
export function newUserRow(user: UserFields): Omit<UserRow, 'id'> & { id?: number } {
  return {
    ...(user.id === undefined ? {} : { id: user.id }),
    username: user.username,
    username_key: usernameKey(user.username),
    email: user.email,
    password: user.password,
    first_name: user.firstName ?? '',
    last_name: user.lastName ?? '',
    is_staff: user.isStaff ?? false,
    is_superuser: user.isSuperuser ?? false,
    is_active: user.isActive ?? true,
    last_login: user.lastLogin ?? null,
    date_joined: user.dateJoined,
    tokens_valid_after: 0,
  };
}

/** The columns `update` may change (a username changes through `rename`, the revocation time through `revokeTokens`). */
export type UserChanges = Partial<Pick<UserRow, 'email' | 'first_name' | 'last_name' | 'password' | 'is_active' | 'is_staff' | 'is_superuser' | 'last_login'>>;

/** A user as `listusers` shows them. */
export interface UserListing {
  id: number;
  username: string;
  email: string;
  is_staff: boolean;
  is_superuser: boolean;
  is_active: boolean;
  /** Their groups' names, sorted. */
  groups: string[];
}

/** The admin API's user list: filters, ordering and the page. */
export interface AdminUserQuery {
  /** Every term in the username or the email, whatever the letter case. */
  readonly terms: readonly string[];
  readonly isActive?: boolean;
  readonly isStaff?: boolean;
  /** Members of the group with this name. */
  readonly group?: string;
  readonly ordering: readonly (readonly [AdminUserColumn, 'asc' | 'desc'])[];
  readonly limit: number;
  readonly offset: number;
}

export type AdminUserColumn = 'id' | 'username' | 'date_joined' | 'last_login';

/** A user as the admin API shows them: every column but the password (and its keys), with their groups' names. */
export type AdminUserRecord = Pick<UserRow, 'id' | 'username' | 'email' | 'first_name' | 'last_name' | 'is_active' | 'is_staff' | 'is_superuser' | 'date_joined' | 'last_login'> & { groups: string[] };

const ADMIN_USER_COLUMNS = ['id', 'username', 'email', 'first_name', 'last_name', 'is_active', 'is_staff', 'is_superuser', 'date_joined', 'last_login'] as const;

/** A LIKE pattern matching `term` anywhere, its wildcards escaped (with `\`). */
function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UsersRepository {
  private readonly userById: PreparedRead;
  private readonly principalById: PreparedRead;

  constructor(private readonly ctx: DataContext) {
    this.userById = ctx.prepare('users_by_id', USER_BY_ID);
    this.principalById = ctx.prepare('users_principal_by_id', PRINCIPAL_BY_ID);
  }

  // Users -------------------------------------------------------------------------------------

  /** The user with this id, or undefined (a prepared read: it runs on every refresh and `me`). */
  async findById(id: number): Promise<UserRow | undefined> {
    const row = await this.userById(id);
    return row && (parseUserFlags(row) as UserRow);
  }

  /** The principal columns of the user with this id, or undefined (a prepared read: every JWT-authenticated request). */
  async findPrincipal(id: number): Promise<PrincipalRow | undefined> {
    const row = await this.principalById(id);
    return row && (parseUserFlags(row) as PrincipalRow);
  }

  /** The user named exactly `username` (case-sensitive, as Django's ModelBackend), or undefined. */
  async findByUsername(username: string): Promise<UserRow | undefined> {
    return this.ctx.models.User.query().findOne({ username });
  }

  /** The users whose email matches `email` whatever its letter case (Django's PasswordResetForm), by id. */
  async findByEmail(email: string): Promise<UserRow[]> {
    return this.ctx.models.User.query().whereRaw('lower(email) = lower(?)', [email]).orderBy('id');
  }

  /**
   * Is `username` taken? Compared by key, as the unique index compares, so this check and the
   * index always agree, on SQLite and PostgreSQL alike. `self` is the user asking to be
   * renamed: their own row counts only for an exact match (djoser refuses "rename to my own
   * name", as its UniqueValidator runs without an instance), so they may still change the
   * case of their own name.
   */
  async usernameTaken(username: string, self?: { id: number; username: string }): Promise<boolean> {
    const rows = await this.ctx.models.User.query().where({ username_key: usernameKey(username) }).select('id', 'username');
    return rows.some((r) => !self || r.id !== self.id || r.username === username);
  }

  /** Whether a user with this id exists. */
  async exists(id: number): Promise<boolean> {
    return (await this.ctx.models.User.query().findById(id).select('id')) !== undefined;
  }

  /** The user's `tokens_valid_after` (ms); 0 for a user that does not exist. */
  async tokensValidAfter(id: number): Promise<number> {
    const row = await this.ctx.models.User.query().findById(id).select('tokens_valid_after');
    return Number(row?.tokens_valid_after ?? 0);
  }

  /** Every user's email and username, by id; with `id`, only that user's (djoser's HIDE_USERS). */
  async list(filter: { id?: number } = {}): Promise<Pick<UserRow, 'email' | 'username'>[]> {
    const query = this.ctx.models.User.query().orderBy('id').select('email', 'username');
    if (filter.id !== undefined) query.where({ id: filter.id });
    return query;
  }

  /** Every user, by id, with their flags and the names of their groups. */
  async listWithGroups(): Promise<UserListing[]> {
    const users = await this.ctx.models.User.query()
      .orderBy('id')
      .select('id', 'username', 'email', 'is_staff', 'is_superuser', 'is_active')
      .withGraphFetched('groups(byName)')
      .modifiers({ byName: (query) => query.select('name').orderBy('name') });
    return users.map((u) => {
      const groups = (u as unknown as { groups: GroupRow[] }).groups;
      return { id: u.id, username: u.username, email: u.email, is_staff: u.is_staff, is_superuser: u.is_superuser, is_active: u.is_active, groups: groups.map((g) => g.name) };
    });
  }

  /**
   * Inserts a user (djoser's `create_user`, Django's `create_user`); returns the row as stored.
   * Raises UsernameTaken when the unique index refuses the name: a concurrent registration
   * that won the race after the caller's check.
   */
  async create(fields: UserFields): Promise<UserRow> {
    try {
      return await this.ctx.models.User.query().insert(newUserRow(fields));
    } catch (err) {
      if (isUniqueViolation(err)) throw new UsernameTaken(undefined, { cause: err });
      throw err;
    }
  }

  /** Renames a user (the name and its key). Raises UsernameTaken when the unique index refuses the name. */
  async rename(id: number, username: string): Promise<void> {
    try {
      await this.ctx.models.User.query().findById(id).patch({ username, username_key: usernameKey(username) });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UsernameTaken(undefined, { cause: err });
      throw err;
    }
  }

  /** Sets some columns of a user; returns false when there is no such user. */
  async update(id: number, changes: UserChanges): Promise<boolean> {
    if (Object.keys(changes).length === 0) return this.exists(id);
    return (await this.ctx.models.User.query().findById(id).patch(changes)) > 0;
  }

  /**
   * Stores a new password hash (and `lastLogin`, when given). With `ifPasswordIs`, only if the
   * stored hash is still that one: a reset token is single-use even when two confirmations
   * race (the first one changes the hash the token was bound to).
   * @returns false when nothing was changed (no such user, or another hash stored).
   */
  async setPassword(id: number, hash: string, options: { ifPasswordIs?: string; lastLogin?: number } = {}): Promise<boolean> {
    const query = this.ctx.models.User.query().findById(id);
    if (options.ifPasswordIs !== undefined) query.where({ password: options.ifPasswordIs });
    return (await query.patch({ password: hash, ...(options.lastLogin === undefined ? {} : { last_login: options.lastLogin }) })) > 0;
  }

  /**
   * Refuses every token of the user issued until `now`: tokens_valid_after = now + 1 ms, and at
   * least 1 ms past the previous value, so that a second revocation in the same millisecond
   * still catches what was issued between the two.
   */
  async revokeTokens(id: number, now: number): Promise<void> {
    const { User } = this.ctx.models;
    await User.query()
      .findById(id)
      .patch({ tokens_valid_after: User.knex().raw('CASE WHEN tokens_valid_after > ? THEN tokens_valid_after + 1 ELSE ? END', [now, now + 1]) as never });
  }

  /** Deletes a user (their memberships and keys go with them; outstanding tokens keep a null user). Returns false when there was none. */
  async delete(id: number): Promise<boolean> {
    return (await this.ctx.models.User.query().deleteById(id)) > 0;
  }

  /** The admin API's page of users (see AdminUserQuery), with their groups. */
  async adminList(query: AdminUserQuery): Promise<AdminUserRecord[]> {
    const users = this.adminFiltered(query).select(...ADMIN_USER_COLUMNS.map((c) => `auth_user.${c}`));
    for (const [column, direction] of query.ordering) users.orderBy(`auth_user.${column}`, direction);
    users.limit(query.limit).offset(query.offset);
    const rows = await users.withGraphFetched('groups(byName)').modifiers({ byName: (q) => q.select('name').orderBy('name') });
    return rows.map((u) => this.adminRecord(u));
  }

  /** How many users the admin API's filters match. */
  async adminCount(query: Omit<AdminUserQuery, 'ordering' | 'limit' | 'offset'>): Promise<number> {
    return this.adminFiltered(query).resultSize();
  }

  /** One user as the admin API shows them, or undefined. */
  async adminFind(id: number): Promise<AdminUserRecord | undefined> {
    const row = await this.ctx.models.User.query()
      .findById(id)
      .select(...ADMIN_USER_COLUMNS)
      .withGraphFetched('groups(byName)')
      .modifiers({ byName: (q) => q.select('name').orderBy('name') });
    return row && this.adminRecord(row);
  }

  private adminRecord(u: User): AdminUserRecord {
    const groups = (u as unknown as { groups?: GroupRow[] }).groups ?? [];
    const out = Object.fromEntries(ADMIN_USER_COLUMNS.map((c) => [c, u[c]])) as Omit<AdminUserRecord, 'groups'>;
    return { ...parseUserFlags(out), date_joined: Number(out.date_joined), last_login: out.last_login === null ? null : Number(out.last_login), groups: groups.map((g) => g.name) };
  }

  private adminFiltered(query: Omit<AdminUserQuery, 'ordering' | 'limit' | 'offset'>) {
    const { User: U } = this.ctx.models;
    const users = U.query();
    for (const term of query.terms) {
      const pattern = containsPattern(term);
      if (this.ctx.kind === 'postgres') users.where((q) => q.whereRaw("auth_user.username ILIKE ? ESCAPE '\\'", [pattern]).orWhereRaw("auth_user.email ILIKE ? ESCAPE '\\'", [pattern]));
      else users.where((q) => q.whereRaw("lower(auth_user.username) LIKE lower(?) ESCAPE '\\'", [pattern]).orWhereRaw("lower(auth_user.email) LIKE lower(?) ESCAPE '\\'", [pattern]));
    }
    if (query.isActive !== undefined) users.where('auth_user.is_active', query.isActive);
    if (query.isStaff !== undefined) users.where('auth_user.is_staff', query.isStaff);
    if (query.group !== undefined) {
      const name = query.group;
      users.whereExists(
        U.knex()('auth_user_groups as m').join('auth_group as g', 'g.id', 'm.group_id').whereRaw('m.user_id = auth_user.id').where('g.name', name).select(U.knex().raw('1')),
      );
    }
    return users;
  }

  // Groups and memberships --------------------------------------------------------------------

  /** The group with this id, or undefined. */
  async findGroupById(id: number): Promise<GroupRow | undefined> {
    return this.ctx.models.Group.query().findById(id);
  }

  /** A page of groups by name, each with its member count. */
  async groupsPage(page: { limit: number; offset: number }): Promise<{ id: number; name: string; member_count: number }[]> {
    const rows = (await this.ctx.models.Group.knex()('auth_group as g')
      .leftJoin('auth_user_groups as m', 'm.group_id', 'g.id')
      .groupBy('g.id', 'g.name')
      .orderBy('g.name')
      .orderBy('g.id')
      .limit(page.limit)
      .offset(page.offset)
      .select('g.id', 'g.name')
      .count('m.id as member_count')) as { id: number; name: string; member_count: number | string }[];
    return rows.map((r) => ({ id: r.id, name: r.name, member_count: Number(r.member_count) }));
  }

  /** How many groups there are. */
  async countGroups(): Promise<number> {
    return this.ctx.models.Group.query().resultSize();
  }

  /** Deletes a group (its memberships go with it); returns false when there was none. */
  async deleteGroup(id: number): Promise<boolean> {
    return (await this.ctx.models.Group.query().deleteById(id)) > 0;
  }

  /** A page of the group's members, by id. */
  async membersPage(groupId: number, page: { limit: number; offset: number }): Promise<Pick<UserRow, 'id' | 'username' | 'email'>[]> {
    return this.ctx.models.Group.relatedQuery<User>('users')
      .for(groupId)
      .orderBy('auth_user.id')
      .limit(page.limit)
      .offset(page.offset)
      .select('auth_user.id', 'auth_user.username', 'auth_user.email');
  }

  /** How many members the group has. */
  async countMembers(groupId: number): Promise<number> {
    return this.memberships().where({ group_id: groupId }).count({ n: '*' }).then((rows) => Number((rows[0] as { n: number | string }).n));
  }

  /** The names of the user's groups. */
  async groupNames(userId: number): Promise<ReadonlySet<string>> {
    const groups = await this.ctx.models.User.relatedQuery<Group>('groups').for(userId).select('auth_group.name');
    return new Set(groups.map((g) => g.name));
  }

  /** The group named exactly `name`, or undefined. */
  async findGroup(name: string): Promise<GroupRow | undefined> {
    return this.ctx.models.Group.query().findOne({ name });
  }

  /** Creates a group. Raises GroupNameTaken when one has that name. */
  async createGroup(name: string): Promise<GroupRow> {
    try {
      return await this.ctx.models.Group.query().insert({ name });
    } catch (err) {
      if (isUniqueViolation(err)) throw new GroupNameTaken(undefined, { cause: err });
      throw err;
    }
  }

  /** Creates the groups among `names` that do not exist yet. */
  async ensureGroups(names: readonly string[]): Promise<void> {
    for (const name of names) await this.ctx.models.Group.query().insert({ name }).onConflict('name').ignore();
  }

  /** The members of the group, by id: id, username and email. */
  async members(groupId: number): Promise<Pick<UserRow, 'id' | 'username' | 'email'>[]> {
    return this.ctx.models.Group.relatedQuery<User>('users').for(groupId).orderBy('auth_user.id').select('auth_user.id', 'auth_user.username', 'auth_user.email');
  }

  /** Adds the user to the group; returns false when they were a member already. */
  async addMember(userId: number, groupId: number): Promise<boolean> {
    const inserted = (await this.memberships().insert({ user_id: userId, group_id: groupId }).onConflict(['user_id', 'group_id']).ignore().returning('id')) as unknown[];
    return inserted.length > 0;
  }

  /** Removes the user from the group; returns false when they were not a member. */
  async removeMember(userId: number, groupId: number): Promise<boolean> {
    return (await this.memberships().where({ user_id: userId, group_id: groupId }).delete()) > 0;
  }

  /**
   * The join table, through the models' connection: objection models a membership as a
   * relation, whose `relate` cannot ignore a duplicate or tell whether it inserted.
   */
  private memberships() {
    return this.ctx.models.User.knex()('auth_user_groups');
  }
}
