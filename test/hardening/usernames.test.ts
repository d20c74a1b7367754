/**
 * Usernames that pass for others (#14). "admin" followed by an invisible mark (U+034F, U+FE0F)
 * registered and displayed as "admin"; and whether "ädminx" was taken after "Ädminx" depended
 * on the database (SQLite's lower() folds ASCII only, PostgreSQL's all of Unicode). Now one
 * rule and one comparison key, computed in code (src/username.ts), decide on both databases:
 * run this file with and without TEST_DATABASE_URL, the answers are the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrationSource } from '../../src/data/migrations';
import { UsernameTaken } from '../../src/data/users';
import { startServer, type TestServer } from '../helpers/server';
import { NO_THROTTLES, ownDatabase, tempDir, type OwnDatabase } from './lib';

const DATABASE = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite';
const INVALID = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const TAKEN = 'A user with that username already exists.';
const PASSWORD = 'lemon-pass-123';

/** Names that display as "admin" (or nearly), each with what hides in it. */
const LOOKALIKES: Record<string, string> = {
  'admin\u034f': 'a combining grapheme joiner (a default-ignorable mark)',
  'admin\ufe0f': 'a variation selector',
  '\u0301admin': 'a combining mark first',
  'ad\u200bmin': 'a zero-width space',
  'admin\u{E0100}': 'a supplementary variation selector',
  '\u3164admin': 'a Hangul filler (a default-ignorable letter)',
};

let server: TestServer;

before(async () => {
  server = await startServer({ THROTTLE_RATES: NO_THROTTLES });
});
after(() => server.close());

const register = (username: string) => server.request('POST', '/auth/users/', { json: { username, password: 'Zesty-lemon-tart-42' } });

describe(`usernames (${DATABASE})`, () => {
  test('names with invisible marks or a leading combining mark are 400 at registration and at set_username', async () => {
    await server.createUser({ username: 'renamer' });
    const key = await server.tokenFor('renamer');
    const users = (await server.app.services.db.knex('auth_user').count({ n: '*' }))[0]!.n;
    const wrong: string[] = [];
    for (const [name, what] of Object.entries(LOOKALIKES)) {
      const s = await server.request('POST', '/auth/users/set_username/', { token: key, json: { new_username: name, current_password: PASSWORD } });
      if (s.status !== 400 || JSON.stringify(s.body) !== JSON.stringify({ new_username: [INVALID] })) wrong.push(`set_username, ${what}: ${s.status} ${s.text}`);
      const r = await register(name);
      if (r.status !== 400 || JSON.stringify(r.body) !== JSON.stringify({ username: [INVALID] })) wrong.push(`register, ${what}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal((await server.app.services.db.knex('auth_user').count({ n: '*' }))[0]!.n, users, 'nobody was created');
    assert.ok(await server.app.services.db.knex('auth_user').where({ username: 'renamer' }).first(), 'nobody was renamed');
  });

  test('"ädminx" after "Ädminx" is taken; "ADMİN" after "admin" is not (it lower-cases with a combining dot), and "admi̇n" after it is', async () => {
    assert.equal((await register('Ädminx')).status, 201);
    for (const name of ['ädminx', 'ÄDMINX', 'äDMinx']) {
      const r = await register(name);
      assert.deepEqual([name, r.status, r.body], [name, 400, { username: [TAKEN] }]);
    }
    assert.equal((await register('admin')).status, 201);
    const dotted = await register('ADMİN');
    assert.deepEqual([dotted.status, dotted.body.username], [201, 'ADMİN']);
    const combining = await register('admi\u0307n');
    assert.deepEqual([combining.status, combining.body], [400, { username: [TAKEN] }]);

    await server.createUser({ username: 'mover' });
    const key = await server.tokenFor('mover');
    const s = await server.request('POST', '/auth/users/set_username/', { token: key, json: { new_username: 'äDMINX', current_password: PASSWORD } });
    assert.deepEqual([s.status, s.body], [400, { new_username: [TAKEN] }]);
    // compatibility forms are the same name too (NFKC): full-width letters
    const wide = await register('ＡＤＭＩＮ');
    assert.deepEqual([wide.status, wide.body], [400, { username: [TAKEN] }]);
  });

  test('names of other scripts with inner combining marks still register, in NFC', async () => {
    const hindi = await register('हिन्दी');
    assert.deepEqual([hindi.status, hindi.body.username], [201, 'हिन्दी']);
    const jose = await register('Jose\u0301');
    assert.deepEqual([jose.status, jose.body.username], [201, 'Jos\u00e9']);
    const shouted = await register('JOSÉ');
    assert.deepEqual([shouted.status, shouted.body], [400, { username: [TAKEN] }]);
  });
});

describe(`the migration to username keys (${DATABASE})`, () => {
  const databases: OwnDatabase[] = [];
  after(async () => {
    for (const d of databases) await d.drop();
  });

  /** A database at the first migration, holding users written as that schema allowed. */
  async function oldDatabase(usernames: string[]): Promise<OwnDatabase> {
    const database = await ownDatabase(tempDir('usernames'));
    databases.push(database);
    await database.db.migrate.up({ migrationSource, name: '0001_initial' });
    for (const username of usernames) await database.db('auth_user').insert({ username, password: '!', email: '', date_joined: Date.now() });
    return database;
  }

  test('fills username_key from code for existing users; the key is then what is unique', async () => {
    const { db, data } = await oldDatabase(['Alice', 'ädminx', 'ADMİN', 'José']);
    await db.migrate.latest({ migrationSource });
    const keys = (await db('auth_user').orderBy('id').select('username_key')).map((r: { username_key: string }) => r.username_key);
    assert.deepEqual(keys, ['alice', 'ädminx', 'admi\u0307n', 'josé']);
    await assert.rejects(data.users.create({ username: 'ÄDMINX', password: '!', email: '', dateJoined: Date.now() }), UsernameTaken, 'the key is unique');
    await data.users.create({ username: 'admin', password: '!', email: '', dateJoined: Date.now() });
  });

  test('refuses to run over two users whose names are the same whatever their case, and changes nothing', async () => {
    // "ﬁx" (a ligature) and "FIX" pass lower(username) on both databases; NFKC makes them one name.
    const { db } = await oldDatabase(['ﬁx', 'FIX', 'other']);
    await assert.rejects(db.migrate.latest({ migrationSource }), /'ﬁx' \(id 1\) and 'FIX' \(id 2\).*rename/);
    assert.equal(await db.schema.hasColumn('auth_user', 'username_key'), false);
    const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
    assert.equal(pending.length, 2, '0002 is still to run (and 0003 after it)');
  });
});
