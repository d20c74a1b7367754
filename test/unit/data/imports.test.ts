/**
 * src/data/imports.ts: the Django import's bulk reads and writes, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: rows keep the ids they are given, and new rows after them
 * get the next ids.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

for (const { kind, skip } of KINDS) {
  describe(`ImportRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(() => t?.close());

    test('users inserted with their ids are read back with the columns compared; a user created afterwards gets the next id', async () => {
      // More than one INSERT's worth, ids with gaps.
      const users = Array.from({ length: 60 }, (_, i) => ({ id: 10 + 2 * i, username: `Imported${i}`, email: `i${i}@example.com`, password: 'pbkdf2_sha256$x', isStaff: i === 0, dateJoined: 1000 + i, lastLogin: i === 1 ? 5 : null }));
      await t.db.transaction(async (tx) => {
        await tx.imports.insertUsers(users);
        await tx.imports.advanceIdSequence('auth_user');
      });
      const read = await t.db.imports.users();
      assert.equal(read.length, 60);
      const first = read.find((u) => u.id === 10);
      assert.deepEqual({ ...first }, { id: 10, username: 'Imported0', username_key: 'imported0', password: 'pbkdf2_sha256$x', email: 'i0@example.com', first_name: '', last_name: '', is_staff: true, is_superuser: false, is_active: true, date_joined: 1000, last_login: null });
      assert.equal(read.find((u) => u.id === 12)?.last_login, 5);
      assert.equal((await t.db.users.create({ username: 'after', email: '', password: '!', dateJoined: 1 })).id, 10 + 2 * 59 + 1);
    });

    test('menu items keep their ids, and the next one created follows them', async () => {
      await t.db.imports.insertMenuItems([{ id: 40, title: 'Imported dish', price_cents: 250, inventory: 2 }]);
      await t.db.imports.advanceIdSequence('menu_items');
      assert.deepEqual((await t.db.imports.menuItems([40, 41])).map((i) => ({ ...i })), [{ id: 40, title: 'Imported dish', price_cents: 250, inventory: 2 }]);
      assert.equal((await t.db.menu.create({ title: 'New dish', price_cents: 1, inventory: 1 })).id, 41);
    });

    test('groups, memberships, keys, outstanding and blacklisted tokens: inserted in bulk, read back by what the import matches on', async () => {
      const [user] = await t.db.imports.users();
      const group = await t.db.users.createGroup('Imported group');
      await t.db.imports.insertMemberships([{ user_id: user!.id, group_id: group.id }]);
      assert.ok((await t.db.imports.memberships()).some((m) => m.user_id === user!.id && m.group_id === group.id));
      assert.ok((await t.db.imports.groups()).some((g) => g.name === 'Imported group'));

      await t.db.imports.insertKeys([{ key_hash: 'c'.repeat(64), user_id: user!.id, created: 7 }]);
      const [key] = await t.db.imports.keysByHash(['c'.repeat(64), 'd'.repeat(64)]);
      assert.deepEqual([key?.user_id, key?.created], [user!.id, 7]);
      await t.db.imports.setKeyCreated(key!.id, 8);
      assert.equal((await t.db.imports.keysByHash(['c'.repeat(64)]))[0]?.created, 8);

      await t.db.imports.insertOutstanding([{ userId: user!.id, jti: 'imported-jti', family: 'imported-jti', createdAt: 1, expiresAt: 2 }]);
      const [outstanding] = await t.db.imports.outstandingByJti(['imported-jti']);
      await t.db.imports.updateOutstanding(outstanding!.id, { expires_at: 3 });
      assert.equal((await t.db.imports.outstandingByJti(['imported-jti']))[0]?.expires_at, 3);
      assert.deepEqual([...(await t.db.imports.blacklistedAmong([outstanding!.id]))], []);
      await t.db.imports.insertBlacklisted([{ token_id: outstanding!.id, blacklisted_at: 4 }]);
      assert.deepEqual([...(await t.db.imports.blacklistedAmong([outstanding!.id]))], [outstanding!.id]);
    });
  });
}
