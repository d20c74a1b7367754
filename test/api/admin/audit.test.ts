/**
 * The audit log: what each security-relevant change writes (with the acting user and the
 * client address, never a secret), that the entry is written in the change's own transaction
 * (a change that fails writes none; an entry that cannot be written undoes the change), and
 * the log's filters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIGURED_KIND } from '../../helpers/database';
import { DEFAULT_PASSWORD, startServer, type Reply, type TestServer } from '../../helpers/server';
import { auditEntries, createCast, expect, type Cast } from './cast';

let server: TestServer;
let cast: Cast;
const STRONG = 'Zesty-lemon-tart-2024';

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=100000/minute,default_anon=100000/minute,login=100000/minute,login_username=100000/minute' });
  cast = await createCast(server);
});
after(() => server.close());

/** The newest entry of `kind` (about `userId` when given). */
async function newest(kind: string, userId?: number) {
  const entries = await auditEntries(server, cast.root, `kind=${kind}${userId ? `&user=${userId}` : ''}`);
  assert.ok(entries.length > 0, `no ${kind} entry`);
  return entries[0];
}

async function count(kind: string): Promise<number> {
  const r = await server.request('GET', `/api/admin/audit?kind=${kind}`, cast.root.token);
  expect(r, 200);
  return r.body.count as number;
}

test('sign-ins and failed sign-ins on the four login operations: username, address, never the password or the key', async () => {
  const id = await server.createUser({ username: 'gina', email: 'gina@example.com' });
  const key = await server.tokenFor('gina');
  const login = await newest('login', id);
  assert.deepEqual(
    { user_id: login.user_id, username: login.username, actor_id: login.actor_id, address: login.address, method: login.detail.method, prefix: login.detail.prefix },
    { user_id: id, username: 'gina', actor_id: id, address: '127.0.0.1', method: 'token', prefix: key.slice(0, 8) },
  );
  const pair = await server.jwtFor('gina');
  assert.equal((await newest('login', id)).detail.method, 'jwt');
  expect(await server.request('POST', '/api/api-token-auth/', { json: { username: 'gina', password: DEFAULT_PASSWORD } }), 200);
  expect(await server.request('POST', '/auth/jwt/create/', { json: { username: 'gina', password: DEFAULT_PASSWORD } }), 200);

  const wrong = 'not-ginas-password-42';
  expect(await server.request('POST', '/auth/token/login/', { json: { username: 'gina', password: wrong } }), 400);
  const failed = await newest('login_failed', id);
  assert.deepEqual({ user_id: failed.user_id, username: failed.username, actor_id: failed.actor_id, address: failed.address }, { user_id: id, username: 'gina', actor_id: null, address: '127.0.0.1' });
  expect(await server.request('POST', '/api/token/', { json: { username: 'no-such-user', password: wrong } }), 401);
  const unknown = (await auditEntries(server, cast.root, 'kind=login_failed'))[0];
  assert.deepEqual({ user_id: unknown.user_id, username: unknown.username }, { user_id: null, username: 'no-such-user' });
  expect(await server.request('POST', '/api/api-token-auth/', { json: { username: 'gina', password: wrong } }), 400);
  expect(await server.request('POST', '/auth/jwt/create/', { json: { username: 'gina', password: wrong } }), 401);
  const operations = (await auditEntries(server, cast.root, `user=${id}`)).map((e) => `${e.kind} ${e.detail.operation}`);
  for (const op of ['tokenCreate', 'tokenObtainPair', 'obtainAuthToken', 'jwtCreate']) {
    assert.ok(operations.includes(`login ${op}`), `login ${op}: ${operations.join(', ')}`);
  }
  for (const op of ['tokenCreate', 'obtainAuthToken', 'jwtCreate']) assert.ok(operations.includes(`login_failed ${op}`), `login_failed ${op}`);

  const all = (await server.request('GET', '/api/admin/audit?page_size=100', cast.root.token)).text;
  for (const secret of [DEFAULT_PASSWORD, wrong, key, pair.refresh, pair.access]) assert.ok(!all.includes(secret), 'a secret in the audit log');
});

test('a long username tried is kept to its first 150 characters', async () => {
  expect(await server.request('POST', '/auth/token/login/', { json: { username: 'x'.repeat(1000), password: 'whatever-it-is' } }), 400);
  const e = (await auditEntries(server, cast.root, 'kind=login_failed'))[0];
  assert.equal(e.username, 'x'.repeat(150));
});

test('admin actions are written with the acting user: user created, flags changed, key created and revoked, password set, logout-all, deleted', async () => {
  const made = await server.request('POST', '/api/admin/users', { ...cast.root.token, json: { username: 'hugo', password: STRONG } });
  expect(made, 201);
  const id = made.body.id as number;
  const created = await newest('user_created', id);
  assert.deepEqual({ actor: created.actor_username, user: created.username, staff: created.detail.is_staff }, { actor: 'root', user: 'hugo', staff: false });

  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.root.token, json: { is_staff: true, email: 'hugo@example.com' } }), 200);
  const updated = await newest('user_updated', id);
  assert.deepEqual({ actor: updated.actor_id, fields: updated.detail.fields, is_staff: updated.detail.is_staff }, { actor: cast.root.id, fields: ['email', 'is_staff'], is_staff: true });

  const key = await server.request('POST', `/api/admin/users/${id}/tokens`, cast.staff.token);
  const tokenCreated = await newest('token_created', id);
  assert.deepEqual({ actor: tokenCreated.actor_username, prefix: tokenCreated.detail.prefix }, { actor: 'staff', prefix: key.body.key.slice(0, 8) });
  expect(await server.request('DELETE', `/api/admin/users/${id}/tokens/${key.body.id}`, cast.staff.token), 204);
  assert.equal((await newest('token_revoked', id)).detail.prefix, key.body.key.slice(0, 8));

  expect(await server.request('POST', `/api/admin/users/${id}/set_password`, { ...cast.root.token, json: { new_password: `${STRONG}!` } }), 204);
  assert.equal((await newest('password_changed', id)).actor_username, 'root');
  expect(await server.request('POST', `/api/admin/users/${id}/logout-all`, cast.root.token), 204);
  assert.equal((await newest('logout_all', id)).actor_username, 'root');
  expect(await server.request('DELETE', `/api/admin/users/${id}`, cast.root.token), 204);
  const deleted = await newest('user_deleted', id);
  assert.deepEqual({ actor: deleted.actor_username, user: deleted.username }, { actor: 'root', user: 'hugo' });
  // The trail outlives the user.
  assert.ok((await auditEntries(server, cast.root, `user=${id}`)).length >= 7);
  const text = (await server.request('GET', `/api/admin/audit?user=${id}&page_size=100`, cast.root.token)).text;
  for (const secret of [STRONG, key.body.key]) assert.ok(!text.includes(secret));
});

test("the user's own changes are written too: logout, logout-all, set_password, password reset, deletion", async () => {
  const id = await server.createUser({ username: 'ivo', email: 'ivo@example.com' });
  const key = await server.tokenFor('ivo');
  expect(await server.request('POST', '/auth/token/logout/', { token: key }), 204);
  assert.equal((await newest('token_revoked', id)).actor_id, id);
  const again = await server.tokenFor('ivo');
  expect(await server.request('POST', '/auth/users/set_password/', { token: again, json: { current_password: DEFAULT_PASSWORD, new_password: STRONG } }), 204);
  assert.equal((await newest('password_changed', id)).actor_id, id);
  expect(await server.request('POST', '/auth/token/logoutall/', { token: again }), 204);
  assert.equal((await newest('logout_all', id)).actor_id, id);

  expect(await server.request('POST', '/auth/users/reset_password/', { json: { email: 'ivo@example.com' } }), 204);
  let link: RegExpExecArray | null = null;
  for (let i = 0; i < 100 && !link; i++) {
    link = /password\/reset\/confirm\/([^/\s]+)\/([^/\s]+)/.exec(server.mails().find((m) => m.includes('To: ivo@example.com')) ?? '');
    if (!link) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(link, 'no reset mail');
  expect(await server.request('POST', '/auth/users/reset_password_confirm/', { json: { uid: link[1], token: link[2], new_password: `${STRONG}?` } }), 204);
  const reset = await newest('password_reset', id);
  assert.deepEqual({ actor: reset.actor_id, user: reset.user_id }, { actor: null, user: id });
  assert.ok(!JSON.stringify(reset).includes(link[2]), 'the reset token is not in the log');

  const last = await server.tokenFor('ivo', `${STRONG}?`);
  expect(await server.request('DELETE', '/auth/users/me/', { token: last, json: { current_password: `${STRONG}?` } }), 204);
  assert.equal((await newest('user_deleted', id)).actor_id, id);
});

test('group changes: created, member added and removed (here and on the course endpoints), deleted', async () => {
  const g = await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: 'Bakers' } });
  expect(g, 201);
  assert.equal((await newest('group_created')).detail.group, 'Bakers');
  expect(await server.request('POST', `/api/admin/groups/${g.body.id}/members`, { ...cast.staff.token, json: { user_id: cast.user.id } }), 201);
  const added = await newest('group_member_added', cast.user.id);
  assert.deepEqual({ actor: added.actor_username, group: added.detail.group }, { actor: 'staff', group: 'Bakers' });
  const before = await count('group_member_added');
  expect(await server.request('POST', `/api/admin/groups/${g.body.id}/members`, { ...cast.staff.token, json: { user_id: cast.user.id } }), 200);
  assert.equal(await count('group_member_added'), before, 'adding a member again changes nothing and writes nothing');
  expect(await server.request('DELETE', `/api/admin/groups/${g.body.id}/members/${cast.user.id}`, cast.staff.token), 204);
  assert.equal((await newest('group_member_removed', cast.user.id)).detail.group, 'Bakers');
  expect(await server.request('DELETE', `/api/admin/groups/${g.body.id}`, cast.staff.token), 204);
  assert.equal((await newest('group_deleted')).detail.group, 'Bakers');

  expect(await server.request('POST', '/api/groups/manager/users', { ...cast.staff.token, json: { username: 'user' } }), 201);
  assert.equal((await newest('group_member_added', cast.user.id)).detail.group, 'Manager');
  expect(await server.request('DELETE', `/api/groups/manager/users/${cast.user.id}`, cast.staff.token), 200);
  assert.equal((await newest('group_member_removed', cast.user.id)).detail.group, 'Manager');
});

test('a refused change writes nothing', async () => {
  const id = await server.createUser({ username: 'jon', email: 'jon@example.com' });
  const updates = await count('user_updated');
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { is_staff: true } }), 403);
  expect(await server.request('PATCH', `/api/admin/users/${cast.root.id}`, { ...cast.root.token, json: { is_staff: false, first_name: 'Rooty' } }), 400);
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.staff.token, json: { email: 'not-an-address' } }), 400);
  assert.equal(await count('user_updated'), updates);
  assert.equal((await server.request('GET', `/api/admin/users/${cast.root.id}`, cast.root.token)).body.first_name, '', 'nothing of the refused request was applied');
  const deletions = await count('user_deleted');
  expect(await server.request('DELETE', `/api/admin/users/${cast.staff.id}`, cast.staff.token), 400);
  assert.equal(await count('user_deleted'), deletions);
  const groups = await count('group_deleted');
  const manager = (await server.request('GET', '/api/admin/groups', cast.staff.token)).body.results.find((x: { name: string }) => x.name === 'Manager');
  expect(await server.request('DELETE', `/api/admin/groups/${manager.id}`, cast.staff.token), 400);
  assert.equal(await count('group_deleted'), groups);
});

// Failures inside the transaction, caused by database triggers ------------------------------------

/** A trigger that aborts a statement: `table`, `timing` (BEFORE UPDATE, BEFORE INSERT), when `condition` (on NEW) holds. */
async function failWhen(name: string, table: string, timing: string, condition: string): Promise<() => Promise<void>> {
  const { knex } = server.app.services.db;
  if (CONFIGURED_KIND === 'SQLite') {
    await knex.raw(`CREATE TRIGGER ${name} ${timing} ON ${table} WHEN ${condition} BEGIN SELECT RAISE(ABORT, 'refused by ${name}'); END`);
    return async () => void (await knex.raw(`DROP TRIGGER ${name}`));
  }
  await knex.raw(`CREATE OR REPLACE FUNCTION ${name}_fn() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by ${name}'; END $$ LANGUAGE plpgsql`);
  await knex.raw(`CREATE TRIGGER ${name} ${timing} ON ${table} FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION ${name}_fn()`);
  return async () => void (await knex.raw(`DROP TRIGGER ${name} ON ${table}`));
}

/**
 * The request fails with a server error (the test helper refuses the undeclared 500 by
 * throwing). A failure caused on purpose is left out of the contract coverage count.
 */
async function failsOnServer(send: () => Promise<Reply>): Promise<void> {
  const coverage = process.env.CONTRACT_COVERAGE_FILE;
  delete process.env.CONTRACT_COVERAGE_FILE;
  try {
    const r = await send();
    assert.ok(r.status >= 500, `expected a server error, got ${r.status} ${r.text}`);
  } catch (err) {
    assert.match(String((err as Error).message), /answered 5\d\d/);
  } finally {
    if (coverage !== undefined) process.env.CONTRACT_COVERAGE_FILE = coverage;
  }
}

test('a change that fails in the database writes no audit entry', async () => {
  const id = await server.createUser({ username: 'kim', email: 'kim@example.com' });
  const drop = await failWhen('fail_user_update', 'auth_user', 'BEFORE UPDATE', "NEW.first_name = 'boom'");
  try {
    const updates = await count('user_updated');
    await failsOnServer(() => server.request('PATCH', `/api/admin/users/${id}`, { ...cast.root.token, json: { first_name: 'boom', is_staff: true } }));
    assert.equal(await count('user_updated'), updates, 'no entry for the failed change');
    const user = await server.request('GET', `/api/admin/users/${id}`, cast.root.token);
    assert.deepEqual({ first_name: user.body.first_name, is_staff: user.body.is_staff }, { first_name: '', is_staff: false });
  } finally {
    await drop();
  }
  expect(await server.request('PATCH', `/api/admin/users/${id}`, { ...cast.root.token, json: { first_name: 'Kim' } }), 200);
});

test('an audit entry that cannot be written undoes its change: group created, user deleted, sign-in', async () => {
  const drop = await failWhen('fail_audit', 'audit_entry', 'BEFORE INSERT', "NEW.kind IN ('group_created', 'user_deleted', 'login')");
  const id = await server.createUser({ username: 'lea', email: 'lea@example.com' });
  try {
    await failsOnServer(() => server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: 'Ghosts' } }));
    const groups = await server.request('GET', '/api/admin/groups?page_size=100', cast.staff.token);
    assert.ok(!groups.body.results.some((g: { name: string }) => g.name === 'Ghosts'), 'the group was not created');

    await failsOnServer(() => server.request('DELETE', `/api/admin/users/${id}`, cast.staff.token));
    expect(await server.request('GET', `/api/admin/users/${id}`, cast.staff.token), 200);

    await failsOnServer(() => server.request('POST', '/auth/token/login/', { json: { username: 'lea', password: DEFAULT_PASSWORD } }));
    assert.deepEqual((await server.request('GET', `/api/admin/users/${id}/tokens`, cast.staff.token)).body, [], 'no key was issued');
  } finally {
    await drop();
  }
  expect(await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: 'Ghosts' } }), 201);
});

test('filters: user (about or by), kind, since and until; newest first; bad values are 400', async () => {
  const start = new Date().toISOString();
  const id = await server.createUser({ username: 'max', email: 'max@example.com' });
  await server.tokenFor('max');
  expect(await server.request('POST', `/api/admin/users/${id}/tokens`, cast.staff.token), 201);
  const mine = await auditEntries(server, cast.root, `user=${id}&since=${encodeURIComponent(start)}`);
  assert.deepEqual(mine.map((e) => e.kind), ['token_created', 'login']);
  const byStaff = await auditEntries(server, cast.root, `user=${cast.staff.id}&since=${encodeURIComponent(start)}`);
  assert.ok(byStaff.some((e) => e.kind === 'token_created' && e.user_id === id && e.actor_id === cast.staff.id));
  assert.deepEqual(await auditEntries(server, cast.root, `user=${id}&until=${encodeURIComponent('2000-01-01T00:00:00Z')}`), []);
  const logins = await auditEntries(server, cast.root, 'kind=login');
  assert.ok(logins.length > 0 && logins.every((e) => e.kind === 'login'));
  const times = logins.map((e) => Date.parse(e.at));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  expect(await server.request('GET', '/api/admin/audit?kind=coffee', cast.root.token), 400);
  expect(await server.request('GET', '/api/admin/audit?since=yesterday', cast.root.token), 400);
  expect(await server.request('GET', '/api/admin/audit?user=abc', cast.root.token), 400);
});
