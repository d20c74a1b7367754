/**
 * src/data/db.ts: a Database with its own bound models, migrations, transactions that hand
 * out the same repositories bound to them, the prepared reads, bigint columns as numbers, and
 * an idempotent destroy. On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../src/data/db';
import { KINDS, freshDatabaseUrl, openTestDatabase, type TestDatabase } from '../../helpers/database';

const user = (username: string, extra: Partial<{ dateJoined: number }> = {}) => ({ username, email: `${username}@example.com`, password: '!', dateJoined: extra.dateJoined ?? 1_700_000_000_000 });

for (const { kind, skip } of KINDS) {
  describe(`Database (${kind})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(() => t?.close());

    test('migrate runs every migration once, then none; the kind is the URL’s', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'little-lemon-migrate-'));
      const { databaseUrl, drop } = await freshDatabaseUrl(kind, dir);
      const db = openDatabase(databaseUrl);
      try {
        assert.deepEqual(await db.migrate(), ['0001_initial', '0002_username_key', '0003_audit_and_key_prefix']);
        assert.deepEqual(await db.migrate(), []);
        assert.equal(db.kind, kind === 'SQLite' ? 'sqlite' : 'postgres');
      } finally {
        await db.destroy();
        await drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('two databases open at once each keep their own rows: the models are bound per database, not globally', async () => {
      const other = await openTestDatabase(kind);
      try {
        await t.db.users.create(user('only_in_first'));
        assert.ok(await t.db.users.findByUsername('only_in_first'));
        assert.equal(await other.db.users.findByUsername('only_in_first'), undefined);
        assert.equal(await other.db.models.User.query().resultSize(), 0);
      } finally {
        await other.close();
      }
    });

    test('a transaction commits when its callback resolves, and hands it repositories that see its own writes', async () => {
      const id = await t.db.transaction(async (tx) => {
        const created = await tx.users.create(user('committed'));
        // The prepared read runs in the transaction too.
        assert.equal((await tx.users.findById(created.id))?.username, 'committed');
        assert.equal(await t.db.users.findById(created.id), undefined, 'outside, the uncommitted row is not seen');
        return created.id;
      });
      assert.equal((await t.db.users.findById(id))?.username, 'committed');
    });

    test('a transaction rolls everything back when its callback rejects, and re-raises the error', async () => {
      const failure = new Error('changed my mind');
      await assert.rejects(
        t.db.transaction(async (tx) => {
          const created = await tx.users.create(user('rolled_back'));
          await tx.keys.create({ keyHash: 'f'.repeat(64), userId: created.id, created: 1 });
          throw failure;
        }),
        (err) => err === failure,
      );
      assert.equal(await t.db.users.findByUsername('rolled_back'), undefined);
      assert.equal(await t.db.keys.findWithPrincipal('f'.repeat(64)), undefined);
    });

    test('bigint columns come back as numbers, through the models and the prepared reads alike', async () => {
      const late = 8_000_000_000_000; // past 2^32: a bigint column on PostgreSQL, read as text by default
      const created = await t.db.users.create(user('bigint_reader', { dateJoined: late }));
      await t.db.users.revokeTokens(created.id, late);
      const viaModel = await t.db.users.findByUsername('bigint_reader');
      const viaPrepared = await t.db.users.findById(created.id);
      for (const row of [viaModel, viaPrepared]) {
        assert.equal(row?.date_joined, late);
        assert.equal(row?.tokens_valid_after, late + 1);
      }
    });

    test('a column added while the prepared reads are in use does not break them (a migration run by another instance)', async () => {
      const other = await openTestDatabase(kind);
      try {
        const { id } = await other.db.users.create(user('before_the_migration'));
        const before = await other.db.users.findById(id); // prepared here, on one of the statement pool's connections
        await other.db.knex.raw('ALTER TABLE auth_user ADD COLUMN nickname varchar(20)');
        assert.deepEqual({ ...(await other.db.users.findById(id)) }, { ...before });
        assert.equal((await other.db.users.findPrincipal(id))?.username, 'before_the_migration');
      } finally {
        await other.close();
      }
    });

    test('ping answers while the database is open; destroy closes it, and a second destroy is harmless', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'little-lemon-destroy-'));
      const { databaseUrl, drop } = await freshDatabaseUrl(kind, dir);
      const db = openDatabase(databaseUrl);
      try {
        await db.migrate();
        await db.ping();
        await db.users.findById(1); // opens the prepared reads' connection
        await db.destroy();
        await db.destroy();
        await assert.rejects(db.ping());
        await assert.rejects(db.users.findById(1));
      } finally {
        await db.destroy();
        await drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('Database (SQLite in memory)', () => {
  test('an in-memory database reads through its one connection, prepared reads included', async () => {
    const db = openDatabase('sqlite::memory:');
    try {
      await db.migrate();
      const created = await db.users.create(user('in_memory'));
      assert.equal((await db.users.findById(created.id))?.username, 'in_memory');
      assert.equal((await db.users.findPrincipal(created.id))?.is_active, true);
    } finally {
      await db.destroy();
    }
  });
});
