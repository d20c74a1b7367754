/**
 * src/data/menu.ts: menu items through the repository's public methods, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: search terms (every one, whatever the letter case, `%` and
 * `_` taken literally), ordering, pages, counts, updates and deletes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, openTestDatabase, type TestDatabase } from '../../helpers/database';

const BY_ID = [['id', 'asc']] as const;

for (const { kind, skip } of KINDS) {
  describe(`MenuRepository (${kind})`, { skip }, () => {
    let t: TestDatabase;
    const ids: Record<string, number> = {};
    before(async () => {
      t = await openTestDatabase(kind);
      for (const [title, price_cents, inventory] of [
        ['Bruschetta', 550, 20],
        ['Greek Salad', 1250, 5],
        ['Lemon Dessert', 500, 8],
        ['100% Lemon_Juice', 300, 0],
        ['Grilled Fish', 2000, 3],
      ] as const) {
        const item = await t.db.menu.create({ title, price_cents, inventory });
        assert.deepEqual(await t.db.menu.find(item.id).then((r) => ({ ...r })), { id: item.id, title, price_cents, inventory });
        ids[title] = item.id;
      }
    });
    after(() => t?.close());

    const titles = async (query: Parameters<TestDatabase['db']['menu']['list']>[0]) => (await t.db.menu.list(query)).map((i) => i.title);

    test('list with no terms gives every item in the ordering asked for', async () => {
      assert.deepEqual(await titles({ terms: [], ordering: BY_ID }), ['Bruschetta', 'Greek Salad', 'Lemon Dessert', '100% Lemon_Juice', 'Grilled Fish']);
      assert.deepEqual(await titles({ terms: [], ordering: [['price_cents', 'desc'], ['id', 'asc']] }), ['Grilled Fish', 'Greek Salad', 'Bruschetta', 'Lemon Dessert', '100% Lemon_Juice']);
      assert.deepEqual(await titles({ terms: [], ordering: [['inventory', 'asc']] }), ['100% Lemon_Juice', 'Grilled Fish', 'Greek Salad', 'Lemon Dessert', 'Bruschetta']);
    });

    test('every term must occur in the title, whatever its letter case; % and _ are plain characters', async () => {
      assert.deepEqual(await titles({ terms: ['LEMON'], ordering: BY_ID }), ['Lemon Dessert', '100% Lemon_Juice']);
      assert.deepEqual(await titles({ terms: ['lemon', 'des'], ordering: BY_ID }), ['Lemon Dessert']);
      assert.deepEqual(await titles({ terms: ['%'], ordering: BY_ID }), ['100% Lemon_Juice']);
      assert.deepEqual(await titles({ terms: ['n_j'], ordering: BY_ID }), ['100% Lemon_Juice']);
      assert.deepEqual(await titles({ terms: ['g_'], ordering: BY_ID }), [], '_ matches no other character');
      assert.equal(await t.db.menu.count(['lemon']), 2);
      assert.equal(await t.db.menu.count([]), 5);
      assert.equal(await t.db.menu.count(['nothing']), 0);
    });

    test('a page is `limit` items after `offset`', async () => {
      assert.deepEqual(await titles({ terms: [], ordering: BY_ID, limit: 2, offset: 2 }), ['Lemon Dessert', '100% Lemon_Juice']);
      assert.deepEqual(await titles({ terms: [], ordering: BY_ID, limit: 2, offset: 4 }), ['Grilled Fish']);
      assert.deepEqual(await titles({ terms: ['lemon'], ordering: BY_ID, limit: 1 }), ['Lemon Dessert']);
    });

    test('update changes the columns given and returns the item as it now is; undefined for no such item', async () => {
      const id = ids['Greek Salad']!;
      assert.deepEqual({ ...(await t.db.menu.update(id, { inventory: 4, price_cents: 1300 })) }, { id, title: 'Greek Salad', price_cents: 1300, inventory: 4 });
      assert.deepEqual({ ...(await t.db.menu.find(id)) }, { id, title: 'Greek Salad', price_cents: 1300, inventory: 4 });
      assert.deepEqual({ ...(await t.db.menu.update(id, {})) }, { id, title: 'Greek Salad', price_cents: 1300, inventory: 4 });
      assert.equal(await t.db.menu.update(987654, { inventory: 1 }), undefined);
    });

    test('delete removes the item and says whether it was there', async () => {
      const item = await t.db.menu.create({ title: 'Short-lived', price_cents: 1, inventory: 1 });
      assert.equal(await t.db.menu.delete(item.id), true);
      assert.equal(await t.db.menu.find(item.id), undefined);
      assert.equal(await t.db.menu.delete(item.id), false);
    });
  });
}
