/**
 * src/data/audit.ts: the append-only audit log through its repository, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: entries read back as written (detail parsed, long names cut),
 * newest first; filters by user (about or by), kind and time; prune by age; and an entry
 * written in a transaction that rolls back is gone with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const PAGE = { limit: 100, offset: 0 };

for (const { kind, skip } of KINDS) {
  describe(`AuditRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(() => t?.close());

    test('record then list: every column as written, detail parsed, names and addresses cut to their columns', async () => {
      await t.db.audit.record({ kind: 'login', at: 1000, actorId: 7, actorUsername: 'ann', userId: 7, username: 'ann', address: '10.0.0.1', detail: { method: 'token', prefix: 'abcd1234' } });
      await t.db.audit.record({ kind: 'login_failed', at: 2000, username: 'é'.repeat(400), address: 'x'.repeat(100) });
      const [failed, login] = await t.db.audit.list({}, PAGE);
      assert.deepEqual({ ...login, id: 0 }, { id: 0, at: 1000, kind: 'login', actor_id: 7, actor_username: 'ann', user_id: 7, username: 'ann', address: '10.0.0.1', detail: { method: 'token', prefix: 'abcd1234' } });
      assert.equal(failed.username, 'é'.repeat(150));
      assert.equal(failed.address?.length, 64);
      assert.deepEqual([failed.actor_id, failed.user_id, failed.detail], [null, null, {}]);
    });

    test('filters: user (about or by), kind, since and until (inclusive); count agrees; pages', async () => {
      await t.db.audit.record({ kind: 'token_created', at: 10_000, actorId: 1, userId: 2 });
      await t.db.audit.record({ kind: 'token_revoked', at: 20_000, actorId: 2, userId: 2 });
      await t.db.audit.record({ kind: 'token_revoked', at: 30_000, actorId: 1, userId: 3 });
      const kinds = async (f: Parameters<typeof t.db.audit.list>[0]) => (await t.db.audit.list(f, PAGE)).map((e) => `${e.kind}@${e.at}`);
      assert.deepEqual(await kinds({ userId: 2 }), ['token_revoked@20000', 'token_created@10000']);
      assert.deepEqual(await kinds({ userId: 1 }), ['token_revoked@30000', 'token_created@10000']);
      assert.deepEqual(await kinds({ kind: 'token_revoked' }), ['token_revoked@30000', 'token_revoked@20000']);
      assert.deepEqual(await kinds({ since: 20_000, until: 30_000 }), ['token_revoked@30000', 'token_revoked@20000']);
      assert.equal(await t.db.audit.count({ kind: 'token_revoked', userId: 3 }), 1);
      assert.deepEqual((await t.db.audit.list({ since: 10_000 }, { limit: 1, offset: 1 })).map((e) => e.at), [20_000]);
    });

    test('prune deletes the entries before the given time only', async () => {
      const before = await t.db.audit.count({});
      assert.equal(await t.db.audit.prune(15_000), 3); // at 1000, 2000 and 10000
      assert.equal(await t.db.audit.count({}), before - 3);
      assert.equal(await t.db.audit.count({ until: 14_999 }), 0);
    });

    test('an entry written in a transaction that fails is not kept', async () => {
      const before = await t.db.audit.count({});
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await tx.audit.record({ kind: 'group_created', at: 50_000, detail: { group: 'Ghosts' } });
          await tx.users.createGroup('Manager'); // exists: the unique name refuses it
        }),
        (err: Error) => err.name === 'GroupNameTaken',
      );
      assert.equal(await t.db.audit.count({}), before);
    });
  });
}
