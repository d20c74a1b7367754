/**
 * src/data/keys.ts: DRF keys by their hash, through the repository's public methods, on SQLite
 * and (with TEST_DATABASE_URL) PostgreSQL. The prepared read gives the key's row with the same
 * principal columns as the users repository's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserFields } from '../../../src/data/users';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const fields = (username: string, extra: Partial<UserFields> = {}): UserFields => ({ username, email: `${username}@example.com`, password: '!', dateJoined: 1, ...extra });
const hash = (c: string) => c.repeat(64);

for (const { kind, skip } of KINDS) {
  describe(`KeysRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(() => t?.close());

    test("create stores the hash; findWithPrincipal gives the key's id, hash, last use and its user's principal columns", async () => {
      const user = await t.db.users.create(fields('keyholder', { isActive: false, isStaff: true }));
      const key = await t.db.keys.create({ keyHash: hash('1'), userId: user.id, created: 1234 });
      assert.deepEqual([key.user_id, key.key_hash, key.created, key.last_used], [user.id, hash('1'), 1234, null]);
      const found = await t.db.keys.findWithPrincipal(hash('1'));
      assert.deepEqual({ ...found }, { token_id: key.id, key_hash: hash('1'), token_last_used: null, ...(await t.db.users.findPrincipal(user.id)) });
      assert.equal(found?.is_active, false);
      assert.equal(found?.is_staff, true);
      assert.equal(await t.db.keys.findWithPrincipal(hash('2')), undefined);
    });

    test('touch records the last use', async () => {
      const user = await t.db.users.create(fields('toucher'));
      const key = await t.db.keys.create({ keyHash: hash('3'), userId: user.id, created: 1 });
      await t.db.keys.touch(key.id, 99_000);
      assert.equal((await t.db.keys.findWithPrincipal(hash('3')))?.token_last_used, 99_000);
    });

    test('delete removes one key and says whether it was there; deleteAllFor removes every key of one user only', async () => {
      const owner = await t.db.users.create(fields('owner'));
      const other = await t.db.users.create(fields('other'));
      const first = await t.db.keys.create({ keyHash: hash('4'), userId: owner.id, created: 1 });
      await t.db.keys.create({ keyHash: hash('5'), userId: owner.id, created: 1 });
      await t.db.keys.create({ keyHash: hash('6'), userId: owner.id, created: 1 });
      await t.db.keys.create({ keyHash: hash('7'), userId: other.id, created: 1 });
      assert.equal(await t.db.keys.delete(first.id), true);
      assert.equal(await t.db.keys.delete(first.id), false);
      assert.equal(await t.db.keys.findWithPrincipal(hash('4')), undefined);
      assert.equal(await t.db.keys.deleteAllFor(owner.id), 2);
      assert.equal(await t.db.keys.findWithPrincipal(hash('5')), undefined);
      assert.ok(await t.db.keys.findWithPrincipal(hash('7')), "the other user's key stays");
    });

    test('a key is unique: a second row with the same hash is refused', async () => {
      const user = await t.db.users.create(fields('twice'));
      await t.db.keys.create({ keyHash: hash('8'), userId: user.id, created: 1 });
      await assert.rejects(t.db.keys.create({ keyHash: hash('8'), userId: user.id, created: 2 }));
    });
  });
}
