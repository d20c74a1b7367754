/**
 * import-django, end to end: a Django-shaped database built here with Django's own DDL (no
 * Python), imported by the CLI as a subprocess, then the service started on the result and
 * spoken to over HTTP. PostgreSQL too when TEST_DATABASE_URL is set.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { createApp, type App } from '../../src/app';
import { loadSettings } from '../../src/settings';
import { BadValue, djangoBool, djangoCents, djangoTime, driverMessage, redactUrl } from '../../src/cli/djangoSource';
import { parseMenuColumns } from '../../src/cli/importDjango';
import { openDatabase } from '../../src/data/db';
import { SECRET_KEY, freshDataDir, manage, type Result } from './run';

// ---------------------------------------------------------------------------------------------
// The Django database

/** Django's PBKDF2PasswordHasher, computed here: `pbkdf2_sha256$<iterations>$<salt>$<base64 of the hash>`. */
function djangoPbkdf2(password: string, salt: string, iterations = 260_000): string {
  const hash = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${iterations}$${salt}$${hash}`;
}

/** A DRF key: binascii.hexlify(os.urandom(20)). */
const drfKey = (): string => crypto.randomBytes(20).toString('hex');
/** simplejwt's jti: uuid4().hex. */
const uuid4hex = (): string => crypto.randomUUID().replace(/-/g, '');

/** Epoch ms plus the microseconds past the millisecond that Django also stores (and we drop). */
interface Time {
  ms: number;
  micro: number;
}
const at = (iso: string, micro = 0): Time => ({ ms: Date.parse(iso), micro });
const inFuture = (seconds: number): Time => ({ ms: Math.floor(Date.now() / 1000 + seconds) * 1000, micro: 0 });

/** As Django's SQLite backend writes a datetime (UTC with USE_TZ): `2024-01-15 10:30:00.123456`, no fraction when zero. */
function sqliteText(t: Time): string {
  const base = new Date(t.ms).toISOString().slice(0, 23).replace('T', ' ');
  const fraction = base.slice(20) + String(t.micro).padStart(3, '0');
  return /^0+$/.test(fraction) ? base.slice(0, 19) : `${base.slice(0, 19)}.${fraction}`;
}
/** A timestamptz literal. */
const pgText = (t: Time): string => `${sqliteText(t)}+00`;

interface DjangoUser {
  id: number;
  username: string;
  password: string;
  email: string;
  first_name: string;
  last_name: string;
  is_staff: boolean;
  is_superuser: boolean;
  is_active: boolean;
  date_joined: Time;
  last_login: Time | null;
}

interface Fixture {
  users: DjangoUser[];
  groups: { id: number; name: string }[];
  memberships: { id: number; user_id: number; group_id: number }[];
  keys: { key: string; user_id: number; created: Time }[];
  outstanding: { id: number; jti: string; user_id: number | null; created_at: Time | null; expires_at: Time }[];
  blacklisted: { id: number; token_id: number; blacklisted_at: Time }[];
  menu: { id: number; title: string; price: string; inventory: number }[];
}

const MARIO_PASSWORD = 'Lemon-grove-42!';
const ADMIN_PASSWORD = 'Citrus-orchard-77?';

function user(id: number, username: string, password: string, more: Partial<DjangoUser> = {}): DjangoUser {
  return {
    id,
    username,
    password,
    email: `${username.toLowerCase()}@example.com`,
    first_name: '',
    last_name: '',
    is_staff: false,
    is_superuser: false,
    is_active: true,
    date_joined: at('2023-05-01T09:00:00.000Z'),
    last_login: null,
    ...more,
  };
}

/** The course's project: an admin, a manager, a delivery-crew member, an inactive user. */
function courseFixture(): Fixture {
  const refreshExp = inFuture(86_400);
  return {
    users: [
      user(1, 'admin', djangoPbkdf2(ADMIN_PASSWORD, 'adminsalt0123456789abc'), {
        is_staff: true,
        is_superuser: true,
        date_joined: at('2023-05-01T09:00:00.123Z', 456),
        last_login: at('2024-06-01T12:00:00.000Z'), // Django omits a zero fraction
      }),
      user(2, 'mario', djangoPbkdf2(MARIO_PASSWORD, 'mariosalt0123456789ab'), {
        first_name: 'Mario',
        last_name: 'Rossi',
        date_joined: at('2023-06-02T10:11:12.345Z', 678),
        last_login: at('2024-07-03T08:09:10.111Z', 999),
      }),
      user(3, 'luigi', djangoPbkdf2('Green-cap-2024!', 'luigisalt0123456789ab'), { date_joined: at('2023-06-03T10:00:00.000Z') }),
      user(5, 'Peach', djangoPbkdf2('Castle-rose-99', 'peachsalt0123456789ab'), { is_active: false, date_joined: at('2023-07-04T10:00:00.500Z') }),
    ],
    // Django's ids differ from ours (Manager is 1 here): groups go by name.
    groups: [
      { id: 1, name: 'Delivery crew' },
      { id: 2, name: 'Chefs' },
      { id: 3, name: 'Manager' },
    ],
    memberships: [
      { id: 1, user_id: 2, group_id: 3 },
      { id: 2, user_id: 3, group_id: 1 },
      { id: 3, user_id: 3, group_id: 2 },
    ],
    keys: [
      { key: drfKey(), user_id: 2, created: at('2024-07-03T08:09:11.000Z', 1) },
      { key: drfKey(), user_id: 1, created: at('2024-06-01T12:00:01.000Z') },
      { key: 'not-forty-characters', user_id: 3, created: at('2024-06-01T12:00:02.000Z') },
    ],
    outstanding: [
      { id: 1, jti: uuid4hex(), user_id: 2, created_at: at('2024-07-03T08:09:10.000Z'), expires_at: refreshExp }, // blacklisted
      { id: 2, jti: uuid4hex(), user_id: 2, created_at: at('2024-07-03T08:09:10.000Z'), expires_at: refreshExp }, // still good
      { id: 3, jti: uuid4hex(), user_id: 3, created_at: at('2024-01-01T00:00:00.000Z'), expires_at: at('2024-01-02T00:00:00.000Z') }, // expired
      { id: 4, jti: uuid4hex(), user_id: null, created_at: null, expires_at: refreshExp }, // its user deleted in Django
    ],
    blacklisted: [
      { id: 1, token_id: 1, blacklisted_at: at('2024-07-03T09:00:00.000Z', 5) },
      { id: 2, token_id: 3, blacklisted_at: at('2024-01-01T01:00:00.000Z') },
    ],
    menu: [
      { id: 1, title: 'Bruschetta', price: '5.50', inventory: 20 },
      { id: 2, title: 'Lemon dessert', price: '12.00', inventory: 0 },
      { id: 7, title: 'Greek salad', price: '8.99', inventory: 15 },
      { id: 9, title: 'Espresso', price: '0.10', inventory: 100 },
    ],
  };
}

/** What Django's migrations create on SQLite (`sqlmigrate`), for the tables read. */
const SQLITE_DDL = [
  'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)',
  'CREATE TABLE "auth_group" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(150) NOT NULL UNIQUE)',
  'CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)',
  'CREATE TABLE "auth_user_groups" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED)',
  'CREATE UNIQUE INDEX "auth_user_groups_user_id_group_id_94350c0c_uniq" ON "auth_user_groups" ("user_id", "group_id")',
  'CREATE INDEX "auth_user_groups_user_id_6a12ed8b" ON "auth_user_groups" ("user_id")',
  'CREATE INDEX "auth_user_groups_group_id_97559544" ON "auth_user_groups" ("group_id")',
  'CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED)',
  'CREATE TABLE "token_blacklist_outstandingtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token" text NOT NULL, "created_at" datetime NULL, "expires_at" datetime NOT NULL, "user_id" integer NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "jti" varchar(255) NOT NULL UNIQUE)',
  'CREATE INDEX "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id")',
  'CREATE TABLE "token_blacklist_blacklistedtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "blacklisted_at" datetime NOT NULL, "token_id" bigint NOT NULL UNIQUE REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED)',
  'CREATE TABLE "LittleLemonAPI_category" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "slug" varchar(50) NOT NULL, "title" varchar(255) NOT NULL)',
  'CREATE TABLE "LittleLemonAPI_menuitem" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(255) NOT NULL, "price" decimal NOT NULL, "inventory" smallint NOT NULL, "category_id" integer NOT NULL REFERENCES "LittleLemonAPI_category" ("id") DEFERRABLE INITIALLY DEFERRED)',
];

/** Writes `fixture` into a new SQLite file as Django would (datetimes as text, booleans 0/1); returns its path. */
function djangoSqlite(fixture: Fixture, dir = freshDataDir()): string {
  const file = path.join(dir, 'django.sqlite3');
  const db = new Database(file);
  try {
    for (const ddl of SQLITE_DDL) db.exec(ddl);
    const b = (v: boolean) => (v ? 1 : 0);
    const t = (v: Time | null) => (v === null ? null : sqliteText(v));
    db.transaction(() => {
      const insertUser = db.prepare(
        'INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const u of fixture.users) insertUser.run(u.id, u.password, t(u.last_login), b(u.is_superuser), u.username, u.last_name, u.email, b(u.is_staff), b(u.is_active), t(u.date_joined), u.first_name);
      for (const g of fixture.groups) db.prepare('INSERT INTO auth_group (id, name) VALUES (?, ?)').run(g.id, g.name);
      for (const m of fixture.memberships) db.prepare('INSERT INTO auth_user_groups (id, user_id, group_id) VALUES (?, ?, ?)').run(m.id, m.user_id, m.group_id);
      for (const k of fixture.keys) db.prepare('INSERT INTO authtoken_token (key, created, user_id) VALUES (?, ?, ?)').run(k.key, t(k.created), k.user_id);
      for (const o of fixture.outstanding) {
        db.prepare('INSERT INTO token_blacklist_outstandingtoken (id, token, created_at, expires_at, user_id, jti) VALUES (?, ?, ?, ?, ?, ?)').run(o.id, 'eyJ.the.token', t(o.created_at), t(o.expires_at), o.user_id, o.jti);
      }
      for (const x of fixture.blacklisted) db.prepare('INSERT INTO token_blacklist_blacklistedtoken (id, blacklisted_at, token_id) VALUES (?, ?, ?)').run(x.id, t(x.blacklisted_at), x.token_id);
      db.prepare('INSERT INTO "LittleLemonAPI_category" (id, slug, title) VALUES (1, ?, ?)').run('mains', 'Mains');
      // Django binds a Decimal as its text; the column's numeric affinity makes it a number.
      for (const i of fixture.menu) db.prepare('INSERT INTO "LittleLemonAPI_menuitem" (id, title, price, inventory, category_id) VALUES (?, ?, ?, ?, 1)').run(i.id, i.title, i.price, i.inventory);
    })();
  } finally {
    db.close();
  }
  return file;
}

/** Everything of a fixture that must never be printed. */
function secretsOf(fixture: Fixture): string[] {
  return [...fixture.users.flatMap((u) => [u.password, u.password.split('$')[3]!]), ...fixture.keys.map((k) => k.key)];
}

// ---------------------------------------------------------------------------------------------
// This service's side

const OUR_TABLES = ['auth_user', 'auth_group', 'auth_user_groups', 'authtoken_token', 'token_blacklist_outstandingtoken', 'token_blacklist_blacklistedtoken', 'menu_items'];

/** Our tables, every row, as JSON: to compare before and after. */
function dump(dataDir: string): string {
  const db = new Database(path.join(dataDir, 'db.sqlite3'), { readonly: true });
  try {
    return JSON.stringify(Object.fromEntries(OUR_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY id`).all()])), null, 1);
  } finally {
    db.close();
  }
}

function query<T = Record<string, unknown>>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'db.sqlite3'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function importDjango(dataDir: string, args: readonly string[], env: Record<string, string> = {}, secrets: string[] = []): Promise<Result> {
  const r = await manage(dataDir, ['import-django', ...args], { env });
  for (const secret of secrets) {
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'a password hash or a key was printed');
  }
  return r;
}

/** The counts the import printed for `table`: [new, unchanged, updated, removed, skipped]. */
function counts(r: Result, table: string): number[] {
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${table} `));
  assert.ok(line, `no line for ${table} in:\n${r.stdout}`);
  return line.trim().split(/\s+/).slice(1).map(Number);
}

/** A failure: the exit code, nothing on stdout, one `Error: …` line on stderr. */
function assertFails(r: Result, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, message);
}

/** A refresh token as simplejwt signs one (PyJWT, HS256 with SECRET_KEY), made here by hand. */
function simplejwtRefresh(secret: string, jti: string, userId: number, exp: Time): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = part({ alg: 'HS256', typ: 'JWT' });
  const payload = part({ token_type: 'refresh', exp: exp.ms / 1000, iat: Math.floor(Date.now() / 1000), jti, user_id: String(userId) });
  const signature = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

interface Running {
  app: App;
  server: http.Server;
  url: string;
}

async function startApp(env: Record<string, string>): Promise<Running> {
  const app = await createApp(loadSettings({ SECRET_KEY, LOG_LEVEL: 'silent', ...env }));
  const server = http.createServer(app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { app, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stopApp(r: Running | undefined): Promise<void> {
  if (!r) return;
  r.server.closeAllConnections();
  await new Promise((resolve) => r.server.close(resolve));
  await r.app.close();
}

async function call(base: string, method: string, p: string, options: { json?: unknown; token?: string } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Token ${options.token}`;
  const res = await fetch(base + p, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : '' };
}

/** The checks over HTTP that the import carried everything over. */
async function assertServiceSeesDjango(url: string, fixture: Fixture): Promise<void> {
  const [markerKey, adminKey] = [fixture.keys[0]!.key, fixture.keys[1]!.key];
  const [blacklisted, good] = [fixture.outstanding[0]!, fixture.outstanding[1]!];

  const login = await call(url, 'POST', '/api/token/', { json: { username: 'mario', password: MARIO_PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.ok(login.body.access && login.body.refresh);
  assert.equal((await call(url, 'POST', '/api/token/', { json: { username: 'mario', password: 'wrong-password' } })).status, 401);
  // Inactive in Django, inactive here.
  assert.equal((await call(url, 'POST', '/api/token/', { json: { username: 'Peach', password: 'Castle-rose-99' } })).status, 401);

  assert.deepEqual(await call(url, 'GET', '/api/secret/', { token: markerKey }), { status: 200, body: { message: 'Some secret message' } });
  assert.equal((await call(url, 'GET', '/api/secret/', { token: adminKey })).status, 200);
  assert.equal((await call(url, 'GET', '/api/secret/', { token: drfKey() })).status, 401);

  assert.deepEqual(await call(url, 'GET', '/api/manager-view/', { token: markerKey }), { status: 200, body: { message: 'Only Manager should see this' } });
  assert.equal((await call(url, 'GET', '/api/manager-view/', { token: adminKey })).status, 403, 'admin is not in Manager');

  const me = await call(url, 'GET', '/auth/users/me/', { token: markerKey });
  assert.equal(me.body.username, 'mario');
  assert.equal(me.body.email, 'mario@example.com');

  // Blacklisted in Django: dead here. Signed by Django with the same SECRET_KEY and not blacklisted: alive.
  const dead = await call(url, 'POST', '/api/token/refresh/', { json: { refresh: simplejwtRefresh(SECRET_KEY, blacklisted.jti, 2, blacklisted.expires_at) } });
  assert.deepEqual(dead, { status: 401, body: { detail: 'Token is blacklisted', code: 'token_not_valid' } });
  const alive = await call(url, 'POST', '/api/token/refresh/', { json: { refresh: simplejwtRefresh(SECRET_KEY, good.jti, 2, good.expires_at) } });
  assert.equal(alive.status, 200, JSON.stringify(alive.body));
  assert.ok(alive.body.access);

  const menu = await call(url, 'GET', '/api/menu-items');
  assert.equal(menu.status, 200);
  assert.deepEqual(
    menu.body,
    fixture.menu.map((i) => ({ id: i.id, title: i.title, price: i.price, inventory: i.inventory })),
  );
}

// ---------------------------------------------------------------------------------------------

describe('import-django: reading Django values', () => {
  test('datetimes: SQLite text (UTC, microseconds truncated), offsets, PostgreSQL text', () => {
    assert.equal(djangoTime('2024-01-15 10:30:00.123456'), Date.parse('2024-01-15T10:30:00.123Z'));
    assert.equal(djangoTime('2024-01-15 10:30:00'), Date.parse('2024-01-15T10:30:00Z'));
    assert.equal(djangoTime('2024-01-15 10:30:00.5+00'), Date.parse('2024-01-15T10:30:00.500Z'));
    assert.equal(djangoTime('2024-01-15T12:30:00.999999+02:00'), Date.parse('2024-01-15T10:30:00.999Z'));
    assert.equal(djangoTime('2024-01-15 05:00:00-05:30'), Date.parse('2024-01-15T10:30:00Z'));
    assert.equal(djangoTime('0001-01-01 00:00:00'), -62_135_596_800_000);
    for (const bad of ['2024-02-30 10:00:00', '2024-01-15', 'infinity', '', 1705314600]) assert.throws(() => djangoTime(bad), BadValue, String(bad));
  });

  test('prices: SQLite numbers read as Django does (15 digits), PostgreSQL text; never rounded', () => {
    assert.equal(djangoCents(5.5), 550);
    assert.equal(djangoCents(12), 1200);
    assert.equal(djangoCents(8.99), 899);
    assert.equal(djangoCents(0.1 + 0.2), 30);
    assert.equal(djangoCents('5.50'), 550);
    assert.equal(djangoCents('1234.5'), 123450);
    assert.throws(() => djangoCents(5.555), /not a whole number of cents/);
    assert.throws(() => djangoCents('abc'), BadValue);
    assert.throws(() => djangoCents(Number.NaN), BadValue);
  });

  test('booleans, menu column maps, URLs and errors shown without secrets', () => {
    assert.equal(djangoBool(1), true);
    assert.equal(djangoBool(0), false);
    assert.equal(djangoBool(true), true);
    assert.throws(() => djangoBool('yes'), BadValue);
    assert.deepEqual(parseMenuColumns('title=name, price=cost,Inventory=stock'), { id: 'id', title: 'name', price: 'cost', inventory: 'stock' });
    assert.throws(() => parseMenuColumns('colour=red'), /unknown field "colour"/);
    assert.throws(() => parseMenuColumns('title'), /is not FIELD=COLUMN/);
    assert.equal(redactUrl('postgres://django:s3cret@db.example:5432/shop'), 'postgres://django:***@db.example:5432/shop');
    const hash = djangoPbkdf2('x', 'salt', 1);
    const key = drfKey();
    const knexError = new Error(`insert into "auth_user" ("password") values ('${hash}'), ('${key}') - value too long for type character varying(150)`);
    assert.equal(driverMessage(knexError), 'value too long for type character varying(150)');
    assert.equal(driverMessage(new Error(`bad ${hash} and ${key}`)), 'bad [hidden] and [hidden]');
  });
});

describe('import-django: a Django SQLite database, then the service over HTTP', () => {
  const fixture = courseFixture();
  const secrets = secretsOf(fixture);
  const dataDir = freshDataDir();
  let djangoFile: string;
  let running: Running | undefined;
  const args = () => [djangoFile, '--menu-table', 'LittleLemonAPI_menuitem'];

  before(() => {
    djangoFile = djangoSqlite(fixture);
  });
  after(() => stopApp(running));

  test('the import copies every table and says how many rows of each', async () => {
    const r = await importDjango(dataDir, args(), {}, secrets);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^Imported from SQLite file ${djangoFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.deepEqual(counts(r, 'auth_user'), [4, 0, 0, 0, 0]);
    assert.deepEqual(counts(r, 'auth_group'), [1, 2, 0, 0, 0], 'Chefs is new; Manager and Delivery crew exist here');
    assert.deepEqual(counts(r, 'auth_user_groups'), [3, 0, 0, 0, 0]);
    assert.deepEqual(counts(r, 'authtoken_token'), [2, 0, 0, 0, 1], 'a key that is not 40 characters is skipped');
    assert.deepEqual(counts(r, 'token_blacklist_outstandingtoken'), [3, 0, 0, 0, 1], 'the expired one is skipped');
    assert.deepEqual(counts(r, 'token_blacklist_blacklistedtoken'), [1, 0, 0, 0, 1]);
    assert.deepEqual(counts(r, 'menu_items'), [4, 0, 0, 0, 0]);
    assert.match(r.stdout, /^Note: authtoken_token: 1 key is not 40 characters long/m);
    assert.match(r.stdout, /^18 changes\.$/m);
  });

  test('users keep their ids, hashes, flags, names and times (epoch ms)', () => {
    const users = query<Record<string, unknown>>(dataDir, 'SELECT * FROM auth_user ORDER BY id');
    assert.deepEqual(
      users.map((u) => [u.id, u.username, u.password, u.is_staff, u.is_superuser, u.is_active, u.first_name, u.last_name, u.email, u.date_joined, u.last_login]),
      fixture.users.map((u) => [u.id, u.username, u.password, Number(u.is_staff), Number(u.is_superuser), Number(u.is_active), u.first_name, u.last_name, u.email, u.date_joined.ms, u.last_login?.ms ?? null]),
    );
    const keys = query<{ key_hash: string; user_id: number; created: number }>(dataDir, 'SELECT key_hash, user_id, created FROM authtoken_token ORDER BY user_id');
    assert.deepEqual(keys, [fixture.keys[1]!, fixture.keys[0]!].map((k) => ({ key_hash: crypto.createHash('sha256').update(k.key).digest('hex'), user_id: k.user_id, created: k.created.ms })));
    const tokens = query(dataDir, 'SELECT jti, family, user_id, created_at, expires_at FROM token_blacklist_outstandingtoken ORDER BY id');
    assert.deepEqual(
      tokens,
      fixture.outstanding.filter((o) => o.id !== 3).map((o) => ({ jti: o.jti, family: o.jti, user_id: o.user_id, created_at: o.created_at?.ms ?? 0, expires_at: o.expires_at.ms })),
    );
    const groups = query<{ username: string; name: string }>(dataDir, 'SELECT u.username, g.name FROM auth_user_groups m JOIN auth_user u ON u.id = m.user_id JOIN auth_group g ON g.id = m.group_id ORDER BY u.username, g.name');
    assert.deepEqual(groups, [
      { username: 'luigi', name: 'Chefs' },
      { username: 'luigi', name: 'Delivery crew' },
      { username: 'mario', name: 'Manager' },
    ]);
  });

  test('a second run changes nothing', async () => {
    const before = dump(dataDir);
    const r = await importDjango(dataDir, args(), {}, secrets);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 changes\.$/m);
    assert.deepEqual(counts(r, 'auth_user'), [0, 4, 0, 0, 0]);
    assert.deepEqual(counts(r, 'menu_items'), [0, 4, 0, 0, 0]);
    assert.equal(dump(dataDir), before);
  });

  test('the service accepts the Django passwords, keys, groups and JWTs, and refuses the blacklisted one', async () => {
    running = await startApp({ DATA_DIR: dataDir });
    await assertServiceSeesDjango(running.url, fixture);
  });

  test('after logins here (hashes upgraded, last_login moved), a re-run still changes nothing', async () => {
    const r = await importDjango(dataDir, args(), {}, secrets);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 changes\.$/m);
    assert.match(r.stdout, /^Note: auth_user: the password of 'mario' differs from Django's; kept this service's/m);
    const [mario] = query<{ password: string }>(dataDir, "SELECT password FROM auth_user WHERE username = 'mario'");
    assert.match(mario!.password, /^argon2\$argon2id\$/);
  });

  test('changes made in Django since are carried over: flags, email, memberships, prices, new rows', async () => {
    const changed = JSON.parse(JSON.stringify(fixture)) as Fixture;
    changed.users[2]!.is_active = false; // luigi deactivated
    changed.users[2]!.email = 'luigi@lemon.example';
    changed.memberships = changed.memberships.filter((m) => !(m.user_id === 3 && m.group_id === 2)); // luigi leaves Chefs
    changed.users.push(user(6, 'toad', djangoPbkdf2('Mushroom-1-up', 'toadsalt0123456789abc'), { date_joined: at('2024-08-01T00:00:00.000Z') }));
    changed.memberships.push({ id: 4, user_id: 6, group_id: 3 });
    changed.menu[0]!.price = '6.00';
    const file = djangoSqlite(changed);
    const r = await importDjango(dataDir, [file, '--menu-table', 'LittleLemonAPI_menuitem'], {}, secretsOf(changed));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(counts(r, 'auth_user'), [1, 3, 1, 0, 0]);
    assert.deepEqual(counts(r, 'auth_user_groups'), [1, 2, 0, 1, 0]);
    assert.deepEqual(counts(r, 'menu_items'), [0, 3, 1, 0, 0]);
    assert.match(r.stdout, /^5 changes\.$/m);
    const [luigi] = query<{ is_active: number; email: string }>(dataDir, "SELECT is_active, email FROM auth_user WHERE username = 'luigi'");
    assert.deepEqual(luigi, { is_active: 0, email: 'luigi@lemon.example' });
    const [toad] = query<{ id: number }>(dataDir, "SELECT id FROM auth_user WHERE username = 'toad'");
    assert.equal(toad!.id, 6);
    const menu = await call(running!.url, 'GET', '/api/menu-items/1');
    assert.equal(menu.body.price, '6.00');
  });
});

describe('import-django: --dry-run', () => {
  test('prints the counts and writes nothing; the real run then does what it said', async () => {
    const fixture = courseFixture();
    const file = djangoSqlite(fixture);
    const dataDir = freshDataDir();
    assert.equal((await manage(dataDir, ['migrate'])).code, 0);
    const before = dump(dataDir);
    const dry = await importDjango(dataDir, ['--dry-run', file, '--menu-table', 'LittleLemonAPI_menuitem'], {}, secretsOf(fixture));
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Dry run \(nothing is written\): import from SQLite file /);
    assert.deepEqual(counts(dry, 'auth_user'), [4, 0, 0, 0, 0]);
    assert.match(dry.stdout, /^Dry run: 18 changes would be made; nothing was written\.$/m);
    assert.equal(dump(dataDir), before);

    const real = await importDjango(dataDir, [file, '--menu-table', 'LittleLemonAPI_menuitem']);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout.split('\n').slice(1).join('\n'), dry.stdout.split('\n').slice(1).join('\n').replace(/^Dry run: 18 changes would be made; nothing was written\.$/m, '18 changes.'));

    const again = await importDjango(dataDir, ['--dry-run', file, '--menu-table', 'LittleLemonAPI_menuitem']);
    assert.match(again.stdout, /^Dry run: 0 changes would be made; nothing was written\.$/m);
  });
});

describe('import-django: clashes stop the import and write nothing', { concurrency: 4 }, () => {
  /** A data folder holding the course fixture, imported. */
  async function imported(): Promise<{ dataDir: string; fixture: Fixture }> {
    const fixture = courseFixture();
    const dataDir = freshDataDir();
    const r = await importDjango(dataDir, [djangoSqlite(fixture)]);
    assert.equal(r.code, 0, r.stderr);
    return { dataDir, fixture };
  }

  test('the same username on another account (another date_joined and password): exit 1, ours untouched', async () => {
    const { dataDir } = await imported();
    const before = dump(dataDir);
    const other = courseFixture();
    other.users[1] = user(2, 'mario', djangoPbkdf2('Another-mario-1', 'othersalt0123456789ab'), { date_joined: at('2024-02-02T02:02:02.000Z') });
    other.users.push(user(8, 'daisy', djangoPbkdf2('Daisy-flower-8', 'daisysalt0123456789ab'), { date_joined: at('2024-03-03T00:00:00.000Z') }));
    const r = await importDjango(dataDir, [djangoSqlite(other), '--menu-table', 'LittleLemonAPI_menuitem'], {}, secretsOf(other));
    assertFails(r, 1, /the Django user 'mario' \(id 2\) clashes with 'mario' \(id 2\) here: another account \(joined 2023-06-02T10:11:12\.345Z here, 2024-02-02T02:02:02\.000Z in Django\); nothing was imported$/);
    assert.equal(dump(dataDir), before);
  });

  test('the same username in another letter case: a clash', async () => {
    const { dataDir } = await imported();
    const before = dump(dataDir);
    const other = courseFixture();
    other.users[1]!.username = 'Mario';
    const r = await importDjango(dataDir, [djangoSqlite(other)], {}, secretsOf(other));
    assertFails(r, 1, /'Mario' \(id 2\) clashes with 'mario' \(id 2\) here: the usernames differ in letter case/);
    assert.equal(dump(dataDir), before);
  });

  test('two Django users whose names differ only in case: a clash (one account here)', async () => {
    const dataDir = freshDataDir();
    const other = courseFixture();
    other.users.push(user(9, 'MARIO', djangoPbkdf2('Shouty-mario-9', 'shoutsalt0123456789ab'), { date_joined: at('2024-04-04T00:00:00.000Z') }));
    const r = await importDjango(dataDir, [djangoSqlite(other)], {}, secretsOf(other));
    assertFails(r, 1, /the Django users 'mario' \(id 2\) and 'MARIO' \(id 9\) differ only in letter case/);
    assert.equal(query(dataDir, 'SELECT * FROM auth_user').length, 0);
  });

  test("a Django id taken here by another user: a clash, or with --renumber a new id (keys follow)", async () => {
    const dataDir = freshDataDir();
    const created = await manage(dataDir, ['createsuperuser', '--noinput', '--username', 'boss', '--email', 'boss@example.com'], { env: { SUPERUSER_PASSWORD: 'Boss-of-lemons-1' } });
    assert.equal(created.code, 0, created.stderr);
    const before = dump(dataDir);
    const fixture = courseFixture();
    const file = djangoSqlite(fixture);
    const r = await importDjango(dataDir, [file], {}, secretsOf(fixture));
    assertFails(r, 1, /the Django user 'admin' cannot keep its id 1: 'boss' has it here \(pass --renumber to give it a new id\)/);
    assert.equal(dump(dataDir), before);

    const renumbered = await importDjango(dataDir, [file, '--renumber'], {}, secretsOf(fixture));
    assert.equal(renumbered.code, 0, renumbered.stderr);
    assert.match(renumbered.stdout, /^Note: auth_user: 1 user got a new id, as their Django id is taken here \('admin' 1 → 6\)/m);
    const rows = query<{ id: number; username: string }>(dataDir, 'SELECT id, username FROM auth_user ORDER BY id');
    assert.deepEqual(rows.map((u) => `${u.id}:${u.username}`), ['1:boss', '2:mario', '3:luigi', '5:Peach', '6:admin']);
    const [adminKey] = query<{ user_id: number }>(dataDir, 'SELECT user_id FROM authtoken_token WHERE key_hash = ?', crypto.createHash('sha256').update(fixture.keys[1]!.key).digest('hex'));
    assert.equal(adminKey!.user_id, 6);
    const again = await importDjango(dataDir, [file, '--renumber']);
    assert.match(again.stdout, /^0 changes\.$/m);
  });

  test('a value that cannot be imported (a price not in whole cents) stops it, naming the row', async () => {
    const { dataDir } = await imported();
    const before = dump(dataDir);
    const other = courseFixture();
    other.menu[2]!.price = '8.995';
    const r = await importDjango(dataDir, [djangoSqlite(other), '--menu-table', 'LittleLemonAPI_menuitem']);
    assertFails(r, 1, /^Error: LittleLemonAPI_menuitem id 7: price is not a whole number of cents: 8\.995; nothing was imported$/);
    assert.equal(dump(dataDir), before);
  });
});

describe('import-django: the command line and its sources', { concurrency: 4 }, () => {
  test('usage errors exit 2', async () => {
    const dataDir = freshDataDir();
    assertFails(await manage(dataDir, ['import-django']), 2, /missing argument: SOURCE/);
    assertFails(await manage(dataDir, ['import-django', 'x.sqlite3', '--menu-columns', 'title=name']), 2, /--menu-columns needs --menu-table/);
    assertFails(await manage(dataDir, ['import-django', 'x.sqlite3', '--menu-table', 'm', '--menu-columns', 'colour=red']), 2, /unknown field "colour"/);
  });

  test('a source that cannot be read: one line, exit 1', async () => {
    const dataDir = freshDataDir();
    assertFails(await manage(dataDir, ['import-django', path.join(dataDir, 'missing.sqlite3')]), 1, /no such file: .*missing\.sqlite3$/);
    const notDb = path.join(dataDir, 'notes.txt');
    fs.writeFileSync(notDb, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    assertFails(await manage(dataDir, ['import-django', notDb]), 1, /notes\.txt is not a readable SQLite database/);
    assertFails(await manage(dataDir, ['import-django', 'mysql://root:hunter2@localhost/shop']), 1, /give a SQLite file or a postgres:\/\/ URL/);
    const empty = path.join(dataDir, 'empty.sqlite3');
    new Database(empty).close();
    assertFails(await manage(dataDir, ['import-django', empty]), 1, /has no auth_user table: is it a Django database\?/);
    // This service's own database is not Django's.
    assert.equal((await manage(dataDir, ['migrate'])).code, 0);
    assertFails(await manage(dataDir, ['import-django', path.join(dataDir, 'db.sqlite3')]), 1, /is a database of this service, not of Django/);
  });

  test('--menu-table names a missing table or a column is missing: says which, suggests --menu-columns', async () => {
    const dataDir = freshDataDir();
    const file = djangoSqlite(courseFixture());
    assertFails(await manage(dataDir, ['import-django', file, '--menu-table', 'shop_dish']), 1, /the Django database has no table "shop_dish"/);
    assertFails(
      await manage(dataDir, ['import-django', file, '--menu-table', 'LittleLemonAPI_menuitem', '--menu-columns', 'price=cost']),
      1,
      /has no column "cost" for price \(its columns: id, title, price, inventory, category_id\); map it with --menu-columns price=COLUMN/,
    );
  });

  test('--menu-columns maps other column names; password hashes this service cannot check are reported', async () => {
    const dataDir = freshDataDir();
    const file = path.join(freshDataDir(), 'shop.sqlite3');
    const db = new Database(file);
    for (const ddl of SQLITE_DDL.slice(0, 4)) db.exec(ddl);
    db.exec('CREATE TABLE "shop_dish" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(255) NOT NULL, "cost" decimal NOT NULL, "stock" smallint NOT NULL)');
    db.prepare('INSERT INTO shop_dish (id, name, cost, stock) VALUES (?, ?, ?, ?)').run(3, 'Pizza', '9.90', 4);
    // Hashes this service cannot check: reported by hasher, never shown.
    const hashes = ['bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', 'md5$salt$0123456789abcdef0123456789abcdef', 'hunter2'];
    hashes.forEach((hash, i) => {
      db.prepare(
        "INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, NULL, 0, ?, '', '', 0, 1, '2020-01-01 00:00:00', '')",
      ).run(i + 1, hash, `old${i}`);
    });
    db.prepare("INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (4, '!unusable', NULL, 0, 'nopass', '', '', 0, 1, '2020-01-01 00:00:00', '')").run();
    db.close();
    const r = await importDjango(dataDir, [file, '--menu-table', 'shop_dish', '--menu-columns', 'title=name,price=cost,inventory=stock'], {}, hashes);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Note: auth_user: 3 new users have a password hash this service cannot check \(bcrypt_sha256: 1, md5: 1, not a Django hash: 1\); they cannot log in until/m);
    assert.match(r.stdout, /^Note: authtoken_token \(rest_framework\.authtoken is not installed there\): not in the Django database/m);
    assert.deepEqual(query(dataDir, 'SELECT id, title, price_cents, inventory FROM menu_items'), [{ id: 3, title: 'Pizza', price_cents: 990, inventory: 4 }]);
  });

  test('a large table: a progress line on stderr every 1000 rows, nothing secret', async () => {
    const fixture = courseFixture();
    const file = djangoSqlite(fixture);
    const db = new Database(file);
    const hash = fixture.users[2]!.password;
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 2595)
       INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name)
       SELECT i, ?, NULL, 0, 'user' || i, '', '', 0, 1, '2024-01-01 00:00:00.' || printf('%06d', i), '' FROM n`,
    ).run(hash);
    db.close();
    const dataDir = freshDataDir();
    const r = await importDjango(dataDir, [file], {}, secretsOf(fixture));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'auth_user: 1000 of 2500 rows\nauth_user: 2000 of 2500 rows\nauth_user: 2500 of 2500 rows\n');
    assert.deepEqual(counts(r, 'auth_user'), [2500, 0, 0, 0, 0]);
  });
});

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** What Django's migrations create on PostgreSQL, for the tables read. */
const POSTGRES_DDL = [
  'CREATE TABLE "auth_group" ("id" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "name" varchar(150) NOT NULL UNIQUE)',
  'CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" boolean NOT NULL, "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL)',
  'CREATE TABLE "auth_user_groups" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "user_id" integer NOT NULL, "group_id" integer NOT NULL)',
  'ALTER TABLE "auth_user_groups" ADD CONSTRAINT "auth_user_groups_user_id_group_id_94350c0c_uniq" UNIQUE ("user_id", "group_id")',
  'ALTER TABLE "auth_user_groups" ADD CONSTRAINT "auth_user_groups_user_id_6a12ed8b_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED',
  'ALTER TABLE "auth_user_groups" ADD CONSTRAINT "auth_user_groups_group_id_97559544_fk_auth_group_id" FOREIGN KEY ("group_id") REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED',
  'CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" integer NOT NULL UNIQUE)',
  'ALTER TABLE "authtoken_token" ADD CONSTRAINT "authtoken_token_user_id_35299eff_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED',
  'CREATE TABLE "token_blacklist_outstandingtoken" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "token" text NOT NULL, "created_at" timestamp with time zone NULL, "expires_at" timestamp with time zone NOT NULL, "user_id" integer NULL, "jti" varchar(255) NOT NULL UNIQUE)',
  'ALTER TABLE "token_blacklist_outstandingtoken" ADD CONSTRAINT "token_blacklist_outs_user_id_83bc629a_fk_auth_user" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED',
  'CREATE TABLE "token_blacklist_blacklistedtoken" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "blacklisted_at" timestamp with time zone NOT NULL, "token_id" bigint NOT NULL UNIQUE)',
  'ALTER TABLE "token_blacklist_blacklistedtoken" ADD CONSTRAINT "token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk" FOREIGN KEY ("token_id") REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED',
  'CREATE TABLE "LittleLemonAPI_menuitem" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "title" varchar(255) NOT NULL, "price" numeric(6, 2) NOT NULL, "inventory" smallint NOT NULL)',
];

async function djangoPostgres(db: Knex, fixture: Fixture): Promise<void> {
  for (const ddl of POSTGRES_DDL) await db.raw(ddl);
  const t = (v: Time | null) => (v === null ? null : pgText(v));
  await db('auth_user').insert(fixture.users.map((u) => ({ ...u, date_joined: t(u.date_joined), last_login: t(u.last_login) })));
  await db('auth_group').insert(fixture.groups);
  await db('auth_user_groups').insert(fixture.memberships);
  await db('authtoken_token').insert(fixture.keys.map((k) => ({ ...k, created: t(k.created) })));
  await db('token_blacklist_outstandingtoken').insert(fixture.outstanding.map((o) => ({ ...o, token: 'eyJ.the.token', created_at: t(o.created_at), expires_at: t(o.expires_at) })));
  await db('token_blacklist_blacklistedtoken').insert(fixture.blacklisted.map((x) => ({ ...x, blacklisted_at: t(x.blacklisted_at) })));
  await db('LittleLemonAPI_menuitem').insert(fixture.menu);
}

/** The URL with `search_path` set to `schema`. */
function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

describe('import-django: from PostgreSQL (TEST_DATABASE_URL)', { skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set' }, () => {
  const pgUrl = process.env.TEST_DATABASE_URL ?? '';
  const suffix = crypto.randomBytes(5).toString('hex');
  const djangoSchema = `django_${suffix}`;
  const ourSchema = `ours_${suffix}`;
  const fixture = courseFixture();
  const dataDir = freshDataDir();
  let admin: Knex;
  let running: Running | undefined;
  // Our database in PostgreSQL too: the import writes through the same dialect the server uses.
  const ourUrl = () => inSchema(pgUrl, ourSchema);
  const args = () => [inSchema(pgUrl, djangoSchema), '--menu-table', 'LittleLemonAPI_menuitem'];

  before(async () => {
    admin = knexFactory({ client: 'pg', connection: pgUrl });
    await admin.raw(`CREATE SCHEMA ${djangoSchema}`);
    await admin.raw(`CREATE SCHEMA ${ourSchema}`);
    const django = knexFactory({ client: 'pg', connection: inSchema(pgUrl, djangoSchema) });
    try {
      // A session in another time zone: timestamptz literals carry their offset anyway.
      await django.raw("SET TIME ZONE 'Asia/Kolkata'");
      await djangoPostgres(django, fixture);
    } finally {
      await django.destroy();
    }
  });

  after(async () => {
    await stopApp(running);
    await admin.raw(`DROP SCHEMA IF EXISTS ${djangoSchema} CASCADE`);
    await admin.raw(`DROP SCHEMA IF EXISTS ${ourSchema} CASCADE`);
    await admin.destroy();
  });

  test('imports, then the service (on PostgreSQL) accepts the passwords, keys, groups, JWTs and menu; a re-run changes nothing', async () => {
    const env = { DATABASE_URL: ourUrl() };
    const dry = await importDjango(dataDir, ['--dry-run', ...args()], env, secretsOf(fixture));
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Dry run \(nothing is written\): import from PostgreSQL database /);
    assert.match(dry.stdout, /^Dry run: 18 changes would be made; nothing was written\.$/m);

    const r = await importDjango(dataDir, args(), env, secretsOf(fixture));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(counts(r, 'auth_user'), [4, 0, 0, 0, 0]);
    assert.deepEqual(counts(r, 'token_blacklist_outstandingtoken'), [3, 0, 0, 0, 1]);
    assert.deepEqual(counts(r, 'token_blacklist_blacklistedtoken'), [1, 0, 0, 0, 1]);
    assert.match(r.stdout, /^18 changes\.$/m);

    const ours = knexFactory({ client: 'pg', connection: ourUrl() });
    try {
      const users = (await ours('auth_user').orderBy('id').select('id', 'username', 'password', 'date_joined', 'last_login', 'is_active')) as Record<string, unknown>[];
      assert.deepEqual(
        users.map((u) => [u.id, u.username, u.password, Number(u.date_joined), u.last_login === null ? null : Number(u.last_login), u.is_active]),
        fixture.users.map((u) => [u.id, u.username, u.password, u.date_joined.ms, u.last_login?.ms ?? null, u.is_active]),
      );
      // Registration after the import (through the data layer, as the service registers): the
      // id sequence moved past the Django ids.
      const data = openDatabase(ourUrl());
      try {
        const next = await data.users.create({ username: 'after', password: '!', email: '', dateJoined: Date.now() });
        assert.equal(next.id, 6);
        await data.users.delete(next.id);
      } finally {
        await data.destroy();
      }
    } finally {
      await ours.destroy();
    }

    running = await startApp({ DATA_DIR: dataDir, DATABASE_URL: ourUrl() });
    await assertServiceSeesDjango(running.url, fixture);

    const again = await importDjango(dataDir, args(), env, secretsOf(fixture));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 changes\.$/m);
  });

  test('a clash leaves the PostgreSQL database untouched', async () => {
    const other = courseFixture();
    other.users[1]!.date_joined = at('2025-01-01T00:00:00.000Z');
    const schema = `django_clash_${suffix}`;
    await admin.raw(`CREATE SCHEMA ${schema}`);
    const django = knexFactory({ client: 'pg', connection: inSchema(pgUrl, schema) });
    try {
      await djangoPostgres(django, other);
    } finally {
      await django.destroy();
    }
    const ours = knexFactory({ client: 'pg', connection: ourUrl() });
    const snapshot = async () => JSON.stringify(await Promise.all(OUR_TABLES.map((t) => ours(t).orderBy('id').select('*'))));
    try {
      const before = await snapshot();
      const r = await importDjango(dataDir, [inSchema(pgUrl, schema)], { DATABASE_URL: ourUrl() }, secretsOf(other));
      assertFails(r, 1, /the Django user 'mario' \(id 2\) clashes with 'mario' \(id 2\) here: another account/);
      assert.equal(await snapshot(), before);
    } finally {
      await ours.destroy();
      await admin.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
