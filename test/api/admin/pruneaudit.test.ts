/**
 * `manage pruneaudit [--days N]`: deletes the audit entries older than AUDIT_RETENTION_DAYS
 * (365 by default) or N days, and nothing newer; `manage createtoken` keeps the new key's
 * prefix and writes its audit entry (never the key). Run as a real subprocess on its own data
 * folder (SQLite), as the other CLI tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openDatabase, type Database } from '../../../src/data/db';
import { freshDataDir, manage } from '../../cli/run';

const DAY = 86_400_000;

async function withDb<T>(dir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(`sqlite:${path.join(dir, 'db.sqlite3')}`);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

async function seed(dir: string, ages: number[]): Promise<void> {
  const migrated = await manage(dir, ['migrate']);
  assert.equal(migrated.code, 0, migrated.stderr);
  await withDb(dir, async (db) => {
    for (const days of ages) await db.audit.record({ kind: 'login', at: Date.now() - days * DAY, username: `aged${days}`, detail: {} });
  });
}

async function remaining(dir: string): Promise<string[]> {
  return withDb(dir, async (db) => (await db.audit.list({}, { limit: 100, offset: 0 })).map((e) => e.username as string).sort());
}

test('pruneaudit deletes the entries older than AUDIT_RETENTION_DAYS (365 by default)', async () => {
  const dir = freshDataDir();
  await seed(dir, [1, 100, 400, 1000]);
  const r = await manage(dir, ['pruneaudit']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'Deleted 2 audit entries older than 365 days.');
  assert.deepEqual(await remaining(dir), ['aged1', 'aged100']);

  const again = await manage(dir, ['pruneaudit'], { env: { AUDIT_RETENTION_DAYS: '30' } });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), 'Deleted 1 audit entry older than 30 days.');
  assert.deepEqual(await remaining(dir), ['aged1']);
});

test('pruneaudit --days N overrides the setting; a bad N or setting is refused', async () => {
  const dir = freshDataDir();
  await seed(dir, [2, 10]);
  const r = await manage(dir, ['pruneaudit', '--days', '5'], { env: { AUDIT_RETENTION_DAYS: '365' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'Deleted 1 audit entry older than 5 days.');
  assert.deepEqual(await remaining(dir), ['aged2']);
  for (const bad of ['0', 'soon', '1.5', '']) {
    const refused = await manage(dir, ['pruneaudit', '--days', bad]);
    assert.notEqual(refused.code, 0, `--days ${bad}`);
    assert.match(refused.stderr, /--days must be a whole number of days/);
  }
  assert.notEqual((await manage(dir, ['pruneaudit', '--days', '-3'])).code, 0);
  const badSetting = await manage(dir, ['pruneaudit'], { env: { AUDIT_RETENTION_DAYS: 'forever' } });
  assert.notEqual(badSetting.code, 0);
  assert.match(badSetting.stderr, /AUDIT_RETENTION_DAYS/);
  assert.deepEqual(await remaining(dir), ['aged2']);
});

test('createtoken keeps the key\'s first 8 characters and writes token_created with them, never the key', async () => {
  const dir = freshDataDir();
  const made = await manage(dir, ['createsuperuser', '--noinput', '--username', 'boss', '--email', 'boss@example.com'], { env: { SUPERUSER_PASSWORD: 'Lemon-grove-42!' } });
  assert.equal(made.code, 0, made.stderr);
  const r = await manage(dir, ['createtoken', 'boss']);
  assert.equal(r.code, 0, r.stderr);
  const key = /Generated token ([0-9a-f]{40}) for user boss/.exec(r.stdout)?.[1];
  assert.ok(key, r.stdout);
  await withDb(dir, async (db) => {
    const boss = (await db.users.findByUsername('boss'))!;
    assert.deepEqual((await db.keys.listFor(boss.id, 10)).map((k) => k.prefix), [key.slice(0, 8)]);
    const [entry] = await db.audit.list({ kind: 'token_created' }, { limit: 10, offset: 0 });
    assert.deepEqual({ user: entry.user_id, prefix: entry.detail.prefix, actor: entry.actor_id }, { user: boss.id, prefix: key.slice(0, 8), actor: null });
    assert.ok(!JSON.stringify(entry).includes(key));
  });
});
