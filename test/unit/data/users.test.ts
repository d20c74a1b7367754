/**
 * src/data/users.ts: users, groups and memberships through the repository's public methods,
 * on SQLite and (with TEST_DATABASE_URL) PostgreSQL: usernames unique by their key, the
 * unique violations translated, the prepared reads giving the model queries' rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupNameTaken, UsernameTaken, type UserFields } from '../../../src/data/users';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const fields = (username: string, extra: Partial<UserFields> = {}): UserFields => ({
  username,
  email: `${username}@example.com`,
  password: 'argon2$fake-hash',
  dateJoined: 1_700_000_000_000,
  ...extra,
});

/** A row as plain data (model instances and driver rows compare equal when their columns do). */
const plain = <T extends object>(row: T | undefined): T | undefined => (row === undefined ? undefined : { ...row });

for (const { kind, skip } of KINDS) {
  describe(`UsersRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(() => t?.close());

    test('create stores every column (the username key included, flags as booleans) and returns the row with its id', async () => {
      const row = await t.db.users.create(fields('Créateur', { isStaff: true, firstName: 'Ada', lastLogin: 5 }));
      assert.ok(Number.isInteger(row.id) && row.id > 0);
      assert.deepEqual(plain(await t.db.users.findByUsername('Créateur')), {
        id: row.id,
        username: 'Créateur',
        username_key: 'créateur',
        email: 'Créateur@example.com',
        password: 'argon2$fake-hash',
        first_name: 'Ada',
        last_name: '',
        is_staff: true,
        is_superuser: false,
        is_active: true,
        last_login: 5,
        date_joined: 1_700_000_000_000,
        tokens_valid_after: 0,
      });
    });

    test('the prepared reads (by id, principal by id) give the same rows as the model query', async () => {
      const { id } = await t.db.users.create(fields('same_rows', { isActive: false, isSuperuser: true }));
      const viaModel = plain(await t.db.users.findByUsername('same_rows'));
      assert.deepEqual(plain(await t.db.users.findById(id)), viaModel);
      const { id: _, username, email, is_active, is_staff, is_superuser, tokens_valid_after } = viaModel!;
      assert.deepEqual(plain(await t.db.users.findPrincipal(id)), { id, username, email, is_active, is_staff, is_superuser, tokens_valid_after });
      assert.equal(await t.db.users.findById(987654), undefined);
      assert.equal(await t.db.users.findPrincipal(987654), undefined);
    });

    test('a username taken whatever its letter case or compatibility form is refused with UsernameTaken, and nothing is written', async () => {
      await t.db.users.create(fields('Alice'));
      await t.db.users.create(fields('ﬁne'));
      const before = await t.db.models.User.query().resultSize();
      for (const name of ['alice', 'ALICE', 'Alice', 'fine', 'FINE']) {
        await assert.rejects(t.db.users.create(fields(name)), UsernameTaken, name);
      }
      assert.equal(await t.db.models.User.query().resultSize(), before);
      assert.equal(await t.db.users.findByUsername('alice'), undefined, 'lookups by name are exact');
    });

    test('usernameTaken compares keys; a user renaming themself is in the way only of their exact own name', async () => {
      const bob = await t.db.users.create(fields('Bob'));
      assert.equal(await t.db.users.usernameTaken('bOB'), true);
      assert.equal(await t.db.users.usernameTaken('bobby'), false);
      assert.equal(await t.db.users.usernameTaken('BOB', bob), false, 'changing the case of my own name');
      assert.equal(await t.db.users.usernameTaken('Bob', bob), true, 'my name, unchanged');
      assert.equal(await t.db.users.usernameTaken('alice', bob), true, "someone else's");
    });

    test('rename writes the name and its key; a taken name raises UsernameTaken and changes nothing', async () => {
      const carol = await t.db.users.create(fields('carol'));
      await t.db.users.create(fields('dave'));
      await t.db.users.rename(carol.id, 'Caroline');
      assert.deepEqual([(await t.db.users.findById(carol.id))?.username, (await t.db.users.findById(carol.id))?.username_key], ['Caroline', 'caroline']);
      await assert.rejects(t.db.users.rename(carol.id, 'DAVE'), UsernameTaken);
      assert.equal((await t.db.users.findById(carol.id))?.username, 'Caroline');
    });

    test('update sets the columns given and says whether the user exists', async () => {
      const erin = await t.db.users.create(fields('erin'));
      assert.equal(await t.db.users.update(erin.id, { email: 'new@example.com', is_active: false }), true);
      const row = await t.db.users.findById(erin.id);
      assert.deepEqual([row?.email, row?.is_active], ['new@example.com', false]);
      assert.equal(await t.db.users.update(erin.id, {}), true);
      assert.equal(await t.db.users.update(987654, { email: 'x@example.com' }), false);
      assert.equal(await t.db.users.update(987654, {}), false);
    });

    test('setPassword with ifPasswordIs changes the hash only while the stored one is that hash', async () => {
      const frank = await t.db.users.create(fields('frank'));
      assert.equal(await t.db.users.setPassword(frank.id, 'second', { ifPasswordIs: 'not-the-hash' }), false);
      assert.equal((await t.db.users.findById(frank.id))?.password, 'argon2$fake-hash');
      assert.equal(await t.db.users.setPassword(frank.id, 'second', { ifPasswordIs: 'argon2$fake-hash', lastLogin: 42 }), true);
      assert.deepEqual([(await t.db.users.findById(frank.id))?.password, (await t.db.users.findById(frank.id))?.last_login], ['second', 42]);
      assert.equal(await t.db.users.setPassword(frank.id, 'third', { ifPasswordIs: 'argon2$fake-hash' }), false, 'the same confirmation twice');
      assert.equal(await t.db.users.setPassword(frank.id, 'third'), true);
      assert.equal(await t.db.users.setPassword(987654, 'x'), false);
    });

    test('revokeTokens moves tokens_valid_after just past now, and past its previous value when called again in the same millisecond', async () => {
      const gina = await t.db.users.create(fields('gina'));
      assert.equal(await t.db.users.tokensValidAfter(gina.id), 0);
      await t.db.users.revokeTokens(gina.id, 1000);
      assert.equal(await t.db.users.tokensValidAfter(gina.id), 1001);
      await t.db.users.revokeTokens(gina.id, 1000);
      assert.equal(await t.db.users.tokensValidAfter(gina.id), 1002);
      await t.db.users.revokeTokens(gina.id, 5000);
      assert.equal(await t.db.users.tokensValidAfter(gina.id), 5001);
      assert.equal(await t.db.users.tokensValidAfter(987654), 0);
    });

    test('findByEmail matches whatever the letter case, by id; list gives email and username, of everyone or of one', async () => {
      const a = await t.db.users.create(fields('mail_a', { email: 'Shared@Example.com' }));
      const b = await t.db.users.create(fields('mail_b', { email: 'shared@example.COM' }));
      assert.deepEqual((await t.db.users.findByEmail('SHARED@example.com')).map((u) => u.id), [a.id, b.id]);
      assert.deepEqual((await t.db.users.list({ id: b.id })).map(plain), [{ email: 'shared@example.COM', username: 'mail_b' }]);
      const everyone = await t.db.users.list();
      assert.equal(everyone.length, await t.db.models.User.query().resultSize());
      assert.ok(everyone.some((u) => u.username === 'mail_a'));
    });

    test('exists and delete: a deleted user is gone, with their memberships and keys; deleting again says false', async () => {
      const gone = await t.db.users.create(fields('gone'));
      const manager = await t.db.users.findGroup('Manager');
      await t.db.users.addMember(gone.id, manager!.id);
      await t.db.keys.create({ keyHash: 'a'.repeat(64), userId: gone.id, created: 1 });
      assert.equal(await t.db.users.exists(gone.id), true);
      assert.equal(await t.db.users.delete(gone.id), true);
      assert.equal(await t.db.users.exists(gone.id), false);
      assert.equal((await t.db.users.members(manager!.id)).some((m) => m.id === gone.id), false);
      assert.equal(await t.db.keys.findWithPrincipal('a'.repeat(64)), undefined);
      assert.equal(await t.db.users.delete(gone.id), false);
    });

    test('groups: the migrated ones exist, ensureGroups adds only the missing, createGroup refuses a taken name with GroupNameTaken', async () => {
      assert.ok(await t.db.users.findGroup('Manager'));
      assert.ok(await t.db.users.findGroup('Delivery crew'));
      assert.equal(await t.db.users.findGroup('manager'), undefined, 'names are exact');
      await t.db.users.ensureGroups(['Manager', 'Waiters']);
      await t.db.users.ensureGroups(['Waiters']);
      assert.equal(await t.db.models.Group.query().where({ name: 'Waiters' }).resultSize(), 1);
      const cooks = await t.db.users.createGroup('Cooks');
      assert.deepEqual(plain(await t.db.users.findGroup('Cooks')), { id: cooks.id, name: 'Cooks' });
      await assert.rejects(t.db.users.createGroup('Cooks'), GroupNameTaken);
    });

    test('memberships: addMember and removeMember say whether they changed anything; members and groupNames read them back', async () => {
      const group = await t.db.users.createGroup('Bakers');
      const first = await t.db.users.create(fields('baker_1'));
      const second = await t.db.users.create(fields('baker_2', { email: 'b2@example.com' }));
      assert.equal(await t.db.users.addMember(second.id, group.id), true);
      assert.equal(await t.db.users.addMember(first.id, group.id), true);
      assert.equal(await t.db.users.addMember(first.id, group.id), false, 'already a member');
      assert.deepEqual((await t.db.users.members(group.id)).map(plain), [
        { id: first.id, username: 'baker_1', email: 'baker_1@example.com' },
        { id: second.id, username: 'baker_2', email: 'b2@example.com' },
      ]);
      assert.deepEqual([...(await t.db.users.groupNames(first.id))], ['Bakers']);
      assert.equal(await t.db.users.removeMember(first.id, group.id), true);
      assert.equal(await t.db.users.removeMember(first.id, group.id), false);
      assert.deepEqual([...(await t.db.users.groupNames(first.id))], []);
    });

    test('listWithGroups gives every user with boolean flags and their group names sorted', async () => {
      const listed = await t.db.users.create(fields('listed', { isStaff: true }));
      for (const name of ['Zeta', 'Alpha']) await t.db.users.addMember(listed.id, (await t.db.users.createGroup(name)).id);
      const all = await t.db.users.listWithGroups();
      assert.deepEqual(all.map((u) => u.id), [...all.map((u) => u.id)].sort((a, b) => a - b), 'by id');
      assert.deepEqual(
        all.find((u) => u.id === listed.id),
        { id: listed.id, username: 'listed', email: 'listed@example.com', is_staff: true, is_superuser: false, is_active: true, groups: ['Alpha', 'Zeta'] },
      );
    });

    test('a unique violation inside a transaction raises UsernameTaken and rolls the transaction back', async () => {
      await t.db.users.create(fields('existing'));
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await tx.users.create(fields('in_the_transaction'));
          await tx.users.create(fields('EXISTING'));
        }),
        UsernameTaken,
      );
      assert.equal(await t.db.users.findByUsername('in_the_transaction'), undefined);
    });
  });
}
