/**
 * src/data/refreshTokens.ts: outstanding and blacklisted refresh tokens through the
 * repository's public methods, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutstandingFields } from '../../../src/data/refreshTokens';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const NOW = 1_800_000_000_000;
const token = (jti: string, extra: Partial<OutstandingFields> = {}): OutstandingFields => ({ userId: null, jti, family: jti, createdAt: NOW - 1000, expiresAt: NOW + 60_000, ...extra });

for (const { kind, skip } of KINDS) {
  describe(`RefreshTokensRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    let userId: number;
    before(async () => {
      t = await openTestDatabase(kind);
      userId = (await t.db.users.create({ username: 'holder', email: '', password: '!', dateJoined: 1 })).id;
    });
    after(() => t?.close());

    test('record returns the row id; findByJti gives it with its family, not blacklisted; an unknown jti is undefined', async () => {
      const id = await t.db.refreshTokens.record(token('jti-a', { userId, family: 'fam-a' }));
      assert.deepEqual(await t.db.refreshTokens.findByJti('jti-a'), { id, family: 'fam-a', blacklisted: false });
      assert.equal(await t.db.refreshTokens.findByJti('nope'), undefined);
      assert.equal(await t.db.refreshTokens.isBlacklisted('nope'), false);
      await assert.rejects(t.db.refreshTokens.record(token('jti-a')), 'a jti is recorded once');
    });

    test('blacklist says true the first time only, also when two calls race', async () => {
      const id = await t.db.refreshTokens.record(token('jti-b'));
      const results = await Promise.all([t.db.refreshTokens.blacklist(id, NOW), t.db.refreshTokens.blacklist(id, NOW)]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await t.db.refreshTokens.blacklist(id, NOW), false);
      assert.equal(await t.db.refreshTokens.isBlacklisted('jti-b'), true);
      assert.equal((await t.db.refreshTokens.findByJti('jti-b'))?.blacklisted, true);
    });

    test('blacklistFamily blacklists every token of the family and no other', async () => {
      for (const jti of ['f1', 'f2', 'f3']) await t.db.refreshTokens.record(token(jti, { family: 'stolen' }));
      await t.db.refreshTokens.record(token('g1', { family: 'innocent' }));
      await t.db.refreshTokens.blacklist((await t.db.refreshTokens.findByJti('f2'))!.id, NOW);
      await t.db.refreshTokens.blacklistFamily('stolen', NOW);
      assert.deepEqual(await Promise.all(['f1', 'f2', 'f3', 'g1'].map((j) => t.db.refreshTokens.isBlacklisted(j))), [true, true, true, false]);
    });

    test("blacklistUser blacklists the user's unexpired tokens only", async () => {
      const other = (await t.db.users.create({ username: 'other', email: '', password: '!', dateJoined: 1 })).id;
      await t.db.refreshTokens.record(token('u-live', { userId }));
      await t.db.refreshTokens.record(token('u-expired', { userId, expiresAt: NOW - 1 }));
      await t.db.refreshTokens.record(token('o-live', { userId: other }));
      await t.db.refreshTokens.blacklistUser(userId, NOW);
      assert.deepEqual(await Promise.all(['u-live', 'u-expired', 'o-live'].map((j) => t.db.refreshTokens.isBlacklisted(j))), [true, false, false]);
    });

    test('blacklisting more tokens than one INSERT takes', async () => {
      for (let i = 0; i < 520; i += 40) {
        await t.db.transaction(async (tx) => {
          for (let j = i; j < Math.min(i + 40, 520); j++) await tx.refreshTokens.record(token(`many-${j}`, { family: 'many' }));
        });
      }
      await t.db.refreshTokens.blacklistFamily('many', NOW);
      assert.equal(await t.db.models.BlacklistedToken.query().whereIn('token_id', t.db.models.OutstandingToken.query().where({ family: 'many' }).select('id')).resultSize(), 520);
    });

    test('flushExpired deletes the expired tokens and their blacklist rows, and counts them', async () => {
      const expired = await t.db.refreshTokens.record(token('old-1', { expiresAt: NOW - 5 }));
      await t.db.refreshTokens.record(token('old-2', { expiresAt: NOW - 5 }));
      await t.db.refreshTokens.blacklist(expired, NOW);
      const live = await t.db.refreshTokens.record(token('fresh', { expiresAt: NOW + 5 }));
      await t.db.refreshTokens.blacklist(live, NOW);
      const before = await t.db.models.OutstandingToken.query().where('expires_at', '<', NOW).resultSize();
      assert.equal(await t.db.refreshTokens.flushExpired(NOW), before);
      assert.equal(await t.db.models.OutstandingToken.query().where('expires_at', '<', NOW).resultSize(), 0);
      assert.equal(await t.db.models.BlacklistedToken.query().where({ token_id: expired }).resultSize(), 0);
      assert.equal(await t.db.refreshTokens.isBlacklisted('fresh'), true);
      assert.equal(await t.db.refreshTokens.flushExpired(NOW), 0);
    });

    test("a deleted user's tokens stay recorded, with no user, and stay blacklisted", async () => {
      const leaving = (await t.db.users.create({ username: 'leaving', email: '', password: '!', dateJoined: 1 })).id;
      const id = await t.db.refreshTokens.record(token('left-behind', { userId: leaving }));
      await t.db.refreshTokens.blacklist(id, NOW);
      await t.db.users.delete(leaving);
      assert.equal((await t.db.models.OutstandingToken.query().findById(id))?.user_id, null);
      assert.equal(await t.db.refreshTokens.isBlacklisted('left-behind'), true);
    });
  });
}
