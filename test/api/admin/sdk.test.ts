/**
 * The admin API through the typed SDK (src/client), as the /admin console calls it: sign in with
 * `X-Refresh-Cookie: 1`, find a user, put them in Manager, create a key and use it, revoke it,
 * read the audit trail; and the operations in /openapi.json with their roles stated.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Schemas } from '../../../src/client';
import { startServer, type TestServer } from '../../helpers/server';

const PASSWORD = 'lemon-pass-123';
let server: TestServer;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'admin', password: PASSWORD, isStaff: true, isSuperuser: true });
  await server.createUser({ username: 'luigi', email: 'luigi@example.com' });
});
after(() => server.close());
afterEach(async () => {
  await server.request('GET', '/healthz'); // reports any answer that broke the spec
});

test("the console's flow, through the SDK", async () => {
  const anon = createClient({ baseUrl: server.url });
  const signIn = await anon.POST('/api/token/', { body: { username: 'admin', password: PASSWORD }, params: { header: { 'X-Refresh-Cookie': '1' } } });
  assert.equal(signIn.response.status, 200);
  assert.match(signIn.response.headers.get('set-cookie') ?? '', /^refresh_token=[^;]+; Max-Age=\d+; Path=\/api\/token\/; HttpOnly; SameSite=Strict/);
  const api = anon.withJwt(signIn.data!.access);

  const found = await api.GET('/api/admin/users', { params: { query: { search: 'luig' } } });
  const users: Schemas['AdminUserPage'] = found.data!;
  assert.equal(users.count, 1);
  const luigi = users.results[0];

  const groups = await api.GET('/api/admin/groups');
  const manager = groups.data!.results.find((g) => g.name === 'Manager')!;
  const added = await api.POST('/api/admin/groups/{id}/members', { params: { path: { id: manager.id } }, body: { user_id: luigi.id } });
  assert.equal(added.response.status, 201);
  const after = await api.GET('/api/admin/users/{id}', { params: { path: { id: luigi.id } } });
  assert.deepEqual(after.data!.groups, ['Manager']);

  const made = await api.POST('/api/admin/users/{id}/tokens', { params: { path: { id: luigi.id } } });
  assert.equal(made.response.status, 201);
  const key = made.data!.key;
  const asLuigi = createClient({ baseUrl: server.url, token: key });
  assert.deepEqual((await asLuigi.GET('/api/manager-view/')).data, { message: 'Only Manager should see this' });
  const revoked = await api.DELETE('/api/admin/users/{id}/tokens/{key_id}', { params: { path: { id: luigi.id, key_id: made.data!.id } } });
  assert.equal(revoked.response.status, 204);
  assert.equal((await asLuigi.GET('/api/secret/')).response.status, 401);

  const trail = await api.GET('/api/admin/audit', { params: { query: { user: luigi.id } } });
  assert.deepEqual(trail.data!.results.map((e) => e.kind), ['token_revoked', 'token_created', 'group_member_added']);
  assert.ok(trail.data!.results.every((e) => e.actor_username === 'admin'));
});

test('/openapi.json lists the admin operations under the admin tag, each stating who may call it', async () => {
  const r = await server.request('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const admin = Object.entries(r.body.paths as Record<string, Record<string, { tags?: string[]; description?: string }>>)
    .filter(([p]) => p.startsWith('/api/admin/'))
    .flatMap(([, item]) => Object.values(item).filter((op) => op && typeof op === 'object' && 'tags' in op));
  assert.ok(admin.length >= 21);
  for (const op of admin) {
    assert.deepEqual(op.tags, ['admin']);
    assert.match(op.description ?? '', /\*\*Who may call:\*\* an admin \(is_staff\) \(x-roles: admin\)/);
  }
});
