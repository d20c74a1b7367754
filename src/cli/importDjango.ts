/**
 * import-django: copies a Django REST Framework project's accounts (and optionally its menu)
 * into this service's database, inside the caller's transaction. Read from Django's default
 * tables: auth_user, auth_group, auth_user_groups, authtoken_token,
 * token_blacklist_outstandingtoken, token_blacklist_blacklistedtoken.
 *
 * Identity. A Django user is the same as a user here when the usernames are equal and so is
 * date_joined (to the millisecond): Django sets date_joined once, at creation, and nothing
 * changes it. A user here whose username is the Django user's whatever the letter case (the
 * key the unique index here compares, src/username.ts) but who is not that user is a clash; so
 * are two Django users whose usernames differ only in letter case (Django allows them; one
 * account here), and, unless `renumber`, a Django user whose id is taken here by another user.
 * Any clash stops the import before it commits. The password hash is not part of identity: it
 * changes for the same person (this service upgrades a PBKDF2 hash to argon2id at the first
 * login; Django re-hashes when its iteration count rises).
 *
 * Ids. New users keep their Django id, so JWTs (`user_id`), keys and outstanding tokens that
 * name them line up. A user already here keeps the id it has. With `renumber`, a Django user
 * whose id is taken gets a new one.
 *
 * Re-runs. Everything is matched (users as above, groups by name, memberships by pair, keys by
 * their hash, refresh tokens by jti, menu items by id), so a second run changes nothing.
 * What changed in Django since is applied: new rows; a user's email, names and flags (Django's
 * win); last_login (the later one wins); memberships of imported users in Django's groups
 * (added and removed); prices, titles and inventory. A password hash is never replaced: a
 * difference is reported and ours kept. Nothing else here is deleted.
 */
import type { Repositories } from '../data/db';
import type { OutstandingFields } from '../data/refreshTokens';
import type { UserFields } from '../data/users';
import { decimalError, fromCents, type DecimalRules } from '../decimal';
import { hashKey } from '../services/accounts';
import { usernameKey } from '../username';
import { loadSpec } from '../spec';
import { CommandError, UsageError } from './args';
import {
  BadValue,
  djangoBool,
  djangoCents,
  djangoInt,
  djangoText,
  djangoTime,
  djangoTimeOrNull,
  type DjangoSource,
} from './djangoSource';

export const MENU_FIELDS = ['id', 'title', 'price', 'inventory'] as const;
export type MenuField = (typeof MENU_FIELDS)[number];
export type MenuColumns = Readonly<Record<MenuField, string>>;

export interface ImportOptions {
  /** Give a new id to a Django user whose id is taken here (instead of a clash). */
  readonly renumber: boolean;
  readonly menu: { readonly table: string; readonly columns: MenuColumns } | null;
  /** Now, in ms: refresh tokens that expired (beyond the leeway) are not imported. */
  readonly now: number;
  readonly leewayMs: number;
  /** Receives a progress line every `batchSize` rows of a table larger than that. */
  readonly progress: (line: string) => void;
  readonly batchSize?: number;
}

export interface Counts {
  new: number;
  unchanged: number;
  updated: number;
  removed: number;
  skipped: number;
}

export interface TableReport {
  /** Our table. */
  readonly table: string;
  readonly counts: Counts;
}

export interface ImportResult {
  readonly tables: readonly TableReport[];
  readonly notes: readonly string[];
  /** new + updated + removed, over every table. */
  readonly changes: number;
}

const USER_COLUMNS = ['id', 'password', 'last_login', 'is_superuser', 'username', 'first_name', 'last_name', 'email', 'is_staff', 'is_active', 'date_joined'] as const;
const PROFILE_TEXT = ['email', 'first_name', 'last_name'] as const;
const PROFILE_FLAGS = ['is_staff', 'is_superuser', 'is_active'] as const;
/** The largest id our integer primary keys hold. */
const MAX_ID = 2_147_483_647;
/** The hashers passwords/hashers.ts verifies (Django's names); a user with another hash cannot log in here. */
const READABLE_HASHERS = new Set(['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2']);

/**
 * `--menu-columns title=name,price=cost`: our field = the Django table's column. Fields not
 * given keep their own name. Raises UsageError for an unknown field or a malformed pair.
 */
export function parseMenuColumns(spec: string | undefined): MenuColumns {
  const columns: Record<MenuField, string> = { id: 'id', title: 'title', price: 'price', inventory: 'inventory' };
  if (spec === undefined) return columns;
  for (const pair of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(pair);
    if (!m) throw new UsageError(`--menu-columns: ${JSON.stringify(pair)} is not FIELD=COLUMN`);
    const field = m[1]!.toLowerCase() as MenuField;
    if (!MENU_FIELDS.includes(field)) throw new UsageError(`--menu-columns: unknown field ${JSON.stringify(m[1])} (the fields are ${MENU_FIELDS.join(', ')})`);
    columns[field] = m[2]!;
  }
  return columns;
}

interface OurUser {
  id: number;
  username: string;
  /** Ours: the key stored with the username (the unique index's); a Django user's: computed. */
  username_key: string;
  password: string;
  email: string;
  first_name: string;
  last_name: string;
  is_staff: boolean;
  is_superuser: boolean;
  is_active: boolean;
  date_joined: number;
  last_login: number | null;
}

type DjangoUser = OurUser;

type Row = Record<string, unknown>;

const emptyCounts = (): Counts => ({ new: 0, unchanged: 0, updated: 0, removed: 0, skipped: 0 });

/** An ISO time for messages. */
const iso = (ms: number | null): string => (ms === null ? 'never' : new Date(ms).toISOString());

/**
 * Reads the Django database and writes it through `tx`, the repositories of the caller's
 * transaction (src/data/imports.ts for the bulk work). Raises CommandError for a clash or a
 * value that cannot be imported; the caller's transaction then rolls everything back.
 */
export async function importFromDjango(source: DjangoSource, tx: Repositories, options: ImportOptions): Promise<ImportResult> {
  return new Importer(source, tx, options).run();
}

class Importer {
  private readonly notes: string[] = [];
  private readonly tables: TableReport[] = [];
  private readonly batchSize: number;
  /** Django user id → ours. */
  private readonly userIds = new Map<number, number>();
  /** Django group id → ours. */
  private readonly groupIds = new Map<number, number>();
  /** Django outstanding-token id → ours, for the tokens imported (not expired). */
  private readonly outstandingIds = new Map<number, number>();
  private readonly present = new Map<string, boolean>();

  constructor(
    private readonly source: DjangoSource,
    private readonly tx: Repositories,
    private readonly options: ImportOptions,
  ) {
    this.batchSize = options.batchSize ?? 1000;
  }

  async run(): Promise<ImportResult> {
    await this.checkSource();
    await this.users();
    if (await this.has('auth_group')) await this.groups();
    else this.absent('auth_group', 'auth_group');
    if ((await this.has('auth_user_groups')) && (await this.has('auth_group'))) await this.memberships();
    else this.absent('auth_user_groups', 'auth_user_groups');
    if (await this.has('authtoken_token')) await this.keys();
    else this.absent('authtoken_token', 'authtoken_token (rest_framework.authtoken is not installed there)');
    if (await this.has('token_blacklist_outstandingtoken')) await this.outstanding();
    else this.absent('token_blacklist_outstandingtoken', 'token_blacklist_outstandingtoken (rest_framework_simplejwt.token_blacklist is not installed there)');
    if ((await this.has('token_blacklist_blacklistedtoken')) && (await this.has('token_blacklist_outstandingtoken'))) await this.blacklisted();
    else this.absent('token_blacklist_blacklistedtoken', 'token_blacklist_blacklistedtoken');
    if (this.options.menu) await this.menu(this.options.menu.table, this.options.menu.columns);
    const changes = this.tables.reduce((n, t) => n + t.counts.new + t.counts.updated + t.counts.removed, 0);
    return { tables: this.tables, notes: this.notes, changes };
  }

  private async has(table: string): Promise<boolean> {
    if (!this.present.has(table)) this.present.set(table, await this.source.hasTable(table));
    return this.present.get(table)!;
  }

  private absent(table: string, description: string): void {
    this.notes.push(`${description}: not in the Django database, nothing to import.`);
    this.tables.push({ table, counts: emptyCounts() });
  }

  /** Django's auth_user with its columns, and not this service's own database. */
  private async checkSource(): Promise<void> {
    if (!(await this.has('auth_user'))) throw new CommandError(`${this.source.label} has no auth_user table: is it a Django database?`);
    const columns = await this.source.columns('auth_user');
    if (columns.includes('tokens_valid_after')) throw new CommandError(`${this.source.label} is a database of this service, not of Django`);
    const missing = USER_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      throw new CommandError(`auth_user in the Django database has no column ${missing.map((c) => `'${c}'`).join(', ')} (only Django's default User model is read)`);
    }
    if (await this.has('authtoken_token')) {
      const tokenColumns = await this.source.columns('authtoken_token');
      if (!tokenColumns.includes('key')) throw new CommandError(`authtoken_token in ${this.source.label} has no 'key' column: is it a Django database?`);
    }
  }

  /**
   * Every row of `table`, `batchSize` at a time in the order of `key` (a unique column), with a
   * progress line after each batch when the table is larger than one batch.
   */
  private async *batches(table: string, key: string, columns: readonly string[]): AsyncGenerator<Row[]> {
    const [{ n }] = (await this.source.db(table).count({ n: '*' })) as [{ n: number | string }];
    const total = Number(n);
    let last: unknown;
    let done = 0;
    for (;;) {
      const query = this.source.db(table).select([...new Set([key, ...columns])]).orderBy(key).limit(this.batchSize);
      if (last !== undefined) query.where(key, '>', last as string | number);
      const rows = (await query) as Row[];
      if (rows.length === 0) return;
      yield rows;
      done += rows.length;
      last = rows[rows.length - 1]![key];
      if (total > this.batchSize) this.options.progress(`${table}: ${done} of ${total} rows`);
      if (rows.length < this.batchSize) return;
    }
  }

  /** Reads one value of a row; a bad one stops the import, naming the row and the column. */
  private read<T>(table: string, rowLabel: string, column: string, value: unknown, parse: (value: unknown) => T): T {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof BadValue) throw new CommandError(`${table} ${rowLabel}: ${column} is ${err.message}; nothing was imported`);
      throw err;
    }
  }

  // auth_user ------------------------------------------------------------------------------

  private djangoUser(row: Row): DjangoUser {
    const t = 'auth_user';
    const id = this.read(t, `row`, 'id', row.id, djangoInt);
    const label = `id ${id}`;
    if (id < 1 || id > MAX_ID) throw new CommandError(`${t} ${label}: the id does not fit this service's ids (1 to ${MAX_ID}); nothing was imported`);
    // The hash itself never appears in a message.
    if (typeof row.password !== 'string') throw new CommandError(`${t} ${label}: password is not text; nothing was imported`);
    const username = this.read(t, label, 'username', row.username, djangoText);
    if (username === '') throw new CommandError(`${t} ${label}: username is empty; nothing was imported`);
    return {
      id,
      username,
      username_key: usernameKey(username),
      password: row.password,
      email: this.read(t, label, 'email', row.email, djangoText),
      first_name: this.read(t, label, 'first_name', row.first_name, djangoText),
      last_name: this.read(t, label, 'last_name', row.last_name, djangoText),
      is_staff: this.read(t, label, 'is_staff', row.is_staff, djangoBool),
      is_superuser: this.read(t, label, 'is_superuser', row.is_superuser, djangoBool),
      is_active: this.read(t, label, 'is_active', row.is_active, djangoBool),
      date_joined: this.read(t, label, 'date_joined', row.date_joined, djangoTime),
      last_login: this.read(t, label, 'last_login', row.last_login, djangoTimeOrNull),
    };
  }

  private async users(): Promise<void> {
    const counts = emptyCounts();
    const ours: OurUser[] = await this.tx.imports.users();
    const byName = new Map(ours.map((u) => [u.username_key, u]));
    const byId = new Map(ours.map((u) => [u.id, u]));
    const djangoNames = new Map<string, DjangoUser>();
    const clashes: string[] = [];
    const renumbered: DjangoUser[] = [];
    const passwordKept: string[] = [];
    const unreadable = new Map<string, number>();

    for await (const rows of this.batches('auth_user', 'id', USER_COLUMNS)) {
      const inserts: UserFields[] = [];
      for (const row of rows) {
        const d = this.djangoUser(row);
        const folded = d.username_key;
        const twin = djangoNames.get(folded);
        if (twin) {
          clashes.push(`the Django users '${twin.username}' (id ${twin.id}) and '${d.username}' (id ${d.id}) differ only in letter case, and usernames here are unique whatever their case`);
          continue;
        }
        djangoNames.set(folded, d);
        const mine = byName.get(folded);
        if (mine) {
          const clash = userClash(d, mine);
          if (clash) {
            clashes.push(clash);
            continue;
          }
          this.userIds.set(d.id, mine.id);
          if (mine.password !== d.password) passwordKept.push(d.username);
          const changes = profileChanges(d, mine);
          if (Object.keys(changes).length === 0) {
            counts.unchanged++;
          } else {
            counts.updated++;
            await this.tx.users.update(mine.id, changes);
          }
          continue;
        }
        const holder = byId.get(d.id);
        if (holder) {
          if (this.options.renumber) renumbered.push(d);
          else clashes.push(`the Django user '${d.username}' cannot keep its id ${d.id}: '${holder.username}' has it here (pass --renumber to give it a new id)`);
          continue;
        }
        const hasher = hasherOf(d.password);
        if (hasher !== null) unreadable.set(hasher, (unreadable.get(hasher) ?? 0) + 1);
        inserts.push(userFields(d, d.id));
        const added = { ...d };
        byId.set(d.id, added);
        byName.set(folded, added);
        this.userIds.set(d.id, d.id);
        counts.new++;
      }
      if (clashes.length === 0) await this.tx.imports.insertUsers(inserts);
    }
    if (clashes.length > 0) {
      const more = clashes.length > 1 ? ` (and ${clashes.length - 1} more clash${clashes.length > 2 ? 'es' : ''})` : '';
      throw new CommandError(`${clashes[0]}${more}; nothing was imported`);
    }
    await this.tx.imports.advanceIdSequence('auth_user');
    const moved: string[] = [];
    for (const d of renumbered) {
      const hasher = hasherOf(d.password);
      if (hasher !== null) unreadable.set(hasher, (unreadable.get(hasher) ?? 0) + 1);
      const { id } = await this.tx.users.create(userFields(d, undefined));
      this.userIds.set(d.id, id);
      counts.new++;
      moved.push(`'${d.username}' ${d.id} → ${id}`);
    }
    if (moved.length > 0) {
      this.notes.push(
        `auth_user: ${moved.length} user${moved.length > 1 ? 's' : ''} got a new id, as their Django id is taken here (${listSome(moved)}). ` +
          `A JWT issued by Django names its user by id: do not let this service accept Django's JWTs (give it another SECRET_KEY than Django's).`,
      );
    }
    if (passwordKept.length > 0) {
      this.notes.push(
        `auth_user: the password of ${listSome(passwordKept.map((u) => `'${u}'`))} differs from Django's; kept this service's ` +
          `(a login here upgrades the hash; a password changed since on one side is not carried over: use changepassword).`,
      );
    }
    if (unreadable.size > 0) {
      const n = [...unreadable.values()].reduce((a, b) => a + b, 0);
      const kinds = [...unreadable].map(([hasher, count]) => `${hasher}: ${count}`).join(', ');
      this.notes.push(
        `auth_user: ${n} new user${n > 1 ? 's have a password hash' : ' has a password hash'} this service cannot check (${kinds}); ` +
          `they cannot log in until they reset their password (djoser's reset_password) or are given one (changepassword).`,
      );
    }
    this.tables.push({ table: 'auth_user', counts });
  }

  // auth_group, auth_user_groups --------------------------------------------------------------

  private async groups(): Promise<void> {
    const counts = emptyCounts();
    const ours = new Map((await this.tx.imports.groups()).map((g) => [g.name, g.id]));
    for await (const rows of this.batches('auth_group', 'id', ['id', 'name'])) {
      for (const row of rows) {
        const id = this.read('auth_group', 'row', 'id', row.id, djangoInt);
        const name = this.read('auth_group', `id ${id}`, 'name', row.name, djangoText);
        let mine = ours.get(name);
        if (mine === undefined) {
          mine = (await this.tx.users.createGroup(name)).id;
          ours.set(name, mine);
          counts.new++;
        } else {
          counts.unchanged++;
        }
        this.groupIds.set(id, mine);
      }
    }
    this.tables.push({ table: 'auth_group', counts });
  }

  /** Memberships: Django's are added; an imported user's membership here in one of Django's groups that Django does not have is removed. */
  private async memberships(): Promise<void> {
    const counts = emptyCounts();
    const key = (u: number, g: number) => `${u}:${g}`;
    const ours = await this.tx.imports.memberships();
    const existing = new Set(ours.map((m) => key(Number(m.user_id), Number(m.group_id))));
    const wanted = new Set<string>();
    for await (const rows of this.batches('auth_user_groups', 'id', ['id', 'user_id', 'group_id'])) {
      const inserts: { user_id: number; group_id: number }[] = [];
      for (const row of rows) {
        const label = `id ${String(row.id)}`;
        const user = this.userIds.get(this.read('auth_user_groups', label, 'user_id', row.user_id, djangoInt));
        const group = this.groupIds.get(this.read('auth_user_groups', label, 'group_id', row.group_id, djangoInt));
        if (user === undefined || group === undefined) {
          counts.skipped++; // names a user or group that Django no longer has
          continue;
        }
        const k = key(user, group);
        if (wanted.has(k)) continue;
        wanted.add(k);
        if (existing.has(k)) {
          counts.unchanged++;
        } else {
          inserts.push({ user_id: user, group_id: group });
          counts.new++;
        }
      }
      await this.tx.imports.insertMemberships(inserts);
    }
    const imported = new Set(this.userIds.values());
    const djangoGroups = new Set(this.groupIds.values());
    for (const m of ours) {
      const [u, g] = [Number(m.user_id), Number(m.group_id)];
      if (imported.has(u) && djangoGroups.has(g) && !wanted.has(key(u, g))) {
        await this.tx.users.removeMember(u, g);
        counts.removed++;
      }
    }
    this.tables.push({ table: 'auth_user_groups', counts });
  }

  // authtoken_token -------------------------------------------------------------------------

  /** DRF keys: stored here as their SHA-256, so the same key keeps working; `created` kept. */
  private async keys(): Promise<void> {
    const counts = emptyCounts();
    let wrongLength = 0;
    for await (const rows of this.batches('authtoken_token', 'user_id', ['key', 'user_id', 'created'])) {
      const batch: { hash: string; user: number; created: number; djangoUser: number }[] = [];
      for (const row of rows) {
        const djangoUser = this.read('authtoken_token', 'row', 'user_id', row.user_id, djangoInt);
        const label = `of user id ${djangoUser}`;
        // The key itself never appears in a message.
        if (typeof row.key !== 'string') throw new CommandError(`authtoken_token ${label}: key is not text; nothing was imported`);
        const user = this.userIds.get(djangoUser);
        // Keys are looked up only when 40 characters long (DRF's length): another would never work.
        if (row.key.length !== 40 || user === undefined) {
          if (row.key.length !== 40) wrongLength++;
          counts.skipped++;
          continue;
        }
        batch.push({ hash: hashKey(row.key), user, created: this.read('authtoken_token', label, 'created', row.created, djangoTime), djangoUser });
      }
      const found = await this.tx.imports.keysByHash(batch.map((k) => k.hash));
      const byHash = new Map(found.map((f) => [f.key_hash, f]));
      const inserts: { key_hash: string; user_id: number; created: number }[] = [];
      for (const k of batch) {
        const mine = byHash.get(k.hash);
        if (!mine) {
          inserts.push({ key_hash: k.hash, user_id: k.user, created: k.created });
          counts.new++;
        } else if (Number(mine.user_id) !== k.user) {
          throw new CommandError(`the DRF key of the Django user id ${k.djangoUser} belongs to another user here (id ${mine.user_id}); nothing was imported`);
        } else if (Number(mine.created) !== k.created) {
          await this.tx.imports.setKeyCreated(mine.id, k.created);
          counts.updated++;
        } else {
          counts.unchanged++;
        }
      }
      await this.tx.imports.insertKeys(inserts);
    }
    if (wrongLength > 0) {
      this.notes.push(`authtoken_token: ${wrongLength} key${wrongLength > 1 ? 's are' : ' is'} not 40 characters long, which this service never accepts: skipped.`);
    }
    this.tables.push({ table: 'authtoken_token', counts });
  }

  // token_blacklist ---------------------------------------------------------------------------

  /**
   * Refresh tokens that can still be used (not expired, beyond the leeway), by jti; each its
   * own rotation family. Expired ones are skipped: they are refused anyway.
   */
  private async outstanding(): Promise<void> {
    const t = 'token_blacklist_outstandingtoken';
    const counts = emptyCounts();
    const columns = await this.source.columns(t);
    const withCreated = columns.includes('created_at');
    const cutoff = this.options.now - this.options.leewayMs;
    for await (const rows of this.batches(t, 'id', ['id', 'jti', 'user_id', 'expires_at', ...(withCreated ? ['created_at'] : [])])) {
      const batch: { djangoId: number; jti: string; user_id: number | null; created_at: number; expires_at: number }[] = [];
      for (const row of rows) {
        const djangoId = this.read(t, 'row', 'id', row.id, djangoInt);
        const label = `id ${djangoId}`;
        const expires = this.read(t, label, 'expires_at', row.expires_at, djangoTime);
        if (expires <= cutoff) {
          counts.skipped++;
          continue;
        }
        const jti = this.read(t, label, 'jti', row.jti, djangoText);
        const djangoUser = row.user_id === null ? null : this.read(t, label, 'user_id', row.user_id, djangoInt);
        const created = withCreated ? this.read(t, label, 'created_at', row.created_at, djangoTimeOrNull) : null;
        batch.push({
          djangoId,
          jti,
          user_id: djangoUser === null ? null : (this.userIds.get(djangoUser) ?? null),
          // Unknown (simplejwt's oldest rows): the epoch.
          created_at: created ?? 0,
          expires_at: expires,
        });
      }
      const jtis = batch.map((b) => b.jti);
      const found = await this.tx.imports.outstandingByJti(jtis);
      const byJti = new Map(found.map((f) => [f.jti, f]));
      const inserts: OutstandingFields[] = [];
      for (const b of batch) {
        const mine = byJti.get(b.jti);
        if (!mine) {
          inserts.push({ userId: b.user_id, jti: b.jti, family: b.jti, createdAt: b.created_at, expiresAt: b.expires_at });
          counts.new++;
          continue;
        }
        const changes: { user_id?: number | null; expires_at?: number; created_at?: number } = {};
        if ((mine.user_id === null ? null : Number(mine.user_id)) !== b.user_id) changes.user_id = b.user_id;
        if (Number(mine.expires_at) !== b.expires_at) changes.expires_at = b.expires_at;
        if (b.created_at !== 0 && Number(mine.created_at) !== b.created_at) changes.created_at = b.created_at;
        if (Object.keys(changes).length > 0) {
          await this.tx.imports.updateOutstanding(mine.id, changes);
          counts.updated++;
        } else {
          counts.unchanged++;
        }
      }
      await this.tx.imports.insertOutstanding(inserts);
      const ids = await this.tx.imports.outstandingByJti(jtis);
      const ourId = new Map(ids.map((r) => [r.jti, r.id]));
      for (const b of batch) this.outstandingIds.set(b.djangoId, ourId.get(b.jti)!);
    }
    this.tables.push({ table: t, counts });
  }

  /** Blacklist entries of the imported refresh tokens: a token dead in Django stays dead here. Never removed. */
  private async blacklisted(): Promise<void> {
    const t = 'token_blacklist_blacklistedtoken';
    const counts = emptyCounts();
    for await (const rows of this.batches(t, 'id', ['id', 'token_id', 'blacklisted_at'])) {
      const batch: { token_id: number; blacklisted_at: number }[] = [];
      for (const row of rows) {
        const label = `id ${String(row.id)}`;
        const token = this.outstandingIds.get(this.read(t, label, 'token_id', row.token_id, djangoInt));
        if (token === undefined) {
          counts.skipped++; // its token expired: not imported
          continue;
        }
        batch.push({ token_id: token, blacklisted_at: this.read(t, label, 'blacklisted_at', row.blacklisted_at, djangoTime) });
      }
      const found = await this.tx.imports.blacklistedAmong(batch.map((b) => b.token_id));
      const inserts = batch.filter((b) => !found.has(b.token_id));
      counts.unchanged += batch.length - inserts.length;
      counts.new += inserts.length;
      await this.tx.imports.insertBlacklisted(inserts);
    }
    this.tables.push({ table: t, counts });
  }

  // menu_items --------------------------------------------------------------------------------

  /** The menu items, by id (kept): Django's title, price and inventory win. */
  private async menu(table: string, columns: MenuColumns): Promise<void> {
    if (!(await this.source.hasTable(table))) throw new CommandError(`the Django database has no table ${JSON.stringify(table)} (--menu-table)`);
    const available = await this.source.columns(table);
    for (const field of MENU_FIELDS) {
      if (!available.includes(columns[field])) {
        throw new CommandError(
          `table ${JSON.stringify(table)} has no column ${JSON.stringify(columns[field])} for ${field} (its columns: ${available.join(', ')}); map it with --menu-columns ${field}=COLUMN`,
        );
      }
    }
    const rules = menuRules();
    const counts = emptyCounts();
    const t = table;
    for await (const rows of this.batches(table, columns.id, Object.values(columns))) {
      const batch: { id: number; title: string; price_cents: number; inventory: number }[] = [];
      for (const row of rows) {
        const id = this.read(t, 'row', columns.id, row[columns.id], djangoInt);
        const label = `id ${id}`;
        if (id < 1 || id > MAX_ID) throw new CommandError(`${t} ${label}: the id does not fit this service's ids (1 to ${MAX_ID}); nothing was imported`);
        const title = this.read(t, label, columns.title, row[columns.title], djangoText);
        const cents = this.read(t, label, columns.price, row[columns.price], djangoCents);
        const inventory = this.read(t, label, columns.inventory, row[columns.inventory], djangoInt);
        const problem =
          [...title].length < rules.titleMin || [...title].length > rules.titleMax
            ? `title must have ${rules.titleMin} to ${rules.titleMax} characters`
            : (decimalError(fromCents(cents), rules.price) ?? (inventory < rules.inventoryMin || inventory > rules.inventoryMax ? `inventory ${inventory} is not from ${rules.inventoryMin} to ${rules.inventoryMax}` : null));
        if (problem) throw new CommandError(`${t} ${label}: ${problem} (the API's limits); nothing was imported`);
        batch.push({ id, title, price_cents: cents, inventory });
      }
      const found = await this.tx.imports.menuItems(batch.map((b) => b.id));
      const byId = new Map(found.map((f) => [f.id, f]));
      const inserts: typeof batch = [];
      for (const b of batch) {
        const mine = byId.get(b.id);
        if (!mine) {
          inserts.push(b);
          counts.new++;
        } else if (mine.title !== b.title || mine.price_cents !== b.price_cents || mine.inventory !== b.inventory) {
          await this.tx.menu.update(b.id, { title: b.title, price_cents: b.price_cents, inventory: b.inventory });
          counts.updated++;
        } else {
          counts.unchanged++;
        }
      }
      await this.tx.imports.insertMenuItems(inserts);
    }
    await this.tx.imports.advanceIdSequence('menu_items');
    this.tables.push({ table: 'menu_items', counts });
  }
}

/**
 * The name of the hasher of a stored password that this service cannot verify, or null when
 * it can (or the password is unusable anyway). Only a name-like prefix is ever shown.
 */
function hasherOf(password: string): string | null {
  if (password === '' || password.startsWith('!')) return null;
  const name = password.split('$', 1)[0]!;
  if (READABLE_HASHERS.has(name)) return null;
  return password.includes('$') && /^[a-z][a-z0-9_]{0,31}$/.test(name) ? name : 'not a Django hash';
}

/** Why `mine` is not the Django user `d` (their usernames are equal case-insensitively), or null when it is. */
function userClash(d: DjangoUser, mine: OurUser): string | null {
  const who = `the Django user '${d.username}' (id ${d.id}) clashes with '${mine.username}' (id ${mine.id}) here`;
  if (mine.username !== d.username) return `${who}: the usernames differ in letter case`;
  if (mine.date_joined !== d.date_joined) return `${who}: another account (joined ${iso(mine.date_joined)} here, ${iso(d.date_joined)} in Django)`;
  return null;
}

/** The columns of `mine` to set from the Django user: profile and flags as in Django, last_login when Django's is later. */
function profileChanges(d: DjangoUser, mine: OurUser): Partial<OurUser> {
  const changes: Partial<Record<keyof OurUser, unknown>> = {};
  for (const c of PROFILE_TEXT) if (mine[c] !== d[c]) changes[c] = d[c];
  for (const c of PROFILE_FLAGS) if (mine[c] !== d[c]) changes[c] = d[c];
  if (d.last_login !== null && (mine.last_login === null || d.last_login > mine.last_login)) changes.last_login = d.last_login;
  return changes as Partial<OurUser>;
}

/** What a new user is made of, from the Django user `d`, with `id` (undefined: a new one). */
function userFields(d: DjangoUser, id: number | undefined): UserFields {
  return {
    id,
    username: d.username,
    password: d.password,
    email: d.email,
    firstName: d.first_name,
    lastName: d.last_name,
    isStaff: d.is_staff,
    isSuperuser: d.is_superuser,
    isActive: d.is_active,
    dateJoined: d.date_joined,
    lastLogin: d.last_login,
  };
}

/** The first few items, and how many more. */
function listSome(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

interface MenuRules {
  titleMin: number;
  titleMax: number;
  price: DecimalRules;
  inventoryMin: number;
  inventoryMax: number;
}

/** The menu item's limits, as openapi.yaml declares them (the API serves nothing else). */
function menuRules(): MenuRules {
  const schemas = loadSpec().document.components?.schemas ?? {};
  const item = schemas.MenuItem?.properties ?? {};
  // The rules sit on the string form of the price a request may send (PriceInput's anyOf).
  const forms = (schemas.PriceInput?.anyOf ?? []) as Record<string, unknown>[];
  const price = (forms.find((f) => f['x-decimal'])?.['x-decimal'] ?? {}) as Partial<DecimalRules>;
  return {
    titleMin: item.title?.minLength ?? 1,
    titleMax: item.title?.maxLength ?? 255,
    price: { maxDigits: price.maxDigits ?? 6, decimalPlaces: price.decimalPlaces ?? 2, minimum: price.minimum ?? '0', ...(price.maximum ? { maximum: price.maximum } : {}) },
    inventoryMin: item.inventory?.minimum ?? 0,
    inventoryMax: item.inventory?.maximum ?? 32767,
  };
}
