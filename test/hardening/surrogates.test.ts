/**
 * Lone surrogates (#14). JSON's `\ud800` escape makes a string that is not Unicode text: the
 * server echoed it, but stored something else (`���x` on SQLite, `�x` on PostgreSQL), so what
 * was answered and what was kept differed. Every string field refuses one now, with DRF's
 * message (ProhibitSurrogateCharactersValidator), as NULs are refused; text outside the Basic
 * Multilingual Plane (an emoji: a surrogate pair) is still stored and answered unchanged.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';
import { dbState, NO_THROTTLES } from './lib';

const HIGH = '\ud800';
const LOW = '\udc00';
const message = (unit: string) => `Surrogate characters are not allowed: U+${unit.charCodeAt(0).toString(16).toUpperCase()}.`;
const PASSWORD = 'lemon-pass-123';

let server: TestServer;
let chef: string;
let itemId: number;

before(async () => {
  server = await startServer({ THROTTLE_RATES: NO_THROTTLES });
  await server.createUser({ username: 'chef', groups: ['Manager'] });
  chef = await server.tokenFor('chef');
  const r = await server.request('POST', '/api/menu-items', { token: chef, json: { title: 'Lemon tart', price: '4.50', inventory: 3 } });
  assert.equal(r.status, 201, r.text);
  itemId = r.body.id;
});
after(() => server.close());

/** Sends each body; each answer must be 400 with `field` holding the message, and nothing may be written. */
async function assertRefused(method: string, path: string, field: string, bodies: Record<string, unknown>[], auth: { token?: string } = {}): Promise<void> {
  const before = await dbState(server.app.services.db.knex);
  const wrong: string[] = [];
  for (const json of bodies) {
    const value = String(json[field]);
    const unit = /[\ud800-\udfff]/.exec(value)![0];
    const r = await server.request(method, path, { ...auth, json });
    if (r.status !== 400 || !Array.isArray(r.body?.[field]) || !r.body[field].includes(message(unit))) wrong.push(`${JSON.stringify(value)}: ${r.status} ${r.text}`);
  }
  assert.deepEqual(wrong, [], `${method} ${path} refuses a lone surrogate in ${field}`);
  assert.equal((await dbState(server.app.services.db.knex)).digest, before.digest, 'nothing was written');
}

/** The field's value with a lone high surrogate, a lone low one, and the pair's halves swapped. */
const lone = (text: string) => [`${HIGH}${text}`, `${text}${LOW}`, `${text}${LOW}${HIGH}`];

test('registration refuses a lone surrogate in the username, the password and the email', async () => {
  for (const username of lone('newcomer')) {
    await assertRefused('POST', '/auth/users/', 'username', [{ username, password: 'Zesty-lemon-tart-42' }]);
  }
  for (const password of lone('Zesty-lemon-tart-42')) {
    await assertRefused('POST', '/auth/users/', 'password', [{ username: 'newcomer', password }]);
  }
  await assertRefused('POST', '/auth/users/', 'email', [{ username: 'newcomer', password: 'Zesty-lemon-tart-42', email: `new${HIGH}@example.com` }]);
});

test('menu items: create, PUT and PATCH refuse a lone surrogate in the title; the stored title is unchanged', async () => {
  await assertRefused('POST', '/api/menu-items', 'title', lone('x').map((title) => ({ title, price: '1.00', inventory: 1 })), { token: chef });
  await assertRefused('PUT', `/api/menu-items/${itemId}`, 'title', lone('x').map((title) => ({ title, price: '1.00', inventory: 1 })), { token: chef });
  await assertRefused('PATCH', `/api/menu-items/${itemId}`, 'title', lone('x').map((title) => ({ title })), { token: chef });
  const r = await server.request('GET', `/api/menu-items/${itemId}`);
  assert.equal(r.body.title, 'Lemon tart');
});

test('set_username refuses a lone surrogate in the new username', async () => {
  await server.createUser({ username: 'renamer' });
  const key = await server.tokenFor('renamer');
  await assertRefused('POST', '/auth/users/set_username/', 'new_username', lone('renamed').map((new_username) => ({ new_username, current_password: PASSWORD })), { token: key });
});

test('an emoji (a surrogate pair) is stored and answered unchanged', async () => {
  const title = 'Lemon tart \u{1F34B} with \u{1D54F}';
  const created = await server.request('POST', '/api/menu-items', { token: chef, json: { title, price: '5.00', inventory: 1 } });
  assert.deepEqual([created.status, created.body.title], [201, title]);
  assert.equal((await server.request('GET', `/api/menu-items/${created.body.id}`)).body.title, title);
  const patched = await server.request('PATCH', `/api/menu-items/${created.body.id}`, { token: chef, json: { title: `\u{1F34B}${title}` } });
  assert.deepEqual([patched.status, patched.body.title], [200, `\u{1F34B}${title}`]);
  assert.equal((await server.request('GET', `/api/menu-items/${created.body.id}`)).body.title, `\u{1F34B}${title}`);
});
